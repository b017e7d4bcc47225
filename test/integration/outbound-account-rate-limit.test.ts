import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbox, type OutboxHandle } from '../../src/outbound/outbox.js';
import { outboundQueueName, partitionOf } from '../../src/outbound/queues.js';
import { createStatelessOutboundComponent, type OutboundWorker } from '../../src/outbound/worker.js';
import { queueOptions } from '../../src/queues/options.js';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * Telegram's flood wait is the bot's (Bot FAQ: ~30 messages a second to different chats; a 429's
 * retry_after is the wait before the bot may send again), and the fake Bot API refuses every chat
 * until it has passed. A 429 on one partition must hold all eight, in every sending process: the
 * others sending on would each get their own 429 and lengthen the wait.
 */

const PARTITIONS = 8;
/** The count of the workers' limiter for Telegram (worker.ts UNLIMITED): reached only by a pause. */
const PAUSED = 100_000;

let fake: FakeTelegramBotApi;
let ctx: TestContext;
let outbox: OutboxHandle;
const workers: OutboundWorker[] = [];

beforeAll(async () => {
  fake = await FakeTelegramBotApi.start({ knownChats: (chatId) => Number(chatId) > 0 });
  ctx = await createTestContext({ LOG_LEVEL: 'info', ...fake.env });
  outbox = createOutbox(ctx);
  // Two sending processes (ROLE=worker replicas) on the same partitions.
  for (let i = 0; i < 2; i++) {
    const worker = createStatelessOutboundComponent(ctx);
    if (!worker) throw new Error('telegram is not enabled in the test context');
    await worker.start();
    workers.push(worker);
  }
});
afterAll(async () => {
  for (const worker of workers) await worker.stop();
  await outbox?.close();
  await ctx?.cleanup();
  await fake?.close();
});

/** One chat id per partition, in partition order. */
function chatPerPartition(): string[] {
  const chats: (string | undefined)[] = Array.from({ length: PARTITIONS });
  for (let id = 7001; chats.includes(undefined); id++)
    chats[partitionOf(String(id), PARTITIONS)] ??= String(id);
  return chats as string[];
}

describe('outbound: an account-wide rate limit', () => {
  it('holds every partition of the channel until retry_after has passed, then sends each chat in order', async () => {
    const chats = chatPerPartition();
    const [first, ...others] = chats as [string, ...string[]];
    const before = fake.callCount;
    fake.rateLimit(1, { method: 'sendMessage' });

    // One chat is refused; its partition waits (set after the others', when they are paused).
    await outbox.send('telegram', first, [{ kind: 'text', text: `${first} 1` }]);
    const limited = await fake.waitForCall('sendMessage', () => true, { after: before, status: 429 });
    const refusedQueue = new Queue(outboundQueueName('telegram', 0), queueOptions(ctx));
    try {
      await pollUntil(
        'the refused partition paused',
        async () => (await refusedQueue.getRateLimitTtl()) > 0,
        {
          timeoutMs: 5_000,
          everyMs: 5,
        },
      );
    } finally {
      await refusedQueue.close();
    }

    // The other chats' messages arrive during the wait: none may leave before it has passed.
    await outbox.send('telegram', first, [
      { kind: 'text', text: `${first} 2` },
      { kind: 'text', text: `${first} 3` },
    ]);
    await Promise.all(
      others.map((chat) =>
        outbox.send(
          'telegram',
          chat,
          [1, 2, 3].map((n) => ({ kind: 'text', text: `${chat} ${n}` })),
        ),
      ),
    );
    await pollUntil(
      'every message sent',
      async () => chats.every((chat) => fake.messagesTo(chat, { after: before }).length === 3),
      { timeoutMs: 10_000 },
    );

    const sends = fake.calls.slice(before).filter((c) => c.method === 'sendMessage');
    const duringWait = sends.filter((c) => c !== limited && c.at - limited.at < 1_000);
    expect(
      duringWait.map((c) => ({
        chat: String(c.params.chat_id),
        status: c.status,
        afterMs: c.at - limited.at,
      })),
    ).toEqual([]);
    expect(sends.filter((c) => c.status === 429)).toEqual([limited]);
    for (const chat of chats)
      expect(fake.messagesTo(chat, { after: before }).map((m) => m.text)).toEqual([
        `${chat} 1`,
        `${chat} 2`,
        `${chat} 3`,
      ]);
  });

  it('keeps a longer pause a partition already had, and shortens none', async () => {
    const chats = chatPerPartition();
    const before = fake.callCount;
    const queues = chats.map((_, p) => new Queue(outboundQueueName('telegram', p), queueOptions(ctx)));
    try {
      // Partition 5 waits out a backoff of 10 s when partition 0 is told to wait 1 s.
      await queues[5]?.rateLimit(10_000);
      fake.rateLimit(1, { method: 'sendMessage' });
      await outbox.send('telegram', chats[0] as string, [{ kind: 'text', text: 'once' }]);
      await fake.waitForCall('sendMessage', () => true, { after: before, status: 429 });
      await pollUntil('the refused partition paused', async () => (await queues[0]?.getRateLimitTtl()) ?? 0, {
        timeoutMs: 5_000,
        everyMs: 5,
      });
      const ttls = await Promise.all(queues.map((q) => q.getRateLimitTtl()));
      expect(ttls[5]).toBeGreaterThan(8_000);
      for (const [p, ttl] of ttls.entries())
        if (p !== 5) expect({ p, paused: ttl > 0 && ttl <= 1_000 }).toEqual({ p, paused: true });
      await pollUntil(
        'the message sent',
        async () => fake.messagesTo(chats[0] as string, { after: before })[0],
        {
          timeoutMs: 5_000,
        },
      );
      expect(await queues[5]?.getRateLimitTtl()).toBeGreaterThan(7_000);
    } finally {
      await queues[5]?.rateLimit(1);
      await Promise.all(queues.map((q) => q.close()));
    }
  });

  it("holds only a group's own partition when the 429 answers a group (its 20 a minute)", async () => {
    const group = '-1009000001';
    fake.botJoinsGroup(group);
    const before = fake.callCount;
    const queues = Array.from(
      { length: PARTITIONS },
      (_, p) => new Queue(outboundQueueName('telegram', p), queueOptions(ctx)),
    );
    const own = partitionOf(group, PARTITIONS);
    try {
      fake.rateLimit(1, { method: 'sendMessage' });
      await outbox.send('telegram', group, [{ kind: 'text', text: 'kartu' }]);
      await fake.waitForCall('sendMessage', () => true, { after: before, status: 429 });
      await pollUntil(
        'the group partition paused',
        async () => (await queues[own]?.getRateLimitTtl(PAUSED)) ?? 0,
        {
          timeoutMs: 5_000,
          everyMs: 5,
        },
      );
      // A pause is the limiter key set past any count (queue.rateLimit); a partition that merely
      // sent within the last second has a key too, below the count.
      const ttls = await Promise.all(queues.map((q) => q.getRateLimitTtl(PAUSED)));
      for (const [p, ttl] of ttls.entries()) expect({ p, paused: ttl > 0 }).toEqual({ p, paused: p === own });
      await pollUntil('the card sent', async () => fake.messagesTo(group, { after: before })[0], {
        timeoutMs: 5_000,
      });
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
  });
});
