import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/channels/types.js';
import { createOutbox } from '../../src/outbound/outbox.js';
import { createOutboundWorker } from '../../src/outbound/worker.js';
import { queueOptions, workerConnection } from '../../src/queues/options.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

const MESSAGES = 2000;
const CHATS = 200;
const PRODUCERS = 50;

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ LOG_LEVEL: 'info' });
});
afterAll(async () => ctx.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Queues `count` items with PRODUCERS concurrent callers, like gateway handlers replying at once. */
async function produce(count: number, add: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (next < count) await add(next++);
    }),
  );
}

async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(2);
  }
}

describe('outbound throughput', () => {
  it('moves messages through the partitioned queue at a useful fraction of raw BullMQ', async () => {
    // Through the outbox and the outbound worker, with an adapter that sends nowhere.
    let sent = 0;
    const noop: ChannelAdapter = {
      name: 'bench',
      start: async () => {},
      stop: async () => {},
      health: () => ({ ok: true, state: 'noop' }),
      send: async () => {
        sent += 1;
        return {};
      },
    };
    const outbox = createOutbox(ctx);
    const worker = createOutboundWorker(ctx, { channels: ['bench'], resolveAdapter: () => noop });
    await worker.start();
    let started = Date.now();
    await produce(MESSAGES, (i) =>
      outbox.send('bench', String(10_000 + (i % CHATS)), [{ kind: 'text', text: `m${i}` }]),
    );
    await until(() => sent === MESSAGES);
    const outboxRate = MESSAGES / ((Date.now() - started) / 1000);
    await worker.stop();
    await outbox.close();

    // Raw BullMQ: one queue, no-op processor, the same parallelism (8), the same producers.
    let done = 0;
    const queue = new Queue('bench-raw', {
      ...queueOptions(ctx),
      defaultJobOptions: { removeOnComplete: true },
    });
    const connection = workerConnection(ctx);
    const raw = new Worker(
      'bench-raw',
      async () => {
        done += 1;
      },
      { connection, prefix: ctx.config.redisPrefix, concurrency: 8 },
    );
    await raw.waitUntilReady();
    started = Date.now();
    await produce(MESSAGES, (i) => queue.add('m', { chatId: String(10_000 + (i % CHATS)), text: `m${i}` }));
    await until(() => done === MESSAGES);
    const rawRate = MESSAGES / ((Date.now() - started) / 1000);
    await raw.close();
    await queue.close();
    await connection.quit();

    const ratio = outboxRate / rawRate;
    console.warn(
      `[measure] outbound ${outboxRate.toFixed(0)} msg/s, raw BullMQ ${rawRate.toFixed(0)} jobs/s, ` +
        `ratio ${ratio.toFixed(2)} (${MESSAGES} messages, ${CHATS} chats, 8 partitions)`,
    );
    expect(sent).toBe(MESSAGES);
    // Per-chat ordering costs parallelism within a partition, not the queue's speed.
    expect(ratio).toBeGreaterThan(0.2);
  });
});
