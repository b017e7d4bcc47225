import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadEnvFiles } from '../../src/cli/env.js';
import { mongoAnswers, mongoBase } from '../../src/services/local-services.js';
import { freePort } from '../../src/services/processes.js';
import { readServicesEnv, servicesEnvPath } from '../../src/services/services-env.js';
import { pollUntil } from '../helpers/poll.js';
import { deleteKeys } from '../helpers/redis-keys.js';

/**
 * Issue 19, finding 8: `npm run demo`, Ctrl-C, `npm run demo` again failed with "MongoDB at
 * MONGODB_URI does not answer", because `.hakdata/services.env` still named the FerretDB the
 * first run had stopped. Played here as a newcomer does it, through npm, with Ctrl-C as a
 * terminal sends it: SIGINT to every process of the foreground job's process group.
 */

// The demo must start its own MongoDB-wire server for this to be the newcomer's case; a
// developer's mongod on the default port would be used instead, and there is nothing to restart.
const defaultMongoAnswers = await mongoAnswers('mongodb://127.0.0.1:27017');

interface Job {
  child: ChildProcess;
  output(): string;
  exited: Promise<unknown>;
}

const jobs: Job[] = [];
let stateDir: string;
let redis: Redis;
const prefix = `t_restart_${process.pid}`;

/** `npm run <script>` as a terminal's foreground job: its own process group, like a shell's. */
function npmRun(script: string, env: Record<string, string>): Job {
  let output = '';
  const child = spawn('npm', ['run', script], {
    env: { ...newcomerEnv(), ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const job = { child, output: () => output, exited: once(child, 'exit') };
  jobs.push(job);
  return job;
}

/** The environment of someone who cloned the repository: no NODE_ENV, no MONGODB_URI. */
function newcomerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !['NODE_ENV', 'MONGODB_URI', 'REDIS_URL', 'ADMIN_PORT'].includes(k)) env[k] = v;
  return {
    ...env,
    // The run's Redis (the default port on a newcomer's machine), with a prefix of this test's own.
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: prefix,
    HAKDATA_STATE_DIR: stateDir,
    LOG_LEVEL: 'info',
  };
}

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Ctrl-C: SIGINT to the whole group (npm, its shell, node, and the servers the demo started). */
async function ctrlC(job: Job): Promise<void> {
  const pgid = job.child.pid as number;
  process.kill(-pgid, 'SIGINT');
  await job.exited;
  await pollUntil('every process of the job to exit', async () => !groupAlive(pgid), {
    timeoutMs: 20_000,
    explain: async () => job.output().slice(-2000),
  });
}

async function answers(url: string): Promise<boolean> {
  const res = await fetch(url).catch(() => undefined);
  return res?.status === 200;
}

async function demoUp(job: Job, port: number): Promise<void> {
  await pollUntil(
    'the demo to say it is running',
    async () =>
      job.output().includes('Press Ctrl-C to stop.') && (await answers(`http://127.0.0.1:${port}/readyz`)),
    { timeoutMs: 150_000, everyMs: 250, explain: async () => job.output().slice(-3000) },
  );
}

beforeAll(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'hakdata-restart-'));
  redis = new Redis(inject('redisUrl'));
});

afterAll(async () => {
  for (const job of jobs)
    if (job.child.pid && groupAlive(job.child.pid)) process.kill(-job.child.pid, 'SIGKILL');
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
  rmSync(stateDir, { recursive: true, force: true });
});

