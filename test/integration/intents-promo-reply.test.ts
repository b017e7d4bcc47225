import type { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ChannelAdapter,
  ChannelHealth,
  InboundMessage,
  OutboundMessage,
  SendResult,
} from '../../src/channels/types.js';
import { type Conversation, createConversation } from '../../src/conversation/runtime.js';
import { createOutbox } from '../../src/outbound/outbox.js';
import { createOutboundWorker } from '../../src/outbound/worker.js';
import { chatSuppressionHash } from '../../src/requests/suppression.js';
import { recordingOutbox } from '../fixtures/requests-kit.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * Sentences replying to a promotion, on a Telegram chat that is not linked to any customer: the
 * promotion the message quotes is what names the customer, as with STOP. A clear sentence is acted
 * on at once; a probable one is asked, and the answer "ya" (which quotes nothing) still carries the
 * sentence and the promotion as proof.
 */
let ctx: TestContext;
let conversation: Conversation;
let seq = 0;

beforeAll(async () => {
  ctx = await createTestContext();
  conversation = createConversation(ctx, { outbox: recordingOutbox() });
});
afterAll(async () => {
  await conversation.close();
  await ctx.cleanup();
});

/** A customer who received promo `promoId` as Telegram message `promoMessageId` in `chatId`. */
async function promoReceived(
  chatId: string,
  promoId: string,
  promoMessageId: string,
  sentAt = new Date(),
): Promise<Types.ObjectId> {
  seq += 1;
  const now = new Date();
  const customer = await ctx.models.Customer.create({
    customerNo: `NL-${String(seq).padStart(5, '0')}`,
    name: `Kalimat ${seq}`,
    phone: `+62815${String(20_000_000 + seq)}`,
    marketingConsent: { granted: true, updatedAt: now, source: 'test' },
  });
  await ctx.models.PromoMessage.create({
    _id: `${chatSuppressionHash(ctx, 'telegram', chatId)}:${promoMessageId}`,
    promoId,
    customerId: customer._id,
    channel: 'telegram',
    sentAt,
  });
  return customer._id;
}

function message(chatId: string, id: string, text: string, replyTo?: string): InboundMessage {
  return {
    channel: 'telegram',
    chatId,
    messageId: id,
    messageKey: `${chatId}:${id}`,
    senderId: chatId,
    receivedAt: new Date(),
    text,
    ...(replyTo ? { replyToMessageId: replyTo } : {}),
  };
}

const texts = (replies: OutboundMessage[]) => replies.map((r) => ('text' in r ? r.text : '')).join('\n');

const unsubscribes = (customerId: Types.ObjectId) =>
  ctx.models.PrivacyRequest.find({ customerId, type: 'unsubscribe' }).lean();

const HOUR = 3600 * 1000;

/** Just after the conversation last answered the chat (its meta's `repliedAt`): no waiting for the clock. */
async function afterLastAnswer(chatId: string): Promise<Date> {
  const meta = JSON.parse((await ctx.redis.get(ctx.key('chat-meta', 'telegram', chatId))) ?? '{}');
  if (typeof meta.repliedAt !== 'number') throw new Error('the chat was not answered');
  return new Date(meta.repliedAt + 1);
}

