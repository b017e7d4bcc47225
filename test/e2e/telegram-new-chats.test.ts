import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundQueueName, partitionOf } from '../../src/outbound/queues.js';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * Issue 13: Telegram numbers messages per chat, so every new customer's first message is
 * message_id 1 (then 2, 3…). Replies were de-duplicated on the message id alone, and BullMQ
 * dropped the reply to every chat whose ids another chat of the same partition had used: half
 * of the new customers got no answer at all. Here 200 new chats, spread over every outbound
 * partition, each send three messages whose ids collide with all the others' (1, 2, 3),
 * interleaved; every chat must get every reply, in order, and nothing may be skipped.
 */

const CHATS = Array.from({ length: 200 }, (_, i) => 810_001 + i);
/** What each customer types, and a piece of the reply each must get, in this order. */
const SCRIPT = [
  { text: 'halo', reply: 'Apa yang ingin Anda lakukan?' },
  { text: 'kebijakan', reply: 'Ringkasan Kebijakan Data Pelanggan' },
  { text: 'info', reply: 'Saya dapat membantu Anda' },
] as const;
const PARTITIONS = 8;

let t: TestApp;
let fake: FakeTelegramBotApi;

beforeAll(async () => {
  fake = await FakeTelegramBotApi.start({ maxPollSeconds: 1 });
  t = await startTestApp({ ...fake.env, OTP_PROVIDER: 'console', WEBCHAT_ENABLED: 'false' });
  await fake.waitForCall('getUpdates', () => true, { timeoutMs: 15_000 });
}, 60_000);

afterAll(async () => {
  await t?.stop();
  await fake?.close();
});

/** Where each expected reply sits in what the chat received (-1: missing). */
const replyPositions = (chat: number) => {
  const texts = fake.textsTo(chat);
  return SCRIPT.map((step) => texts.findIndex((text) => text.includes(step.reply)));
};

describe('replies to new Telegram chats whose message ids collide', () => {
  it('answers every message of 200 new chats, in order, on every partition', async () => {
    const partitions = new Set(CHATS.map((chat) => partitionOf(String(chat), PARTITIONS)));
    expect(partitions.size).toBe(PARTITIONS);

    // Interleaved rounds: all first messages, then all seconds, then all thirds.
    const ids = new Map<number, number[]>();
    for (const step of SCRIPT)
      for (const chat of CHATS) ids.set(chat, [...(ids.get(chat) ?? []), fake.userSends(chat, step.text)]);
    // Telegram's numbering: each chat's own sequence, so every chat used ids 1, 2 and 3.
    for (const chat of CHATS) expect(ids.get(chat)).toEqual([1, 2, 3]);

    await pollUntil(
      'every chat to receive the reply to its third message',
      async () => CHATS.every((chat) => replyPositions(chat)[2] !== -1),
      {
        timeoutMs: 120_000,
        everyMs: 250,
        explain: async () => {
          const missing = CHATS.filter((chat) => replyPositions(chat).includes(-1));
          const byQueue = new Map<string, number>();
          for (const chat of missing) {
            const queue = outboundQueueName('telegram', partitionOf(String(chat), PARTITIONS));
            byQueue.set(queue, (byQueue.get(queue) ?? 0) + 1);
          }
          return `${missing.length} chats lack a reply (${JSON.stringify(Object.fromEntries(byQueue))})`;
        },
      },
    );

    const counts = new Set<number>();
    for (const chat of CHATS) {
      const [menu, policy, help] = replyPositions(chat);
      expect({
        chat,
        menu: menu !== -1,
        inOrder: (menu ?? 0) < (policy ?? 0) && (policy ?? 0) < (help ?? 0),
      }).toEqual({
        chat,
        menu: true,
        inOrder: true,
      });
      counts.add(fake.messagesTo(chat).length);
    }
    // The same three messages got the same replies everywhere: nobody got fewer (or twice as many).
    expect(counts.size).toBe(1);
    // The welcome of a first contact came once per chat, first.
    for (const chat of CHATS) expect(fake.textsTo(chat)[0]).toMatch(/^Halo!/);
    expect(t.appLogLines.filter((l) => l.includes('outbound skipped as a duplicate'))).toEqual([]);
    expect(await t.ctx.models.DeadLetter.countDocuments({})).toBe(0);
  }, 180_000);
});
