import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { ensureLocalServices } from '../src/services/local-services.js';
import { type BenchFigure, machine, printFigure, topLevelFigures } from './harness.js';

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

const only = process.argv.slice(2);
const services = await ensureLocalServices({
  redisUrl: process.env.REDIS_URL,
  mongodbUri: process.env.MONGODB_URI,
  privateMongo: !process.env.MONGODB_URI,
  log: (line) => process.stderr.write(`${line}\n`),
});
const servers = await describeServers(services);
process.stderr.write(`MongoDB-wire server: ${servers.database}; Redis ${servers.redis}\n`);
const results: Record<string, BenchFigure> = {};
const failed: string[] = [];
try {
  for (const bench of benchmarks) {
    if (only.length > 0 && !only.includes(bench.name)) continue;
    process.stderr.write(`\n# ${bench.name}\n`);
    try {
      const run = await bench.load();
      for (const [name, figure] of Object.entries(await run(services))) {
        results[name] = figure;
        printFigure(name, figure);
      }
    } catch (err) {
      // One broken benchmark does not hide the others' figures.
      failed.push(bench.name);
      process.stderr.write(`  ${bench.name} failed: ${(err as Error).stack ?? String(err)}\n`);
    }
  }
} finally {
  await services.stop();
}
writeFileSync(
  'bench/results.json',
  `${JSON.stringify({ machine: { ...machine(), ...servers }, ...topLevelFigures, benchmarks: results }, null, 2)}\n`,
);
process.stdout.write('\nwrote bench/results.json\n');
if (failed.length > 0) process.stdout.write(`failed: ${failed.join(', ')}\n`);
// A benchmark's leftover timer or socket must not keep the run alive.
process.exit(failed.length > 0 ? 1 : 0);
