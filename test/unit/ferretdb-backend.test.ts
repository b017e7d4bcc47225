import { describe, expect, it } from 'vitest';
import { FERRETDB_CONCURRENT_WRITES, FERRETDB_WRITE_STATEMENTS } from '../../src/db/index.js';
import {
  FERRETDB_POOL_MAX_CONNS,
  ferretdbArgs,
  ferretdbBackend,
  postgresqlUrlFrom,
} from '../../src/services/ferretdb.js';

const PG = 'postgres://postgres@127.0.0.1:5432/hakdata';

describe('FerretDB backends', () => {
  it('starts on SQLite without FERRETDB_POSTGRESQL_URL', () => {
    const args = ferretdbArgs('/tmp/x', 27018, ferretdbBackend(postgresqlUrlFrom({})));
    expect(args).toContain('--handler=sqlite');
    expect(args.some((a) => a.startsWith('--postgresql-url'))).toBe(false);
  });

  it('starts on PostgreSQL with the pool capped when it is set', () => {
    const args = ferretdbArgs(
      '/tmp/x',
      27018,
      ferretdbBackend(postgresqlUrlFrom({ FERRETDB_POSTGRESQL_URL: PG })),
    );
    expect(args).toContain('--handler=postgresql');
    expect(args).toContain(`--postgresql-url=${PG}?pool_max_conns=${FERRETDB_POOL_MAX_CONNS}`);
    expect(args.some((a) => a.startsWith('--sqlite-url'))).toBe(false);
  });

  it('refuses a URL that is not PostgreSQL or that sets the pool itself', () => {
    expect(() => postgresqlUrlFrom({ FERRETDB_POSTGRESQL_URL: 'mysql://127.0.0.1/x' })).toThrow(
      /FERRETDB_POSTGRESQL_URL: must be a postgres/,
    );
    expect(() => postgresqlUrlFrom({ FERRETDB_POSTGRESQL_URL: `${PG}?pool_max_conns=50` })).toThrow(
      /pool_max_conns/,
    );
  });

  it('sizes the pool above what the chunked writes running at once hold, and well below max_connections', () => {
    expect(FERRETDB_POOL_MAX_CONNS).toBeGreaterThan(FERRETDB_CONCURRENT_WRITES * FERRETDB_WRITE_STATEMENTS);
    // PostgreSQL's default max_connections is 100: a quarter each for a few FerretDBs at once.
    expect(FERRETDB_POOL_MAX_CONNS).toBeLessThanOrEqual(25);
  });
});