describe.skipIf(defaultMongoAnswers)('restarting the demo', () => {
  it('demo, Ctrl-C, demo again, then npm start beside it: all come up; Ctrl-C leaves no services.env', async () => {
    const file = servicesEnvPath(stateDir);
    const demoPort = await freePort();
    const first = npmRun('demo', { ADMIN_PORT: String(demoPort) });
    await demoUp(first, demoPort);
    expect(first.output()).toMatch(/started (FerretDB|mongod) /);
    const firstMongo = readServicesEnv(stateDir)?.values.MONGODB_URI ?? '';
    expect(firstMongo).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/hakdata$/);

    await ctrlC(first);
    expect(first.output()).toContain('"msg":"stopped"');
    expect(first.output()).not.toContain('second signal');
    expect(existsSync(file), 'services.env outlived the servers it names').toBe(false);
    expect(await mongoAnswers(mongoBase(firstMongo))).toBe(false);

    const second = npmRun('demo', { ADMIN_PORT: String(demoPort) });
    await demoUp(second, demoPort);
    expect(second.output()).not.toMatch(/does not answer|ignoring/);
    expect(second.output()).toMatch(/started (FerretDB|mongod) /);

    // `npm start` in a second terminal reads the demo's services.env and comes up on its servers.
    const startPort = await freePort();
    const start = npmRun('start', { ADMIN_PORT: String(startPort) });
    await pollUntil('npm start to be ready', () => answers(`http://127.0.0.1:${startPort}/readyz`), {
      timeoutMs: 120_000,
      everyMs: 250,
      explain: async () => start.output().slice(-3000),
    });
    expect(start.output()).not.toMatch(/does not answer|ignoring/);

    const secondMongo = readServicesEnv(stateDir)?.values.MONGODB_URI ?? '';
    await Promise.all([ctrlC(start), ctrlC(second)]);
    for (const job of [start, second]) {
      expect(job.output()).toContain('"msg":"stopped"');
      expect(job.output()).not.toContain('second signal');
    }
    expect(existsSync(file)).toBe(false);
    expect(await mongoAnswers(mongoBase(secondMongo))).toBe(false);
  }, 420_000);
});

describe('a services.env whose servers are gone', () => {
  const deadPid = async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    return child.pid as number;
  };
  const write = async (dir: string, pid: number, mongo: string) =>
    writeFileSync(
      servicesEnvPath(dir),
      `# written by hakdata (pid ${pid}); removed when the servers it started stop\nREDIS_URL=${inject('redisUrl')}\nMONGODB_URI=${mongo}/hakdata\n`,
    );
  const load = async (dir: string, env: NodeJS.ProcessEnv = {}) => {
    const notices: string[] = [];
    await loadEnvFiles({
      env,
      stateDir: dir,
      dotenvPath: join(dir, 'no.env'),
      notice: (l) => notices.push(l),
    });
    return { env, notices };
  };

  it('is ignored with a one-line notice, and removed once the process that wrote it is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hakdata-stale-'));
    try {
      const gone = `mongodb://127.0.0.1:${await freePort()}`;
      await write(dir, await deadPid(), gone);
      const stale = await load(dir);
      expect(stale.env).toEqual({});
      expect(stale.notices).toHaveLength(1);
      expect(stale.notices[0]).toMatch(
        /^hakdata: ignoring .*services\.env: the servers it names no longer answer \(removed it\)\.$/,
      );
      expect(existsSync(servicesEnvPath(dir))).toBe(false);

      // Its writer still running (servers restarting, say): ignored, but left for it to manage.
      await write(dir, process.pid, gone);
      const busy = await load(dir);
      expect(busy.env).toEqual({});
      expect(busy.notices[0]).toMatch(/no longer answer\.$/);
      expect(existsSync(servicesEnvPath(dir))).toBe(true);

      // Settings of one's own win, and then the file is not even consulted.
      const own = await load(dir, { REDIS_URL: 'redis://own:6379', MONGODB_URI: 'mongodb://own:27017/x' });
      expect(own.notices).toEqual([]);
      expect(own.env).toEqual({ REDIS_URL: 'redis://own:6379', MONGODB_URI: 'mongodb://own:27017/x' });

      // Servers that answer: the file is configuration, as before.
      await write(dir, await deadPid(), inject('mongoBaseUri'));
      const live = await load(dir, { NODE_ENV: 'development' });
      expect(live.notices).toEqual([]);
      expect(live.env).toEqual({
        NODE_ENV: 'development',
        REDIS_URL: inject('redisUrl'),
        MONGODB_URI: `${inject('mongoBaseUri')}/hakdata`,
      });
      expect(readFileSync(servicesEnvPath(dir), 'utf8')).toContain('MONGODB_URI=');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
