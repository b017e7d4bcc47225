import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/channels/types.js';
import { createOutbox, type OutboxHandle } from '../../src/outbound/outbox.js';
import { createOutboundWorker } from '../../src/outbound/worker.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * `backlog(channel)`: what a bulk producer (promotions) reads to keep a channel's queue short.
 * Messages queued and not yet taken, over all the channel's partitions; other channels apart.
 */

let ctx: TestContext;
let outbox: OutboxHandle;
const partitions = () => 4;

beforeAll(async () => {
  ctx = await createTestContext();
  outbox = createOutbox(ctx, { partitions });
});
afterAll(async () => {
  await outbox.close();
  await ctx.cleanup();
});

const text = (t: string): OutboundMessage => ({ kind: 'text', text: t });

describe('outbox backlog', () => {
  it('counts what waits on every partition of a channel, and drops to zero once sent', async () => {
    expect(await outbox.backlog('fake-backlog')).toBe(0);
    // Chats spread over the partitions; two messages in one call are two jobs.
    for (let i = 0; i < 6; i++) await outbox.send('fake-backlog', `chat-${i}`, [text('a'), text('b')]);
    await outbox.send('fake-other', 'chat-0', [text('elsewhere')]);
    expect(await outbox.backlog('fake-backlog')).toBe(12);
    expect(await outbox.backlog('fake-other')).toBe(1);

    const sent: string[] = [];
    const worker = createOutboundWorker(ctx, {
      channels: ['fake-backlog'],
      partitions,
      resolveAdapter: () => ({
        name: 'fake-backlog',
        start: async () => {},
        stop: async () => {},
        health: () => ({ ok: true, state: 'ok' }),
        send: async (chatId) => {
          sent.push(chatId);
          return {};
        },
      }),
    });
    await worker.start();
    try {
      await pollUntil('all twelve sent', async () => sent.length === 12, { timeoutMs: 10_000 });
      await pollUntil('an empty backlog', async () => (await outbox.backlog('fake-backlog')) === 0, {
        timeoutMs: 10_000,
      });
      expect(await outbox.backlog('fake-other')).toBe(1);
    } finally {
      await worker.stop();
    }
  });
});
