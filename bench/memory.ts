import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../src/services/processes.js';
import { benchContext, log, sleep, waitUntil } from './context.js';
import { verifiedChats } from './engine-kit.js';
import { seedCustomers } from './fixtures.js';
import { round } from './harness.js';
import type { Benchmark } from './run.js';

const MESSAGES = Number(process.env.BENCH_MEMORY_MESSAGES ?? 100_000);
const CHATS = 64;
/**
 * What the verified customers send, in turn: menus, help, the policy, language changes, questions
 * the bot does not understand, a cancelled access request, and `status` (a MongoDB read).
 */
const SCRIPT = ['menu', '7', 'english', '6', 'bahasa indonesia', 'halo', 'apa ini?', '1', 'batal', 'status'];
const MiB = 2 ** 20;

/** Resident set size of a process, from /proc (Linux). */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.replace(/\D+/g, '') ?? 0) / 1024;
}

function ask<T>(child: ChildProcess, message: object, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (reply: Record<string, unknown>) => {
      if (!(key in reply)) return;
      child.off('message', on);
      resolve(reply[key] as T);
    };
    child.on('message', on);
    child.send(message);
  });
}

/** RSS after a full collection, median of three readings a second apart. */
async function settledRss(child: ChildProcess): Promise<{ rss: number; heap: number }> {
  const readings: { rss: number; heap: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const memory = await ask<NodeJS.MemoryUsage>(child, { gc: true }, 'memory');
    readings.push({ rss: rssMiB(child.pid ?? 0), heap: memory.heapUsed / MiB });
    await sleep(1000);
  }
  readings.sort((a, b) => a.rss - b.rss);
  return readings[1] ?? { rss: 0, heap: 0 };
}

/**
 * Resident size of the whole app (`ROLE=all`: gateway with the web chat, request and outbound
 * workers, admin server) idle, then after MESSAGES messages through the web chat inbox, the
 * engine, the outbound queue and back to the web chat. Baselines: an empty Node process (idle),
 * and the app's own idle size (after 100k, so the ratio is the growth).
 */
const memory: Benchmark = async (env) => {
  const ctx = await benchContext(env, 'memory');
  const port = await freePort();
  const empty = fork('-e', ['setInterval(() => {}, 1000); process.send({ ready: true })'], {
    execArgv: [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let child: ChildProcess | undefined;
  try {
    await new Promise((resolve) => empty.once('message', resolve));
    await sleep(500);
    const emptyRss = rssMiB(empty.pid ?? 0);
    empty.kill();

    const customers = await seedCustomers(ctx, CHATS);
    const chats = await verifiedChats(ctx, customers);
    child = fork('bench/app-child.ts', [], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      env: { ...process.env, ...ctx.env, ROLE: 'all', WEBCHAT_ENABLED: 'true', ADMIN_PORT: String(port) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const started = child;
    const ready = await new Promise<{ components: string[] }>((resolve, reject) => {
      started.once('message', (m) => resolve(m as { components: string[] }));
      started.once('exit', (code) => reject(new Error(`app exited (${code}) before it was ready`)));
    });
    log(`app components: ${ready.components.join(', ')}`);
    await sleep(5000);
    const idle = await settledRss(child);

    // In segments, reading the size after each: growth that levels off is warm-up, not a leak.
    const segments = [0.1, 0.4, 0.7, 1].map((f) => Math.round(f * MESSAGES));
    const steps: string[] = [];
    let done = 0;
    let seconds = 0;
    let replies = 0;
    for (const upTo of segments) {
      const driven = await ask<{ seconds: number; replies: number }>(
        child,
        { drive: { chats, messages: upTo - done, script: SCRIPT } },
        'driven',
      );
      done = upTo;
      seconds += driven.seconds;
      replies += driven.replies;
      // Until the outbound worker has delivered every reply to the web chat.
      await waitUntil(
        'the replies to be delivered',
        async () => {
          const seqs = await ctx.redis.mget(...chats.map((c) => ctx.key('webchat', 'replies', c, 'seq')));
          return seqs.reduce((sum, s) => sum + Number(s ?? 0), 0) >= replies;
        },
        10 * 60_000,
      );
      if (upTo < MESSAGES) steps.push(`${upTo / 1000}k: ${round((await settledRss(child)).rss, 1)} MiB`);
    }
    await sleep(5000);
    const after = await settledRss(child);
    log(
      `${MESSAGES} messages, ${CHATS} chats at once, in ${round(seconds, 1)} s (${round(MESSAGES / seconds)} msg/s); ${replies} replies delivered to the web chat`,
    );
    log(
      `resident size: idle ${round(idle.rss, 1)} MiB, ${steps.join(', ')}, ${MESSAGES / 1000}k: ${round(after.rss, 1)} MiB`,
    );
    log(`heap used: idle ${round(idle.heap, 1)} MiB, after ${round(after.heap, 1)} MiB`);
    return {
      memory_idle: {
        value: round(idle.rss, 1),
        unit: 'MiB',
        baseline: round(emptyRss, 1),
        ratio: round(idle.rss / emptyRss, 2),
      },
      memory_after_100k: {
        value: round(after.rss, 1),
        unit: 'MiB',
        baseline: round(idle.rss, 1),
        ratio: round(after.rss / idle.rss, 3),
      },
    };
  } finally {
    if (!empty.killed) empty.kill();
    if (child && child.exitCode === null) {
      await Promise.race([ask(child, { stop: true }, 'stopped'), sleep(15_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await ctx.cleanup();
  }
};
export default memory;
