import { redisRoundTrips } from './baselines.js';
import { benchContext, log } from './context.js';
import { buildEngine, textMessage, verifiedChats } from './engine-kit.js';
import { seedCustomers } from './fixtures.js';
import { latencies, profiled, round } from './harness.js';
import type { Benchmark } from './run.js';

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

/**
 * A verified customer asking `status`, many chats at once, through ConversationEngine.handle with
 * its Redis sessions and the MongoDB read of the customer's requests. Baseline: raw ioredis
 * GET+SET round trips with as many in flight.
 */
const inbound: Benchmark = async (env) => {
  const ctx = await benchContext(env, 'inbound');
  const { engine, close } = buildEngine(ctx);
  try {
    const customers = await seedCustomers(ctx, CHATS);
    const chats = await verifiedChats(ctx, customers);
    // First contact says welcome; warm the JIT and the connection pools too.
    await driveChats(chats, CHATS * 3, (chatId) => engine.handle(textMessage(chatId, 'status')));
    let wrong = 0;
    const run = await profiled('inbound-status', () =>
      driveChats(
        chats,
        MESSAGES,
        async (chatId) => {
          const replies = await engine.handle(textMessage(chatId, 'status'));
          if (!replies.some((r) => r.kind === 'text' && r.text.includes('PR-'))) wrong++;
        },
        SECONDS,
      ),
    );
    if (wrong > 0) throw new Error(`${wrong} status replies did not show the request`);
    const baseline = await redisRoundTrips(env.redisUrl, 50_000, CHATS);

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
    };
  } finally {
    await close();
    await ctx.cleanup();
  }
};
export default inbound;
