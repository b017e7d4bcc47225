import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { postgresqlUrlFrom } from '../src/services/ferretdb.js';
import {
  ensureLocalServices,
  type LocalServices,
  requirePostgresql,
} from '../src/services/local-services.js';
import { type BenchFigure, machine, printFigure, setSectionSuffix, topLevelFigures } from './harness.js';

/**
 * `npm run bench`: each benchmark prints its figure beside a baseline measured in the same run
 * and is written to bench/results.json. Benchmarks register in `benchmarks` below.
 */
export interface BenchEnv {
  redisUrl: string;
  mongoBaseUri: string;
}
export type Benchmark = (env: BenchEnv) => Promise<Record<string, BenchFigure>>;

const benchmarks: { name: string; load: () => Promise<Benchmark> }[] = [
  { name: 'inbound', load: async () => (await import('./inbound.js')).default },
  { name: 'outbox', load: async () => (await import('./outbox.js')).default },
  { name: 'jobs', load: async () => (await import('./request-jobs.js')).default },
  { name: 'access-erase', load: async () => (await import('./access-erase.js')).default },
  { name: 'promo', load: async () => (await import('./promo.js')).default },
  { name: 'memory', load: async () => (await import('./memory.js')).default },
  { name: 'first-reply', load: async () => (await import('./first-reply.js')).default },
];

/** Which servers the figures were measured on: FerretDB and MongoDB differ by orders of magnitude. */
async function describeServers(env: BenchEnv): Promise<{ database: string; redis: string }> {
  const client = new MongoClient(env.mongoBaseUri, { serverSelectionTimeoutMS: 5000 });
  const redis = new Redis(env.redisUrl, { lazyConnect: true });
  try {
    await client.connect();
    const status = (await client.db('admin').command({ serverStatus: 1 })) as {
      version?: string;
      ferretdbVersion?: string;
    };
    await redis.connect();
    const info = await redis.info('server');
    return {
      database: status.ferretdbVersion
        ? `FerretDB ${status.ferretdbVersion} (MongoDB ${status.version} wire)`
        : `MongoDB ${status.version}`,
      redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
    };
  } finally {
    await client.close();
    redis.disconnect();
  }
}

/**
 * With FERRETDB_POSTGRESQL_URL set and PostgreSQL answering, these benchmarks run a second time on
 * a FerretDB that keeps its data there, and these figures and top-level sections are written again
 * with `_pg` appended: the backend changes them most (FerretDB on SQLite scans in C, on
 * PostgreSQL it hands the filter to the database, and writes cost differently).
 */
const PG_BENCHMARKS = ['jobs', 'access-erase', 'promo'];
const PG_FIGURES = ['request_jobs', 'erase_10k', 'promo_10k'];
const PG_SECTIONS = ['mongo_ops_ferretdb'];
const PG = '_pg';

const only = process.argv.slice(2);
const selected = benchmarks.filter((b) => only.length === 0 || only.includes(b.name));
const results: Record<string, BenchFigure> = {};
const failed: string[] = [];
/** Which server each set of figures was measured on: `''` the unsuffixed ones, `_pg` the others. */
const backends: { suffix: string; database: string }[] = [];
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Runs `list` on `services`; figures named in `keep` (all when absent) are written with `suffix`. */
async function runPass(
  services: LocalServices,
  list: typeof benchmarks,
  suffix: string,
  keep?: string[],
): Promise<void> {
  try {
    const servers = await describeServers(services);
    log(`MongoDB-wire server: ${servers.database}; Redis ${servers.redis}`);
    // The FerretDB started here says its backend (`FerretDB (SQLite in …)`); a given server does not.
    const backend = /FerretDB \((SQLite|PostgreSQL)/.exec(services.started.join('\n'))?.[1];
    backends.push({ suffix, database: `${servers.database}${backend ? ` on ${backend}` : ''}` });
    if (suffix === '') Object.assign(machineInfo, servers);
    for (const bench of list) {
      log(`\n# ${bench.name}${suffix}`);
      try {
        const run = await bench.load();
        for (const [name, figure] of Object.entries(await run(services))) {
          if (keep && !keep.includes(name)) continue;
          results[`${name}${suffix}`] = figure;
          printFigure(`${name}${suffix}`, figure);
        }
      } catch (err) {
        // One broken benchmark does not hide the others' figures.
        failed.push(`${bench.name}${suffix}`);
        log(`  ${bench.name}${suffix} failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
  } finally {
    await services.stop();
  }
}

const machineInfo: Record<string, unknown> = machine();
await runPass(
  await ensureLocalServices({
    redisUrl: process.env.REDIS_URL,
    mongodbUri: process.env.MONGODB_URI,
    privateMongo: !process.env.MONGODB_URI,
    log,
  }),
  selected,
  '',
);

const postgresqlUrl = process.env.MONGODB_URI ? undefined : postgresqlUrlFrom();
const onPostgresql = selected.filter((b) => PG_BENCHMARKS.includes(b.name));
if (postgresqlUrl && onPostgresql.length > 0) {
  const answers = await requirePostgresql(postgresqlUrl).then(
    () => true,
    (err: Error) => {
      log(`${err.message}: figures on SQLite only`);
      return false;
    },
  );
  if (answers) {
    setSectionSuffix(PG, PG_SECTIONS);
    await runPass(
      await ensureLocalServices({ redisUrl: process.env.REDIS_URL, privateMongo: true, postgresqlUrl, log }),
      onPostgresql,
      PG,
      PG_FIGURES,
    );
  }
}

writeFileSync(
  'bench/results.json',
  `${JSON.stringify({ machine: machineInfo, backends, ...topLevelFigures, benchmarks: results }, null, 2)}\n`,
);
process.stdout.write('\nwrote bench/results.json\n');
if (failed.length > 0) process.stdout.write(`failed: ${failed.join(', ')}\n`);
// A benchmark's leftover timer or socket must not keep the run alive.
process.exit(failed.length > 0 ? 1 : 0);
