import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelAdapter, ChannelHealth, OutboundMessage, SendResult } from '../../src/channels/types.js';
import { createOutbox, type OutboxHandle } from '../../src/outbound/outbox.js';
import { createOutboundWorker } from '../../src/outbound/worker.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * The outbox fits what it queues to the limits the channel declares (src/channels/fit.ts): the
 * adapter receives every part as a message of its own, in order, none above the limit.
 */

/** A channel fake (not storage): records what reached it. */
class RecordingAdapter implements ChannelAdapter {
  readonly received: OutboundMessage[] = [];
  constructor(readonly name: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  health(): ChannelHealth {
    return { ok: true, state: 'fake' };
  }
  async send(_chatId: string, message: OutboundMessage): Promise<SendResult> {
    this.received.push(message);
    return { messageId: String(this.received.length) };
  }
}

let ctx: TestContext;
let outbox: OutboxHandle;

beforeAll(async () => {
  ctx = await createTestContext();
  outbox = createOutbox(ctx);
});
afterAll(async () => {
  await outbox.close();
  await ctx.cleanup();
});

describe('outbox and channel limits', () => {
  it('sends a 5,000-character Telegram text as two messages cut at a line end, a 12-option menu as buttons, and the menu numbered on the Cloud API', async () => {
    const adapter = new RecordingAdapter('telegram');
    const cloud = new RecordingAdapter('whatsapp-cloud');
    const worker = createOutboundWorker(ctx, {
      channels: ['telegram', 'whatsapp-cloud'],
      resolveAdapter: (channel) => (channel === cloud.name ? cloud : adapter),
    });
    await worker.start();
    try {
      const lines = Array.from({ length: 50 }, (_, i) => `${String(i).padStart(2, '0')} ${'y'.repeat(96)}`);
      const menu: OutboundMessage = {
        kind: 'buttons',
        text: 'Pilih:',
        buttons: Array.from({ length: 12 }, (_, i) => ({ label: `Pilihan ${i + 1}`, value: `p:${i}` })),
      };
      await outbox.send('telegram', '424242', [{ kind: 'text', text: lines.join('\n') }, menu]);
      await pollUntil('three Telegram messages', async () => adapter.received.length >= 3, {
        timeoutMs: 10_000,
      });
      const [first, second, third] = adapter.received;
      expect(first?.kind === 'text' && first.text.length).toBeLessThanOrEqual(4096);
      expect([first, second].flatMap((m) => (m?.kind === 'text' ? m.text.split('\n') : []))).toEqual(lines);
      // Telegram declares 100 buttons: the menu stays a menu.
      expect(third).toEqual(menu);
      expect(adapter.received).toHaveLength(3);
      // The Cloud API declares 10 list rows: the same 12 options arrive numbered, as one text.
      await outbox.send('whatsapp-cloud', '6281287611943', [menu]);
      await pollUntil('the Cloud API message', async () => cloud.received.length >= 1, { timeoutMs: 10_000 });
      expect(cloud.received).toEqual([
        { kind: 'text', text: `Pilih:\n\n${menu.buttons.map((b, i) => `${i + 1}. ${b.label}`).join('\n')}` },
      ]);
    } finally {
      await worker.stop();
    }
  });
});
