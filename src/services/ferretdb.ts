import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { envFields } from '../config/index.js';
import { FERRETDB_CONCURRENT_WRITES, FERRETDB_WRITE_STATEMENTS } from '../db/index.js';
import { findOnPath, isExecutable } from './processes.js';

const run = promisify(execFile);
export const FERRETDB_VERSION = 'v1.24.2';
const MODULE = 'github.com/FerretDB/FerretDB';

/** Where a built FerretDB is kept between clones of the project on one machine. */
export function ferretdbCacheDir(): string {
  return (
    process.env.HAKDATA_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hakdata')
  );
}

/** A FerretDB binary: on PATH, in the project's cache, or built once from the Go module proxy. */
export async function findOrBuildFerretdb(log: (line: string) => void): Promise<string> {
  const onPath = findOnPath('ferretdb');
  if (onPath) return onPath;
  const cached = join(ferretdbCacheDir(), 'bin', `ferretdb-${FERRETDB_VERSION}`);
  if (isExecutable(cached)) return cached;

  const go = findOnPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      'No MongoDB server found: set MONGODB_URI, put mongod or ferretdb on PATH, or install Go so hakdata can build FerretDB.',
    );
  }
  log(`Building FerretDB ${FERRETDB_VERSION} once with Go (about a minute; cached in ${cached})…`);
  // `go install …@v1.24.2` builds a binary that panics at start: the module lacks the
  // version.txt its release builds generate. Build from a copy of the module with that file.
  const { stdout } = await run(go, ['mod', 'download', '-json', `${MODULE}@${FERRETDB_VERSION}`], {
    maxBuffer: 10 * 1024 * 1024,
  });
  const dir = (JSON.parse(stdout) as { Dir?: string }).Dir;
  if (!dir || !existsSync(dir)) throw new Error(`go mod download gave no source directory for ${MODULE}`);
  const work = mkdtempSync(join(tmpdir(), 'hakdata-ferretdb-'));
  try {
    // The module cache is read-only; the copy must be writable to add the file and be removed.
    await run('cp', ['-R', `${dir}/.`, work]);
    await run('chmod', ['-R', 'u+w', work]);
    writeFileSync(join(work, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    mkdirSync(join(ferretdbCacheDir(), 'bin'), { recursive: true });
    const tmpOut = `${cached}.tmp-${process.pid}`;
    await run(go, ['build', '-buildvcs=false', '-o', tmpOut, './cmd/ferretdb'], {
      cwd: work,
      maxBuffer: 10 * 1024 * 1024,
    });
    // Rename is atomic: two parallel first runs cannot leave a half-written binary.
    await run('mv', ['-f', tmpOut, cached]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log('FerretDB built.');
  return cached;
}

/**
 * Connections FerretDB may open to PostgreSQL: well below the server's `max_connections` (100 by
 * default), so a few FerretDBs (the suite's, the reliability tests' own, `npm run services`) fit
 * beside each other, yet above what the chunked writes that may run at once can hold
 * (src/db/chunked.ts), so one of them always finds a connection to finish with.
 */
export const FERRETDB_POOL_MAX_CONNS = (FERRETDB_CONCURRENT_WRITES + 1) * FERRETDB_WRITE_STATEMENTS;

/** Where a local FerretDB keeps its data: SQLite files in its directory, or a PostgreSQL database. */
export type FerretdbBackend = { handler: 'sqlite' } | { handler: 'postgresql'; url: string };

export function ferretdbBackend(postgresqlUrl: string | undefined): FerretdbBackend {
  return postgresqlUrl ? { handler: 'postgresql', url: postgresqlUrl } : { handler: 'sqlite' };
}

/** The PostgreSQL URL FerretDB is given: the setting's, with the pool capped (the setting may not set it). */
export function ferretdbPostgresqlUrl(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('pool_max_conns', String(FERRETDB_POOL_MAX_CONNS));
  return parsed.toString();
}

/**
 * Arguments for a local FerretDB. On SQLite, `synchronous(normal)` (with FerretDB's default WAL)
 * skips an fsync per write, halving write latency: a killed process loses nothing, a power cut
 * may lose the last writes, which is fine for the development and test server this is. The
 * state directory (FerretDB's own state file; SQLite's data) is `dataDir` either way.
 */
export function ferretdbArgs(
  dataDir: string,
  port: number,
  backend: FerretdbBackend = { handler: 'sqlite' },
): string[] {
  const storage =
    backend.handler === 'postgresql'
      ? ['--handler=postgresql', `--postgresql-url=${ferretdbPostgresqlUrl(backend.url)}`]
      : ['--handler=sqlite', `--sqlite-url=file:${dataDir}/?_pragma=synchronous(normal)`];
  return [
    ...storage,
    `--listen-addr=127.0.0.1:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    `--state-dir=${dataDir}`,
    '--log-level=error',
  ];
}

/** How `started` names it, without the URL's password. */
export function describeBackend(backend: FerretdbBackend, dataDir: string): string {
  if (backend.handler === 'sqlite') return `SQLite in ${dataDir}`;
  const url = new URL(backend.url);
  return `PostgreSQL ${url.host}${url.pathname}, pool_max_conns=${FERRETDB_POOL_MAX_CONNS}`;
}

/**
 * FERRETDB_POSTGRESQL_URL as the setting's schema checks it, for the commands that start servers
 * before (or without) loading the whole configuration: services, demo, the tests, the bench.
 */
export function postgresqlUrlFrom(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env.FERRETDB_POSTGRESQL_URL;
  if (raw === undefined || raw === '') return undefined;
  const parsed = envFields.FERRETDB_POSTGRESQL_URL.schema.safeParse(raw);
  if (!parsed.success)
    throw new Error(
      `FERRETDB_POSTGRESQL_URL: ${parsed.error.issues[0]?.message ?? 'invalid'} (example: ${envFields.FERRETDB_POSTGRESQL_URL.example})`,
    );
  return raw;
}
