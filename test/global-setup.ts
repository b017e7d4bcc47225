import type { TestProject } from 'vitest/node';
import { postgresqlUrlFrom } from '../src/services/ferretdb.js';
import { ensureLocalServices } from '../src/services/local-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    mongoBaseUri: string;
  }
}

/**
 * One real Redis and one real MongoDB-wire server for the whole run, started if missing: FerretDB
 * on SQLite (CI), or on PostgreSQL when FERRETDB_POSTGRESQL_URL is set. Each test file then takes
 * its own database (on PostgreSQL, a schema) and Redis key prefix (test/helpers/context.ts).
 */
export default async function setup(project: TestProject) {
  const services = await ensureLocalServices({
    redisUrl: process.env.REDIS_URL,
    mongodbUri: process.env.MONGODB_URI,
    privateMongo: !process.env.MONGODB_URI,
    postgresqlUrl: postgresqlUrlFrom(),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  project.provide('redisUrl', services.redisUrl);
  project.provide('mongoBaseUri', services.mongoBaseUri);
  return () => services.stop();
}
