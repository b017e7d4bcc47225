import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
 * Arguments for a local FerretDB on SQLite. `synchronous(normal)` (with FerretDB's default WAL)
 * skips an fsync per write, halving write latency: a killed process loses nothing, a power cut
 * may lose the last writes, which is fine for the development and test server this is.
 */
export function ferretdbArgs(dataDir: string, port: number): string[] {
  return [
    '--handler=sqlite',
    `--sqlite-url=file:${dataDir}/?_pragma=synchronous(normal)`,
    `--listen-addr=127.0.0.1:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    `--state-dir=${dataDir}`,
    '--log-level=error',
  ];
}
