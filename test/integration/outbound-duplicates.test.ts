import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/channels/types.js';
import { logTag } from '../../src/logging/logger.js';
import { createOutbox, type OutboxHandle } from '../../src/outbound/outbox.js';
import { outboundQueueName, partitionOf } from '../../src/outbound/queues.js';
import { queueOptions } from '../../src/queues/options.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

/**
 * A message BullMQ deduplication skips is never silent: the outbox logs it (queue and masked chat
 * tag, no personal data) and counts it. No worker runs here: what the queue holds is the proof.
 */

let ctx: TestContext;
let outbox: OutboxHandle;
const queues: Queue[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  outbox = createOutbox(ctx);
});
afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  await outbox.close();
  await ctx.cleanup();
});

const text = (t: string): OutboundMessage => ({ kind: 'text', text: t });

function queueOf(channel: string, chatId: string): Queue {
  const queue = new Queue(outboundQueueName(channel, partitionOf(chatId, 8)), queueOptions(ctx));
  queues.push(queue);
  return queue;
}

const skipLines = () => ctx.logLines.filter((l) => l.includes('outbound skipped as a duplicate'));

describe('outbox duplicates', () => {
  it('counts and logs every message skipped as a duplicate, without the chat id', async () => {
    const chatId = '5550001';
    const queue = queueOf('fake-dup', chatId);
    const before = outbox.stats().duplicatesSkipped;
    const meta = { dedupeKey: `reply:fake-dup:${chatId}:1`, purpose: 'reply' as const };

    await outbox.send('fake-dup', chatId, [text('one'), text('two')], meta);
    expect(outbox.stats().duplicatesSkipped).toBe(before);
    expect(skipLines()).toHaveLength(0);

    // The same key again (a redelivered update, a retried producer): nothing new is queued.
    await outbox.send('fake-dup', chatId, [text('one'), text('two')], meta);
    await outbox.send('fake-dup', chatId, [text('one')], meta);
    expect(outbox.stats().duplicatesSkipped).toBe(before + 3);
    expect(await queue.getWaitingCount()).toBe(2);

    const lines = skipLines();
    expect(lines).toHaveLength(2);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 30, // pino's info
      queue: queue.name,
      chatTag: logTag(ctx.config.otp.secret, `fake-dup:${chatId}`),
      skipped: 2,
      purpose: 'reply',
    });
    for (const l of lines) expect(l).not.toContain(chatId);
    // The deduplication id BullMQ keeps is keyed: an unkeyed digest of `reply:<channel>:<chat>:<n>`
    // would give the chat id back to anyone who hashes candidates.
    const plain = createHash('sha256').update(meta.dedupeKey).digest('hex');
    const dedupeKeys = await ctx.redis.keys(`${queue.opts.prefix}:${queue.name}:de:*`);
    expect(dedupeKeys.length).toBeGreaterThan(0);
    for (const k of dedupeKeys) expect(k).not.toContain(plain);
  });

  it('does not count messages whose keys differ only by chat as duplicates', async () => {
    // Two chats of one partition whose platform message ids are equal: keys carry the chat.
    const chats: string[] = [];
    for (let i = 7000; chats.length < 2; i++) {
      if (chats.length === 0 || partitionOf(String(i), 8) === partitionOf(chats[0] ?? '', 8))
        chats.push(String(i));
    }
    const before = outbox.stats().duplicatesSkipped;
    const linesBefore = skipLines().length;
    for (const chatId of chats)
      await outbox.send('fake-dup2', chatId, [text('halo')], {
        dedupeKey: `reply:fake-dup2:${chatId}:1`,
        purpose: 'reply',
      });
    expect(outbox.stats().duplicatesSkipped).toBe(before);
    expect(skipLines()).toHaveLength(linesBefore);
    expect(await queueOf('fake-dup2', chats[0] ?? '').getWaitingCount()).toBe(2);
  });
});
