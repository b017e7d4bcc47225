import { collectDefaultMetrics } from 'prom-client';
import { countInbound } from '../src/metrics/inbound.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { countSent } from '../src/metrics/outbound.js';
import { watchInstallation } from '../src/metrics/sources.js';
import { installationSources } from '../src/workers/queue-names.js';
import { redisRoundTrips } from './baselines.js';
import { benchContext, log } from './context.js';
import { buildEngine, textMessage, verifiedChats } from './engine-kit.js';
import { seedCustomers } from './fixtures.js';
import { latencies, profiled, round } from './harness.js';
import type { Benchmark } from './run.js';

type Run = Awaited<ReturnType<typeof driveChats>>;

/**
 * The instrumentation of one answered message, alone: the inbound counter, then for its first
 * reply the sent counter and the latency histogram. Nanoseconds per message over a million.
 */
function instrumentationNs(count = 1_000_000): number {
  const probe = createMetrics();
  const reply = {
    channel: 'webchat',
    meta: { purpose: 'reply' as const, inboundAt: Date.now() },
    part: { index: 0 },
  };
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    probe.inboundMessages.inc({ channel: 'webchat', outcome: 'replied' });
    countSent(probe, reply);
  }
  return ((performance.now() - started) * 1e6) / count;
}

/** Rounds of one variant as one figure: all messages over all the time they took. */
function combine(runs: Run[]): Run & { seconds: number } {
  const count = runs.reduce((n, r) => n + r.count, 0);
  const seconds = runs.reduce((s, r) => s + r.count / r.perSecond, 0);
  return { count, seconds, perSecond: count / seconds, samplesMs: runs.flatMap((r) => r.samplesMs) };
}

const CHATS = Number(process.env.BENCH_CHATS ?? 64);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 50_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);

/**
 * Up to `count` messages spread over `chats` chats, each chat sending its next one after its
 * reply, for at most `seconds`: the rate is what was done in the time taken.
 */
export async function driveChats(
  chats: string[],
  count: number,
  send: (chatId: string) => Promise<unknown>,
  seconds = Number.POSITIVE_INFINITY,
): Promise<{ perSecond: number; samplesMs: number[]; count: number }> {
  const samplesMs: number[] = [];
  let sent = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    chats.map(async (chatId) => {
      while (sent < count && performance.now() < deadline) {
        sent++;
        const t0 = performance.now();
        await send(chatId);
        samplesMs.push(performance.now() - t0);
      }
    }),
  );
  return { perSecond: sent / ((performance.now() - started) / 1000), samplesMs, count: sent };
}

/** Rounds of each variant, alternated (off on, on off, …) so drift in the machine hits both alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
/** Prometheus scrapes every 15 s; the "on" rounds are scraped every 5 s, a harsher case. */
const SCRAPE_EVERY_MS = 5_000;

/**
 * A verified customer asking `status`, many chats at once, through ConversationEngine.handle with
 * its Redis sessions and the MongoDB read of the customer's requests, counted as the gateway
 * counts it (src/metrics/inbound.ts). Metrics on (as in production: the context's Registry, the
 * inbound counter, the registry scraped) and off (no Registry in the context) in alternating
 * rounds of one run. Baseline: raw ioredis GET+SET round trips with as many in flight.
 */
