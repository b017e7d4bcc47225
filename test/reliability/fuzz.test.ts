import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Button, InboundMessage, OutboundMessage } from '../../src/channels/types.js';
import { ConversationEngine, flowCatalog } from '../../src/conversation/engine.js';
import { loadFlows } from '../../src/conversation/flow-loader.js';
import { FLOWS_DIR } from '../../src/conversation/runtime.js';
import { createOtpService, type OtpService } from '../../src/identity/otp.js';
import { createConsoleOtpProvider } from '../../src/identity/otp-providers/index.js';
import { createOutbox } from '../../src/outbound/outbox.js';
import { createRequestService } from '../../src/requests/index.js';
import { seedDemo } from '../../src/seed/seed.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

/**
 * Fuzz: 10,000 generated inbound messages over 200 chats (seeded, so a failure replays), built
 * to hurt: MongoDB operators, 100 KB texts, emoji, RTL and control characters, malformed
 * contacts and forged callback data. The engine must never throw, every reply must be a
 * sentence, and the database may only change in ways an unverified stranger may cause.
 */

const MESSAGES = 10_000;
const CHATS = 200;
const SEED = 0x5eed_2026;

/** mulberry32: small, fast and deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CUSTOMER_PHONES = [
  '+6281287611943',
  '081287611943',
  '0812-8761-1943',
  '6281311112222',
  '+62 813 1111 2222',
];
const OPERATORS = [
  '{"$ne":null}',
  '{"$gt":""}',
  '$where',
  '{"$where":"sleep(1000)"}',
  '{"phone":{"$regex":".*"}}',
  '{"$or":[{},{"a":1}]}',
  '$ne',
  'SJ-000001',
  '{"customerNo":"SJ-000001"}',
  "'; db.customers.drop(); //",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection attempt, on purpose.
  '${process.env}',
  '{{customerId}}',
  '%s%s%s%n',
  '__proto__',
  '{"__proto__":{"admin":true}}',
];
const EXOTIC = [
  '😀😃😄🙏🏽👨‍👩‍👧‍👦',
  'مرحبا بالعالم',
  'שלום עולם',
  '\u202Eakses\u202C',
  'ak\u200Bses',
  'status\u0000\u0001\u0007',
  '\u0000',
  '\r\n\t',
  '   ',
  'Z̷̢̛̛a̸l̶g̵o̷',
  '\uFFFD\uFFFE',
  '\uD800',
  'STATUS',
  'hapus',
  'akses',
  'perbarui',
  'menu',
  'batal',
  'bantuan',
  'english',
  'kebijakan',
  'ya',
  'tidak',
];

type Gen = () => number;
const pick = <T>(r: Gen, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
const randomString = (r: Gen, length: number): string => {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(Math.floor(r() * 0xd7ff) + 1);
  return s;
};
const digits = (r: Gen, n: number): string => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');

interface ChatState {
  channel: string;
  chatId: string;
  senderId: string;
  senderPhone?: string;
  lastButtons: Button[];
  messageNo: number;
}

function generate(r: Gen, chat: ChatState): InboundMessage {
  const base: InboundMessage = {
    channel: chat.channel,
    chatId: chat.chatId,
    senderId: chat.senderId,
    messageId: `m${++chat.messageNo}`,
    messageKey: `${chat.chatId}:m${chat.messageNo}`,
    receivedAt: new Date(),
    ...(chat.senderPhone ? { senderPhone: chat.senderPhone } : {}),
  };
  const kind = Math.floor(r() * 16);
  switch (kind) {
    case 0:
      return { ...base, text: pick(r, OPERATORS) };
    case 1:
      // 100 KB of one character, or of random ones.
      return { ...base, text: r() < 0.5 ? 'x'.repeat(100_000) : randomString(r, 100_000) };
    case 2:
      return { ...base, text: pick(r, EXOTIC) };
    case 3:
      return { ...base, text: String(Math.floor(r() * 12)) };
    case 4:
      return {
        ...base,
        contact: { phone: r() < 0.5 ? 'abc' : pick(r, CUSTOMER_PHONES), userId: 'someone-else' },
      };
    case 5:
      // A contact that claims to be the sender's own: the number is real, the code still goes to the phone.
      return {
        ...base,
        contact: { phone: r() < 0.5 ? pick(r, CUSTOMER_PHONES) : digits(r, 12), userId: chat.senderId },
      };
    case 6: {
      const forged = pick(r, [
        '::',
        '',
        'x'.repeat(300),
        randomString(r, 20),
        `${digits(r, 6)}:${digits(r, 2)}`,
        '{"$ne":null}',
        'p:0',
        '0',
      ]);
      return { ...base, action: { value: forged } };
    }
    case 7: {
      // A real button from the last reply, as a customer would press it.
      const button = chat.lastButtons.length > 0 ? pick(r, chat.lastButtons) : undefined;
      return button ? { ...base, action: { value: button.value } } : { ...base, text: 'menu' };
    }
    case 8:
      return { ...base };
    case 9:
      return { ...base, text: '' };
    case 10:
      return { ...base, text: String(r() * 1e12 - 5e11) };
    case 11:
      return {
        ...base,
        text: r() < 0.6 ? pick(r, CUSTOMER_PHONES) : `08${digits(r, 9 + Math.floor(r() * 4))}`,
      };
    case 12:
      return { ...base, text: digits(r, 6) };
    case 13:
      return { ...base, text: randomString(r, 1 + Math.floor(r() * 200)) };
    case 14:
      return { ...base, text: `${pick(r, EXOTIC)} ${pick(r, OPERATORS)} ${digits(r, 4)}` };
    default:
      // Duplicate delivery of an earlier message id.
      return {
        ...base,
        messageId: `m${Math.max(1, chat.messageNo - 1)}`,
        messageKey: `${chat.chatId}:m${Math.max(1, chat.messageNo - 1)}`,
        text: 'status',
      };
  }
}

async function customersHash(ctx: TestContext): Promise<string> {
  const docs = await ctx.models.Customer.find({}).sort({ _id: 1 }).lean();
  return createHash('sha256').update(JSON.stringify(docs)).digest('hex');
}

let ctx: TestContext;
let otp: OtpService;
let requests: ReturnType<typeof createRequestService>;
let outbox: ReturnType<typeof createOutbox>;
let engine: ConversationEngine;

beforeAll(async () => {
  ctx = await createTestContext({ LOG_LEVEL: 'warn' });
  await seedDemo(ctx.models);
  outbox = createOutbox(ctx);
  otp = createOtpService(ctx, createConsoleOtpProvider(ctx));
  requests = createRequestService(ctx, { outbox });
  engine = new ConversationEngine(ctx, { otp, requests }, loadFlows(FLOWS_DIR, flowCatalog()));
});

afterAll(async () => {
  await otp?.drain();
  await requests?.close();
  await outbox?.close();
  await ctx?.cleanup();
});

function textOf(reply: OutboundMessage): string | undefined {
  return reply.kind === 'document' ? undefined : reply.text;
}

describe('fuzz: 10,000 hostile inbound messages', () => {
  it('never throws, always answers in sentences, and changes nothing it may not', async () => {
    const before = await customersHash(ctx);
    const ordersBefore = await ctx.models.ServiceOrder.countDocuments({});
    const r = prng(SEED);
    const channels = ['telegram', 'whatsapp', 'webchat'];
    const chats: ChatState[] = Array.from({ length: CHATS }, (_, i) => {
      const channel = channels[i % channels.length] as string;
      const senderPhone =
        channel === 'whatsapp'
          ? i % 2 === 0
            ? '+6281287611943'
            : `+62813${String(10_000_000 + i)}`
          : undefined;
      return {
        channel,
        chatId: `fuzz-${i}`,
        senderId: `fuzz-${i}`,
        ...(senderPhone ? { senderPhone } : {}),
        lastButtons: [],
        messageNo: 0,
      };
    });
    // The whole script is generated up front from one seed, so concurrency does not change it.
    const script: { chat: number; gen: Gen }[] = [];
    for (let n = 0; n < MESSAGES; n++) script.push({ chat: Math.floor(r() * CHATS), gen: prng(SEED + n) });
    const perChat = new Map<number, Gen[]>();
    for (const { chat, gen } of script) perChat.set(chat, [...(perChat.get(chat) ?? []), gen]);

    const failures: string[] = [];
    let handled = 0;
    let replies = 0;
    const started = performance.now();
    await Promise.all(
      [...perChat].map(async ([chatNo, gens]) => {
        const chat = chats[chatNo] as ChatState;
        for (const gen of gens) {
          const inbound = generate(gen, chat);
          const what = `chat ${chatNo} message ${chat.messageNo}: ${JSON.stringify(inbound).slice(0, 200)}`;
          let out: OutboundMessage[];
          try {
            out = await engine.handle(inbound);
          } catch (err) {
            failures.push(`${what} threw ${(err as Error).message}`);
            continue;
          }
          handled++;
          replies += out.length;
          for (const reply of out) {
            const text = textOf(reply);
            if (text === undefined) failures.push(`${what} got a document before verifying`);
            else if (text.trim().length === 0) failures.push(`${what} got an empty ${reply.kind} reply`);
            else if (/undefined|\{\{|\[object Object\]|NaN/.test(text))
              failures.push(`${what} got an unfilled template: ${text.slice(0, 200)}`);
          }
          const buttons = out.findLast((m) => m.kind === 'buttons');
          if (buttons?.kind === 'buttons') chat.lastButtons = buttons.buttons;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `fuzz: ${handled} messages, ${replies} replies in ${seconds.toFixed(1)} s (${Math.round(handled / seconds)} msg/s)\n`,
    );
    expect(failures.slice(0, 20)).toEqual([]);
    expect(handled).toBe(MESSAGES);
    // A polite "something went wrong" hides a crash: no turn may have failed inside.
    expect(ctx.logLines.filter((l) => l.includes('conversation turn failed')).slice(0, 5)).toEqual([]);
    // The bot answered (most) messages; silence is only for duplicates and dropped input.
    expect(replies).toBeGreaterThan(MESSAGES / 2);

    await otp.drain();
    expect(await customersHash(ctx)).toBe(before);
    expect(await ctx.models.ServiceOrder.countDocuments({})).toBe(ordersBefore);
    // Nobody read the OTP outbox, so no chat was verified and no customer's request exists.
    // Nobody read the OTP outbox, so no chat was verified: the only customer requests allowed are
    // consent changes from a WhatsApp chat whose own number (proved by the platform) is the customer's.
    const siti = await ctx.models.Customer.findOne({ phone: '+6281287611943' }).lean();
    const senderPhoneOf = new Map(chats.map((c) => [`${c.channel}:${c.chatId}`, c.senderPhone]));
    const customerRequests = (await ctx.models.PrivacyRequest.find({}).lean()).filter((q) => q.customerId);
    const illegitimate = customerRequests.filter(
      (q) =>
        !(
          (q.type === 'unsubscribe' || q.type === 'subscribe') &&
          q.channel === 'whatsapp' &&
          senderPhoneOf.get(`${q.channel}:${q.chatId}`) === '+6281287611943' &&
          String(q.customerId) === String(siti?._id)
        ),
    );
    expect(illegitimate.map((q) => ({ type: q.type, channel: q.channel, chatId: q.chatId }))).toEqual([]);
    const kinds = await ctx.models.Suppression.distinct('kind');
    expect(kinds.filter((k) => k !== 'chat')).toEqual([]);
    const linked = await ctx.redis.keys(ctx.key('link', '*'));
    expect(linked).toEqual([]);
  });
});
