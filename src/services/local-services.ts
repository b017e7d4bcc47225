import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { describeBackend, ferretdbArgs, ferretdbBackend, findOrBuildFerretdb } from './ferretdb.js';
import { findOnPath, freePort, portAnswers, type Started, startProcess, waitFor } from './processes.js';

export interface LocalServicesOptions {
  /** Explicit URLs win; otherwise the default local ports are tried, then servers are started. */
  redisUrl?: string;
  mongodbUri?: string;
  /** Project state directory (`.hakdata/`). */
  stateDir?: string;
  /** Start a private, throw-away MongoDB-wire server even if one answers (tests). */
  privateMongo?: boolean;
  /**
   * FERRETDB_POSTGRESQL_URL: a FerretDB this starts keeps its data in that PostgreSQL database
   * (chosen over mongod and SQLite); unset, SQLite. A server that already answers is used as is.
   */
  postgresqlUrl?: string;
  log?: (line: string) => void;
}

export interface LocalServices {
  redisUrl: string;
  /** Without a database name; append `/<db>`. */
  mongoBaseUri: string;
  /** What we started, to print and to stop. */
  started: string[];
  stop(): Promise<void>;
  /** Last resort when the process exits without `stop()` (a forced exit): SIGTERM, not awaited. */
  abandon(): void;
}

const DEFAULT_REDIS = 'redis://127.0.0.1:6379';
const DEFAULT_MONGO = 'mongodb://127.0.0.1:27017';

/** A local redis-server that keeps nothing on disk: jobs and sessions are rebuilt from MongoDB. */
export function redisServerArgs(port: number): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
}

export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function mongoAnswers(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => {});
  }
}

/** `mongodb://host:port/db?x` → `mongodb://host:port` (database and options dropped). */
export function mongoBase(uri: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)/.exec(uri);
  return match?.[1] ?? uri;
}

/**
 * Makes Redis and a MongoDB-wire server available: uses what answers, starts what is missing
 * (redis-server; FerretDB on PostgreSQL when a URL is given, else mongod, else FerretDB on
 * SQLite), and stops only what it started.
 */
export async function ensureLocalServices(options: LocalServicesOptions = {}): Promise<LocalServices> {
  const log = options.log ?? (() => {});
  const stateDir = resolve(options.stateDir ?? '.hakdata');
  const children: Started[] = [];
  const started: string[] = [];
  const cleanups: (() => void)[] = [];
  const stop = async () => {
    for (const child of children.reverse()) await child.stop();
    for (const cleanup of cleanups) cleanup();
  };

  try {
    // Redis
    let redisUrl = options.redisUrl ?? DEFAULT_REDIS;
    if (!(await redisAnswers(redisUrl))) {
      if (options.redisUrl) throw new Error(`Redis at REDIS_URL does not answer: ${redact(redisUrl)}`);
      const server = findOnPath('redis-server');
      if (!server)
        throw new Error('No Redis answers on 127.0.0.1:6379 and redis-server is not on PATH; set REDIS_URL.');
      const port = await freePort();
      children.push(startProcess('redis-server', server, redisServerArgs(port)));
      redisUrl = `redis://127.0.0.1:${port}`;
      await waitFor(() => redisAnswers(redisUrl), 10_000, 'redis-server');
      started.push(`redis-server on ${redisUrl}`);
    }

    // MongoDB-wire server
    let mongoBaseUri = options.mongodbUri ? mongoBase(options.mongodbUri) : DEFAULT_MONGO;
    const useExisting =
      options.mongodbUri !== undefined || (!options.privateMongo && (await mongoAnswers(DEFAULT_MONGO)));
    if (useExisting) {
      if (!(await mongoAnswers(mongoBaseUri))) throw new Error('MongoDB at MONGODB_URI does not answer.');
    } else {
      const port = await freePort();
      mongoBaseUri = `mongodb://127.0.0.1:${port}`;
      const backend = ferretdbBackend(options.postgresqlUrl);
      const mongod = backend.handler === 'sqlite' ? findOnPath('mongod') : undefined;
      const dataDir = options.privateMongo
        ? join(stateDir, `tmp-db-${process.pid}-${port}`)
        : join(
            stateDir,
            mongod ? 'mongod' : backend.handler === 'sqlite' ? 'ferretdb' : 'ferretdb-postgresql',
          );
      if (options.privateMongo) cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      mkdirSync(dataDir, { recursive: true });
      if (mongod) {
        children.push(
          startProcess('mongod', mongod, [
            '--port',
            String(port),
            '--bind_ip',
            '127.0.0.1',
            '--dbpath',
            dataDir,
          ]),
        );
        started.push(`mongod on ${mongoBaseUri}`);
      } else {
        if (backend.handler === 'postgresql') await requirePostgresql(backend.url);
        const ferretdb = await findOrBuildFerretdb(log);
        children.push(startProcess('ferretdb', ferretdb, ferretdbArgs(dataDir, port, backend), dataDir));
        started.push(`FerretDB (${describeBackend(backend, dataDir)}) on ${mongoBaseUri}`);
      }
      await waitFor(() => mongoAnswers(mongoBaseUri), 20_000, 'MongoDB-wire server');
    }
    const abandon = () => {
      for (const { child } of children)
        if (child.exitCode === null && child.signalCode === null) child.kill();
    };
    return { redisUrl, mongoBaseUri, started, stop, abandon };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** PostgreSQL must answer before FerretDB is started on it: FerretDB itself only times out. */
export async function requirePostgresql(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  if (!(await portAnswers(hostname || '127.0.0.1', Number(port || 5432), 1000)))
    throw new Error(`PostgreSQL at FERRETDB_POSTGRESQL_URL does not answer: ${redact(url)}`);
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