describe('natural-language opt-out in reply to a promotion', () => {
  it('a clear sentence quoting the promo opts that customer out at once, with the promo as proof', async () => {
    const chatId = '710001';
    const customerId = await promoReceived(chatId, 'promo-nl-clear', '41');
    const replies = await conversation.engine.handle(
      message(chatId, '42', 'tolong jangan kirimi saya promosi lagi', '41'),
    );
    expect(replies).toHaveLength(1);
    expect(texts(replies)).toMatch(/^Baik, Anda tidak akan menerima promosi lagi/);
    const [request] = await unsubscribes(customerId);
    expect(request?.changes).toMatchObject({
      promoId: 'promo-nl-clear',
      messageId: '42',
      words: 'tolong jangan kirimi saya promosi lagi',
    });
  });

  it('a probable one is asked once; "ya" opts out with the sentence and the promo as proof', async () => {
    const chatId = '710002';
    const customerId = await promoReceived(chatId, 'promo-nl-probable', '51');
    const question = await conversation.engine.handle(message(chatId, '52', 'stop dulu', '51'));
    expect(texts(question)).toMatch(/Sepertinya Anda ingin berhenti menerima promosi/);
    expect(await unsubscribes(customerId)).toHaveLength(0);

    const done = await conversation.engine.handle(message(chatId, '53', 'ya'));
    expect(texts(done)).toMatch(/tidak akan menerima promosi lagi/);
    const [request] = await unsubscribes(customerId);
    expect(request?.changes).toMatchObject({
      promoId: 'promo-nl-probable',
      messageId: '52',
      words: 'stop dulu',
    });
  });

  it.each(['cancel', 'Batal'])(
    '"%s" quoting the promo is one of the FCC\'s revocation words: opted out at once, not "nothing to cancel"',
    async (word) => {
      const chatId = word === 'cancel' ? '710004' : '710005';
      const customerId = await promoReceived(chatId, `promo-nl-${word}`, '71');
      const replies = await conversation.engine.handle(message(chatId, '72', word, '71'));
      expect(replies).toHaveLength(1);
      expect(texts(replies)).toMatch(/^Baik, Anda tidak akan menerima promosi lagi/);
      const [request] = await unsubscribes(customerId);
      expect(request?.changes).toMatchObject({ promoId: `promo-nl-${word}`, messageId: '72', words: word });
    },
  );

  it('"batal" quoting a message that is not a promotion still cancels, and opts nobody out', async () => {
    const chatId = '710006';
    const customerId = await promoReceived(chatId, 'promo-nl-not-quoted', '81');
    const replies = await conversation.engine.handle(message(chatId, '83', 'batal', '82'));
    expect(texts(replies)).toMatch(/Tidak ada proses yang sedang berjalan untuk dibatalkan/);
    expect(await unsubscribes(customerId)).toHaveLength(0);
  });

  it('a reply about something else changes nothing', async () => {
    const chatId = '710003';
    const customerId = await promoReceived(chatId, 'promo-nl-other', '61');
    const replies = await conversation.engine.handle(message(chatId, '62', 'berapa harga promo ini?', '61'));
    expect(texts(replies)).toMatch(/silakan hubungi Sanita Jaya langsung/);
    expect(await unsubscribes(customerId)).toHaveLength(0);
  });

  // WhatsApp and Telegram users rarely quote: a bare "cancel" with nothing in progress, right after
  // a promotion (the bot's latest message, within the day), answers the promotion.
  it.each([
    ['batal', '710101'],
    ['Cancel', '710102'],
    ['batalkan', '710103'],
  ])(
    'a bare "%s" right after a promotion, with no flow in progress, opts out at once with the promo as proof',
    async (word, chatId) => {
      const customerId = await promoReceived(chatId, `promo-bare-${word}`, '91', new Date(Date.now() - HOUR));
      const replies = await conversation.engine.handle(message(chatId, '92', word));
      expect(replies).toHaveLength(1);
      expect(texts(replies)).toMatch(/^Baik, Anda tidak akan menerima promosi lagi/);
      const [request] = await unsubscribes(customerId);
      expect(request?.changes).toMatchObject({ promoId: `promo-bare-${word}`, messageId: '92', words: word });
    },
  );

  it('a bare "batal" after a promo that came while the chat rested at the menu opts out too', async () => {
    const chatId = '710201';
    const earlier = await conversation.engine.handle(message(chatId, '1', 'menu'));
    expect(texts(earlier)).toMatch(/Pilih/i);
    const customerId = await promoReceived(chatId, 'promo-bare-menu', '2', await afterLastAnswer(chatId));
    const replies = await conversation.engine.handle(message(chatId, '3', 'batal'));
    expect(replies).toHaveLength(1);
    expect(texts(replies)).toMatch(/^Baik, Anda tidak akan menerima promosi lagi/);
    const [request] = await unsubscribes(customerId);
    expect(request?.changes).toMatchObject({ promoId: 'promo-bare-menu', messageId: '3', words: 'batal' });
  });

  it('a bare "cancel" mid-flow cancels the flow, even when a promotion came meanwhile; marketing unchanged', async () => {
    const chatId = '710202';
    const asked = await conversation.engine.handle(message(chatId, '1', 'hapus'));
    expect(texts(asked)).toMatch(/nomor/i);
    const customerId = await promoReceived(chatId, 'promo-bare-mid-flow', '2', await afterLastAnswer(chatId));
    const replies = await conversation.engine.handle(message(chatId, '3', 'cancel'));
    expect(texts(replies)).toMatch(/dibatalkan/i);
    expect(texts(replies)).not.toMatch(/tidak akan menerima promosi/);
    expect(await unsubscribes(customerId)).toHaveLength(0);
  });

  it('a bare "batal" with no promotion in the last day shows the menu; marketing unchanged', async () => {
    const chatId = '710203';
    const customerId = await promoReceived(chatId, 'promo-bare-old', '1', new Date(Date.now() - 25 * HOUR));
    const replies = await conversation.engine.handle(message(chatId, '2', 'batal'));
    expect(texts(replies)).toMatch(/Tidak ada proses yang sedang berjalan untuk dibatalkan/);
    expect(await unsubscribes(customerId)).toHaveLength(0);
  });

  it('a bare "batal" after a request\'s outcome was sent since the promotion shows the menu; marketing unchanged', async () => {
    // A channel fake (not storage): delivers and numbers what it was given.
    const delivered: { chatId: string; message: OutboundMessage }[] = [];
    const telegram: ChannelAdapter = {
      name: 'telegram',
      async start() {},
      async stop() {},
      health: (): ChannelHealth => ({ ok: true, state: 'fake' }),
      async send(chatId: string, message: OutboundMessage): Promise<SendResult> {
        delivered.push({ chatId, message });
        return { messageId: String(delivered.length) };
      },
    };
    const outbox = createOutbox(ctx);
    // The worker is done with a message when it calls its onSent hook.
    const done: string[] = [];
    const worker = createOutboundWorker(ctx, {
      channels: ['telegram'],
      resolveAdapter: () => telegram,
      onSent: (sent) => void done.push(sent.chatId),
    });
    await worker.start();
    try {
      // The chat made a request earlier; the promotion came after the conversation last answered.
      const chatId = '710205';
      await conversation.engine.handle(message(chatId, '1', 'halo'));
      const customerId = await promoReceived(
        chatId,
        'promo-bare-notified',
        '2',
        await afterLastAnswer(chatId),
      );
      // The request worker's "your data is ready", through the outbox, sent by the outbound worker.
      await outbox.send('telegram', chatId, [{ kind: 'text', text: 'Permintaan PR-7Q2M4K selesai.' }], {
        purpose: 'notification',
        requestRef: 'PR-7Q2M4K',
      });
      await pollUntil(
        'the notice sent',
        async () => delivered.some((d) => d.chatId === chatId) && done.includes(chatId),
        {
          timeoutMs: 10_000,
        },
      );
      const replies = await conversation.engine.handle(message(chatId, '3', 'batal'));
      expect(texts(replies)).toMatch(/Tidak ada proses yang sedang berjalan untuk dibatalkan/);
      expect(await unsubscribes(customerId)).toHaveLength(0);
    } finally {
      await worker.stop();
      await outbox.close();
    }
  });

  it('a bare "batal" after the bot answered something since the promotion shows the menu; marketing unchanged', async () => {
    const chatId = '710204';
    const customerId = await promoReceived(chatId, 'promo-bare-answered', '1', new Date(Date.now() - HOUR));
    await conversation.engine.handle(message(chatId, '2', 'halo'));
    const replies = await conversation.engine.handle(message(chatId, '3', 'batal'));
    expect(texts(replies)).toMatch(/Tidak ada proses yang sedang berjalan untuk dibatalkan/);
    expect(await unsubscribes(customerId)).toHaveLength(0);
  });
});