const inbound: Benchmark = async (env) => {
  const ctx = await benchContext(env, 'inbound');
  const metrics = ctx.metrics;
  if (!metrics) throw new Error('the bench context has no metrics');
  collectDefaultMetrics({ register: metrics.registry, prefix: 'hakdata_' });
  const installation = watchInstallation(ctx, metrics, installationSources(ctx));
  const on = buildEngine(ctx);
  const off = buildEngine({ ...ctx, metrics: undefined });
  const engine = on.engine;
  const close = async () => {
    await Promise.all([on.close(), off.close()]);
    await installation.close();
  };
  const handlers = {
    on: countInbound(metrics, (m) => on.engine.handle(m)),
    off: countInbound(undefined, (m) => off.engine.handle(m)),
  };
  try {
    const customers = await seedCustomers(ctx, CHATS);
    const chats = await verifiedChats(ctx, customers);
    // First contact says welcome; warm the JIT and the connection pools too.
    for (const handle of [handlers.on, handlers.off])
      await driveChats(chats, CHATS * 3, (chatId) => handle(textMessage(chatId, 'status')));
    let wrong = 0;
    const runs = { on: [] as Run[], off: [] as Run[] };
    await profiled('inbound-status', async () => {
      for (let r = 0; r < ROUNDS; r++) {
        // ABBA: each variant goes first in every other round, so the order favours neither.
        const order = r % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
        for (const variant of order) {
          const handle = handlers[variant];
          const scraper =
            variant === 'on'
              ? setInterval(() => void metrics.registry.metrics(), SCRAPE_EVERY_MS)
              : undefined;
          try {
            const part = await driveChats(
              chats,
              MESSAGES,
              async (chatId) => {
                const replies = await handle(textMessage(chatId, 'status'));
                if (!replies.some((r) => r.kind === 'text' && r.text.includes('PR-'))) wrong++;
              },
              SECONDS / ROUNDS,
            );
            runs[variant].push(part);
            log(`round ${r + 1}, metrics ${variant}: ${round(part.perSecond)} msg/s`);
          } finally {
            clearInterval(scraper);
          }
        }
      }
    });
    if (wrong > 0) throw new Error(`${wrong} status replies did not show the request`);
    const run = combine(runs.on);
    const runOff = combine(runs.off);
    const counted = (await metrics.registry.getSingleMetricAsString('hakdata_inbound_messages_total')).match(
      /outcome="replied"} (\d+)/,
    );
    if (!counted || Number(counted[1]) < run.count)
      throw new Error('the metrics-on rounds did not count their messages');
    const baseline = await redisRoundTrips(env.redisUrl, 50_000, CHATS);
    const instrumentation = instrumentationNs();

    // Where the time goes: the same engine on a message that reads no MongoDB (the menu), and
    // the MongoDB read `status` makes, alone, with as many in flight.
    const menu = await profiled('inbound-menu', () =>
      driveChats(chats, MESSAGES, (chatId) => engine.handle(textMessage(chatId, 'menu')), 10),
    );
    const requests = ctx.mongo.collection('privacyrequests');
    const mongo = await driveChats(
      chats,
      MESSAGES,
      async (chatId) => {
        const i = Number(chatId.split('-').pop());
        await requests.find({ customerId: customers[i] }).sort({ createdAt: -1 }).limit(5).toArray();
      },
      10,
    );
    log(`${run.count} status messages over ${CHATS} chats in parallel; baseline GET+SET, ${CHATS} in flight`);
    log(
      `metrics on ${round(run.perSecond)} msg/s, off ${round(runOff.perSecond)} msg/s (${ROUNDS} rounds each, ABBA): on ÷ off = ${round(run.perSecond / runOff.perSecond, 3)}`,
    );
    log(
      `breakdown: engine on 'menu' (no MongoDB) ${round(menu.perSecond)} msg/s, p50 ${latencies(menu.samplesMs).p50_ms} ms`,
    );
    log(
      `breakdown: the MongoDB read alone (driver) ${round(mongo.perSecond)} reads/s, p50 ${latencies(mongo.samplesMs).p50_ms} ms`,
    );
    return {
      inbound_messages: {
        value: round(run.perSecond),
        unit: 'msg/s',
        baseline: round(baseline),
        ratio: round(run.perSecond / baseline, 3),
        ...latencies(run.samplesMs),
      },
      inbound_messages_metrics_off: {
        value: round(runOff.perSecond),
        unit: 'msg/s',
        baseline: round(baseline),
        ratio: round(runOff.perSecond / baseline, 3),
        ...latencies(runOff.samplesMs),
      },
      // The cost of metrics: the figure with them beside the figure without, same run.
      inbound_metrics_on_vs_off: {
        value: round(run.perSecond),
        unit: 'msg/s',
        baseline: round(runOff.perSecond),
        ratio: round(run.perSecond / runOff.perSecond, 3),
      },
      // The same cost without the machine's noise: what the metrics add to one answered message,
      // beside the process's time per message (one thread) with metrics off.
      metrics_ns_per_message: {
        value: round(instrumentation),
        unit: 'ns',
        baseline: round(1e9 / runOff.perSecond),
        ratio: round(instrumentation / (1e9 / runOff.perSecond), 5),
      },
    };
  } finally {
    await close();
    await ctx.cleanup();
  }
};
export default inbound;
