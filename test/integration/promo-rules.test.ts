import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import type { ChannelAdapter, OutboundMessage } from '../../src/channels/types.js';
import { createConversation } from '../../src/conversation/runtime.js';
import { keyedHash } from '../../src/identity/keyed-hash.js';
import { linkChat } from '../../src/identity/links.js';
import { createOutboundWorker } from '../../src/outbound/worker.js';
import { checkRecipient } from '../../src/promo/eligibility.js';
import {
  listPromos,
  loadPromoFile,
  PromoError,
  PromoFileError,
  parsePromo,
  promoOfReply,
  recordPromoMessage,
  sendPromo,
} from '../../src/promo/index.js';
import { createPromoTransport, type PromoTransport } from '../../src/promo/transport.js';
import { createRequestService } from '../../src/requests/service.js';
import { chatSuppressionHash, phoneSuppressionHash } from '../../src/requests/suppression.js';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';
import { recordingOutbox } from '../fixtures/requests-kit.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let fake: FakeTelegramBotApi;
let ctx: TestContext;

beforeAll(async () => {
  // Linked chats are customers who verified there, so each wrote to the bot before.
  fake = await FakeTelegramBotApi.start({ knownChats: (chatId) => Number(chatId) > 0 });
  ctx = await createTestContext({ LOG_LEVEL: 'info', ...fake.env });
});
afterAll(async () => {
  await ctx.cleanup();
  await fake.close();
});

const PROMO_TEXT = { id: 'Diskon 20% sedot WC bulan ini!', en: '20% off septic pumping this month!' };
const FOOTER_ID = 'Balas STOP untuk berhenti menerima promosi.';
const FOOTER_EN = 'Reply STOP to stop receiving promotions.';

let seq = 0;
async function customer(
  fields: { consent?: boolean; erased?: boolean; area?: string; phone?: string | null } = {},
): Promise<Types.ObjectId> {
  seq += 1;
  const now = new Date();
  const doc = await ctx.models.Customer.create({
    customerNo: `R-${String(seq).padStart(5, '0')}`,
    name: `Rules ${seq}`,
    ...(fields.phone === null ? {} : { phone: fields.phone ?? `+62813${String(10_000_000 + seq)}` }),
    area: fields.area ?? 'Depok',
    marketingConsent: { granted: fields.consent ?? true, updatedAt: now, source: 'test' },
    ...(fields.erased ? { erasedAt: now } : {}),
  });
  return doc._id;
}

const promoFile = (id: string, extra: Record<string, unknown> = {}) =>
  parsePromo({ id, message: PROMO_TEXT, channels: ['telegram'], ...extra });

describe('promo file', () => {
  it('accepts the example and explains every problem of a bad file', () => {
    const example = loadPromoFile('examples/promo.yaml');
    expect(example.id).toBe('demo-diskon-sedot-wc');
    expect(example.channels).toEqual(['whatsapp', 'telegram', 'webchat']);

    const dir = mkdtempSync(join(tmpdir(), 'promo-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      [
        'id: Diskon Agustus',
        'message:',
        '  id: "Halo"',
        'audiance:',
        '  area: Depok',
        'channels: [Telegram]',
        'rate: { telegram: -1 }',
      ].join('\n'),
    );
    let problem: unknown;
    try {
      loadPromoFile(bad);
    } catch (err) {
      problem = err;
    }
    expect(problem).toBeInstanceOf(PromoFileError);
    const text = (problem as PromoFileError).message;
    expect(text).toContain('id: must be 3-48 lowercase letters');
    expect(text).toContain('message.en');
    expect(text).toMatch(/audiance/);
    expect(text).toContain('channels.0: must be a channel name');
    expect(text).toContain('rate.telegram');

    writeFileSync(bad, 'id: [unclosed');
    expect(() => loadPromoFile(bad)).toThrow(/not valid YAML/);
    expect(() => loadPromoFile(join(dir, 'missing.yaml'))).toThrow(/cannot be read: ENOENT/);
    expect(() => promoFile('x-1', { message: { id: 'a'.repeat(4000), en: 'b' } })).toThrow(/at most 3900/);
  });
});

describe('who gets a promo', () => {
  const chats = new Map<string, string>();
  let ids: Record<string, Types.ObjectId>;

  beforeAll(async () => {
    ids = {
      ok: await customer(),
      english: await customer({ area: 'jakarta selatan' }),
      noConsent: await customer({ consent: false }),
      erased: await customer({ erased: true, phone: null }),
      chatSuppressed: await customer(),
      legacyChatSuppressed: await customer(),
      phoneSuppressed: await customer(),
      optOutPending: await customer(),
      noChat: await customer(),
      relinked: await customer(),
      otherArea: await customer({ area: 'Bogor' }),
    };
    let chat = 60_000;
    for (const [key, id] of Object.entries(ids)) {
      if (key === 'noChat') continue;
      const chatId = String(++chat);
      chats.set(key, chatId);
      await linkChat(ctx, 'telegram', chatId, String(id));
    }
    const { Suppression, PrivacyRequest } = ctx.models;
    const at = new Date();
    await Suppression.create([
      {
        hash: chatSuppressionHash(ctx, 'telegram', chats.get('chatSuppressed') as string),
        kind: 'chat',
        reason: 'opted_out',
        createdAt: at,
      },
      {
        // What the opt-out action writes for a chat it cannot tie to a customer.
        hash: keyedHash(ctx.config.otp.secret, 'chat', `telegram:${chats.get('legacyChatSuppressed')}`),
        kind: 'chat',
        reason: 'opted_out',
        createdAt: at,
      },
    ]);
    const phoneSuppressed = await ctx.models.Customer.findById(ids.phoneSuppressed).lean();
    await Suppression.create({
      hash: phoneSuppressionHash(ctx, phoneSuppressed?.phone as string),
      kind: 'phone',
      reason: 'erased',
      createdAt: at,
    });
    await PrivacyRequest.create({
      ref: 'PR-PEND01',
      type: 'unsubscribe',
      customerId: ids.optOutPending,
      channel: 'telegram',
      chatId: chats.get('optOutPending'),
      status: 'queued',
      dueAt: new Date(Date.now() + 3600_000),
      history: [],
      createdAt: at,
    });
    // The chat was verified by someone else since: it no longer reaches this customer.
    await linkChat(ctx, 'telegram', chats.get('relinked') as string, String(ids.otherArea));
    // This chat switched the bot to English.
    await ctx.redis.set(
      ctx.key('chat-meta', 'telegram', chats.get('english') as string),
      JSON.stringify({ locale: 'en', inFlow: false }),
    );
  });

  const audience = { area: ['Depok', 'Jakarta Selatan'] };

  it('dry run: counts by reason, sends and writes nothing', async () => {
    const before = fake.callCount;
    const report = await sendPromo(ctx, promoFile('rules-one', { audience }), { dryRun: true });
    expect(report.status).toBe('dry_run');
    expect(report.audience).toBe(10);
    expect(report.sent).toBe(2);
    expect(report.byChannel).toEqual({ telegram: 2 });
    expect(report.skipped).toEqual({
      no_consent: 1,
      erased: 1,
      suppressed_chat: 2,
      suppressed_phone: 1,
      opt_out_pending: 1,
      no_chat: 2,
    });
    expect(fake.messagesTo(chats.get('ok') as string, { after: before })).toHaveLength(0);
    expect(await ctx.models.Promo.countDocuments({ promoId: 'rules-one' })).toBe(0);
    expect(await ctx.models.PromoDelivery.countDocuments({ promoId: 'rules-one' })).toBe(0);
    // Erased after the audience was read: the send-time check still says no.
    expect(await checkRecipient(ctx, ids.erased as Types.ObjectId, 'telegram')).toEqual({
      ok: false,
      reason: 'erased',
    });
  });

  it('sends only to the eligible, in their language, with the stop footer; the rest is skipped by reason', async () => {
    const before = fake.callCount;
    const report = await sendPromo(ctx, promoFile('rules-one', { audience }));
    expect(report.status).toBe('completed');
    expect(report.sent).toBe(2);
    expect(report.failed).toEqual({});
    expect(report.skipped).toEqual({
      no_consent: 1,
      erased: 1,
      suppressed_chat: 2,
      suppressed_phone: 1,
      opt_out_pending: 1,
      no_chat: 2,
    });

    const got = (key: string) => fake.textsTo(chats.get(key) as string, { after: before });
    expect(got('ok')).toEqual([`${PROMO_TEXT.id}\n\n${FOOTER_ID}`]);
    expect(got('english')).toEqual([`${PROMO_TEXT.en}\n\n${FOOTER_EN}`]);
    for (const key of [
      'noConsent',
      'erased',
      'chatSuppressed',
      'legacyChatSuppressed',
      'phoneSuppressed',
      'optOutPending',
      'relinked',
      'otherArea',
    ])
      expect(got(key), key).toEqual([]);

    const delivery = await ctx.models.PromoDelivery.findOne({
      promoId: 'rules-one',
      customerId: ids.ok,
    }).lean();
    expect(delivery?.state).toBe('sent');
    expect(delivery?.via).toBe('direct');
    const sentId = String(fake.messagesTo(chats.get('ok') as string).at(-1)?.messageId);
    const chatHash = chatSuppressionHash(ctx, 'telegram', chats.get('ok') as string);
    const message = await ctx.models.PromoMessage.findById(`${chatHash}:${sentId}`).lean();
    expect(message).toMatchObject({ promoId: 'rules-one', channel: 'telegram' });
    const promo = await ctx.models.Promo.findOne({ promoId: 'rules-one' }).lean();
    expect(promo?.status).toBe('completed');
    expect(promo?.lease).toBeNull();
    expect(promo?.progress).toMatchObject({ total: 10, sent: 2, skipped: 8, failed: 0 });
    expect(promo?.runs).toHaveLength(1);
    const audit = await ctx.models.AuditEvent.find({ action: /^promo\./ }).lean();
    expect(audit.map((a) => a.action).sort()).toEqual(['promo.completed', 'promo.started']);
    // Nothing personal in the log.
    const phone = (await ctx.models.Customer.findById(ids.ok).lean())?.phone as string;
    expect(ctx.logLines.join('\n')).not.toContain(phone.slice(1));
    expect(ctx.logLines.join('\n')).not.toContain(`"${chats.get('ok')}"`);
  });

  it('refuses to send the same promo again, or a changed file under the same id', async () => {
    await expect(sendPromo(ctx, promoFile('rules-one', { audience }))).rejects.toMatchObject({
      code: 'PROMO_EXISTS',
    });
    await expect(sendPromo(ctx, undefined, { promoId: 'rules-one', resume: true })).rejects.toMatchObject({
      code: 'PROMO_EXISTS',
    });
    await expect(
      sendPromo(ctx, promoFile('rules-one', { audience: { area: 'Depok' } }), { resume: true }),
    ).rejects.toMatchObject({ code: 'PROMO_FILE_CHANGED' });
    await expect(sendPromo(ctx, undefined, { promoId: 'nope-1', resume: true })).rejects.toBeInstanceOf(
      PromoError,
    );
    await expect(sendPromo(ctx, promoFile('rules-two', { channels: ['sms'] }))).rejects.toMatchObject({
      code: 'UNKNOWN_CHANNEL',
    });
    // A rate for a mistyped channel is refused, not dropped (a dry run too).
    await expect(
      sendPromo(ctx, promoFile('rules-three', { audience }), { dryRun: true, rates: { telegarm: 5 } }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_CHANNEL', message: expect.stringContaining('telegarm') });
    await expect(
      sendPromo(ctx, promoFile('rules-three', { audience, rate: { whatsap: 2 } }), { dryRun: true }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_CHANNEL', message: expect.stringContaining('whatsap') });
  });

  it('the dry run of a sent promo adds up to its audience after a customer it reached opted out', async () => {
    const { Customer } = ctx.models;
    await Customer.updateOne({ _id: ids.ok }, { $set: { 'marketingConsent.granted': false } });
    try {
      const report = await sendPromo(ctx, promoFile('rules-one', { audience }), { dryRun: true });
      // As sent: the customer counts once, as sent, not also as no_consent.
      expect(report.sent).toBe(2);
      expect(report.skipped).toMatchObject({ no_consent: 1 });
      expect(report.sent + Object.values(report.skipped).reduce((a, b) => a + b, 0)).toBe(report.audience);
    } finally {
      await Customer.updateOne({ _id: ids.ok }, { $set: { 'marketingConsent.granted': true } });
    }
  });

  it('waits out a 429 and still sends each customer once; a blocked bot is a failure, not a retry', async () => {
    const before = fake.callCount;
    fake.rateLimit(1, { method: 'sendMessage', times: 2 });
    const started = Date.now();
    const report = await sendPromo(ctx, promoFile('rules-429', { audience }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(report.sent).toBe(2);
    expect(fake.messagesTo(chats.get('ok') as string, { after: before })).toHaveLength(1);
    expect(fake.messagesTo(chats.get('english') as string, { after: before })).toHaveLength(1);

    fake.userBlocksBot(chats.get('ok') as string);
    const blocked = await sendPromo(ctx, promoFile('rules-blocked', { audience }));
    fake.userUnblocksBot(chats.get('ok') as string);
    expect(blocked.sent).toBe(1);
    expect(blocked.failed).toEqual({ CHAT_BLOCKED: 1 });
    expect(blocked.status).toBe('completed');
  });

  it('a STOP replying to the promo is tied to it, and blocks the next promo before the consent worker ran', async () => {
    const chatId = chats.get('ok') as string;
    const promoMessage = fake.messagesTo(chatId).find((m) => m.text?.startsWith(PROMO_TEXT.id));
    const replyTo = String(promoMessage?.messageId);
    const found = await promoOfReply(ctx, { channel: 'telegram', chatId, replyToMessageId: replyTo });
    expect(found).toEqual({ promoId: 'rules-one', customerId: String(ids.ok) });
    expect(await promoOfReply(ctx, { channel: 'telegram', chatId: '999', replyToMessageId: replyTo })).toBe(
      undefined,
    );

    // Through the real engine: the opt-out request records the replied-to message.
    const outbox = recordingOutbox();
    const conversation = createConversation(ctx, { outbox });
    try {
      const replies = await conversation.engine.handle({
        channel: 'telegram',
        chatId,
        messageId: 'stop-1',
        messageKey: `${chatId}:stop-1`,
        senderId: chatId,
        receivedAt: new Date(),
        text: 'Stop!',
        replyToMessageId: replyTo,
      });
      expect(replies.map((r) => (r.kind === 'text' ? r.text : '')).join(' ')).toMatch(
        /tidak akan menerima promosi/,
      );
    } finally {
      await conversation.close();
    }
    const request = await ctx.models.PrivacyRequest.findOne({
      customerId: ids.ok,
      type: 'unsubscribe',
    }).lean();
    expect(request?.changes).toMatchObject({ messageId: 'stop-1' });
    // From here the customer is skipped at once, before the consent worker ran.
    const next = await sendPromo(ctx, promoFile('rules-after-stop', { audience }));
    expect(next.skipped.opt_out_pending).toBe(2);
    expect(next.sent).toBe(1);
  });
});

describe('restriction of processing', () => {
  it('a restriction asked for stops the promo from the moment it is accepted: queued before the run, and asked during it', async () => {
    const ids: Types.ObjectId[] = [];
    const chats: string[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push(await customer({ area: 'Cikarang' }));
      chats.push(String(92_000 + i));
      await linkChat(ctx, 'telegram', chats[i] as string, String(ids[i]));
    }
    // No worker runs here: both requests stay queued, never applied to the customer.
    const service = createRequestService(ctx, { outbox: recordingOutbox() });
    const restrict = (i: number) =>
      service.create({
        type: 'restrict',
        customerId: String(ids[i]),
        channel: 'telegram',
        chatId: chats[i] as string,
        locale: 'id',
        changes: { action: 'apply', scope: 'marketing' },
      });
    await restrict(0);
    // The last customer asks while the promo is being sent: before the fourth message leaves.
    const real = createPromoTransport(ctx);
    let askedDuringRun = false;
    const transport: PromoTransport = {
      ...real,
      async send(channel, chatId, message, meta) {
        if (chatId === chats[3]) {
          await restrict(11);
          askedDuringRun = true;
        }
        return real.send(channel, chatId, message, meta);
      },
    };
    const before = fake.callCount;
    try {
      const report = await sendPromo(ctx, promoFile('rules-restrict', { audience: { area: 'Cikarang' } }), {
        rates: { telegram: 10 },
        transport,
      });
      expect(askedDuringRun).toBe(true);
      expect(report.status).toBe('completed');
      expect(report.skipped).toEqual({ restricted: 2 });
      expect(report.sent).toBe(10);
    } finally {
      await real.close();
      await service.close();
    }
    for (const [i, chatId] of chats.entries())
      expect(fake.messagesTo(chatId, { after: before }), `customer ${i}`).toHaveLength(
        i === 0 || i === 11 ? 0 : 1,
      );
    const requests = await ctx.models.PrivacyRequest.find({ customerId: { $in: [ids[0], ids[11]] } }).lean();
    expect(requests.map((r) => r.status)).toEqual(['queued', 'queued']);
    const held = await ctx.models.Customer.find(
      { _id: { $in: [ids[0], ids[11]] } },
      { processingRestriction: 1 },
    ).lean();
    expect(held.map((c) => c.processingRestriction ?? null)).toEqual([null, null]);
  });
});

describe('rate limit', () => {
  it('spaces the sends evenly at the configured rate', async () => {
    const RATE = 10;
    const chats: string[] = [];
    for (let i = 0; i < 30; i++) {
      // Every sixth has no consent.
      const id = await customer({ area: 'Cibubur', consent: i % 6 !== 5 });
      const chatId = String(90_000 + i);
      chats.push(chatId);
      await linkChat(ctx, 'telegram', chatId, String(id));
    }
    const before = fake.callCount;
    const report = await sendPromo(ctx, promoFile('rules-rate', { audience: { area: 'Cibubur' } }), {
      rates: { telegram: RATE },
    });
    expect(report.sent).toBe(25);
    const times = fake.calls
      .slice(before)
      .filter((c) => c.method === 'sendMessage' && chats.includes(String(c.params.chat_id)))
      .map((c) => c.at);
    expect(times).toHaveLength(25);
    // 25 sends at 10/s: the first goes at once, the last no sooner than 2.4 s later.
    expect((times.at(-1) as number) - (times[0] as number)).toBeGreaterThanOrEqual(2300);
    const busiestSecond = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));
    expect(busiestSecond).toBeLessThanOrEqual(RATE + 1);
  });
});

describe('stopping and resuming', () => {
  it('an abort (Ctrl-C) stops cleanly: nothing left uncertain, and the resume sends the rest once', async () => {
    const chats: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = await customer({ area: 'Ciputat' });
      chats.push(String(91_000 + i));
      await linkChat(ctx, 'telegram', String(91_000 + i), String(id));
    }
    const before = fake.callCount;
    const abort = new AbortController();
    const file = promoFile('rules-abort', { audience: { area: 'Ciputat' } });
    const first = await sendPromo(ctx, file, {
      rates: { telegram: 10 },
      signal: abort.signal,
      onProgress: (p) => {
        if (p.sent >= 5) abort.abort();
      },
    });
    expect(first.status).toBe('interrupted');
    expect(first.sent).toBeGreaterThanOrEqual(5);
    expect(first.sent).toBeLessThan(20);
    expect(await ctx.models.PromoDelivery.countDocuments({ promoId: 'rules-abort', state: 'pending' })).toBe(
      0,
    );
    await expect(sendPromo(ctx, file)).rejects.toMatchObject({ code: 'PROMO_EXISTS' });

    const second = await sendPromo(ctx, file, { resume: true, rates: { telegram: 50 } });
    expect(second.status).toBe('completed');
    expect(second.recovered).toBe(0);
    expect(second.sent).toBe(20);
    expect(second.sentThisRun).toBe(20 - first.sent);
    for (const chatId of chats) expect(fake.messagesTo(chatId, { after: before }), chatId).toHaveLength(1);
    const promo = await ctx.models.Promo.findOne({ promoId: 'rules-abort' }).lean();
    expect(promo?.runs.map((r) => r.outcome)).toEqual(['interrupted', 'completed']);
  });
  it('the resume counts a customer left undecided who opted out, was erased or restricted since: the report adds up to the audience', async () => {
    const ids: Types.ObjectId[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push(await customer({ area: 'Cinere' }));
      await linkChat(ctx, 'telegram', String(93_000 + i), String(ids[i]));
    }
    const abort = new AbortController();
    const file = promoFile('rules-changed-since', { audience: { area: 'Cinere' } });
    const first = await sendPromo(ctx, file, {
      rates: { telegram: 10 },
      signal: abort.signal,
      onProgress: (p) => {
        if (p.sent >= 3) abort.abort();
      },
    });
    expect(first.status).toBe('interrupted');
    const decided = new Set(
      (await ctx.models.PromoDelivery.find({ promoId: 'rules-changed-since' }, { customerId: 1 }).lean()).map(
        (d) => String(d.customerId),
      ),
    );
    const undecided = ids.filter((id) => !decided.has(String(id)));
    expect(undecided.length).toBeGreaterThanOrEqual(3);
    const [optedOut, erased, restricted] = undecided as [Types.ObjectId, Types.ObjectId, Types.ObjectId];
    const { Customer } = ctx.models;
    await Customer.updateOne({ _id: optedOut }, { $set: { 'marketingConsent.granted': false } });
    await Customer.updateOne({ _id: erased }, { $set: { erasedAt: new Date() } });
    await Customer.updateOne(
      { _id: restricted },
      { $set: { processingRestriction: { scope: 'marketing', since: new Date() } } },
    );
    const total = (r: { sent: number; skipped: Record<string, number>; failed: Record<string, number> }) =>
      r.sent +
      Object.values(r.skipped).reduce((a, b) => a + b, 0) +
      Object.values(r.failed).reduce((a, b) => a + b, 0);

    const dry = await sendPromo(ctx, undefined, { promoId: 'rules-changed-since', dryRun: true });
    expect(dry.audience).toBe(12);
    expect(total(dry)).toBe(12);
    expect(dry.skipped).toEqual({ no_consent: 1, erased: 1, restricted: 1 });

    const second = await sendPromo(ctx, file, { resume: true, rates: { telegram: 50 } });
    expect(second.status).toBe('completed');
    expect(second.audience).toBe(12);
    expect(total(second)).toBe(12);
    expect(second.skipped).toEqual({ no_consent: 1, erased: 1, restricted: 1 });
    expect(second.sent).toBe(9);
    const promo = await ctx.models.Promo.findOne({ promoId: 'rules-changed-since' }).lean();
    expect(promo?.progress).toMatchObject({ total: 12, sent: 9, skipped: 3, failed: 0 });
  });
});

describe('promo over a session channel (WhatsApp): through the outbound queue', () => {
  it('queues once per customer with the promo meta, and a re-queue after a crash is dropped by the dedupe key', async () => {
    const wa: AppContext = {
      ...ctx,
      config: {
        ...ctx.config,
        channelSettings: {
          ...ctx.config.channelSettings,
          WHATSAPP_ENABLED: true,
          WHATSAPP_MESSAGES_PER_SECOND: 20,
        },
      },
    };
    const a = await customer({ area: 'Bekasi', phone: '+6281399990001' });
    const b = await customer({ area: 'Bekasi', phone: '+6281399990002' });
    await customer({ area: 'Bekasi', consent: false, phone: '+6281399990003' });

    const sent: { chatId: string; message: OutboundMessage }[] = [];
    const adapter: ChannelAdapter = {
      name: 'whatsapp',
      start: async () => {},
      stop: async () => {},
      health: () => ({ ok: true, state: 'fake' }),
      send: async (chatId, message) => {
        sent.push({ chatId, message });
        return { messageId: `wa-${sent.length}` };
      },
    };
    const worker = createOutboundWorker(wa, {
      channels: ['whatsapp'],
      resolveAdapter: () => adapter,
      // As the gateway would wire it: the platform's id of a queued promo, for STOP replies.
      onSent: (notice) => recordPromoMessage(ctx, notice),
    });
    await worker.start();
    try {
      const file = promoFile('rules-wa', {
        audience: { area: 'bekasi' },
        channels: ['whatsapp', 'telegram'],
      });
      const report = await sendPromo(wa, file, { rates: { whatsapp: 20 } });
      expect(report.sent).toBe(2);
      expect(report.byChannel).toEqual({ whatsapp: 2 });
      expect(report.skipped).toEqual({ no_consent: 1 });
      await waitFor(() => sent.length >= 2);
      expect(sent.map((s) => s.chatId).sort()).toEqual(['6281399990001@c.us', '6281399990002@c.us']);
      expect(sent[0]?.message).toEqual({ kind: 'text', text: `${PROMO_TEXT.id}\n\n${FOOTER_ID}` });
      const delivery = await ctx.models.PromoDelivery.findOne({ promoId: 'rules-wa', customerId: a }).lean();
      expect(delivery?.via).toBe('outbox');
      const first = sent.findIndex((s) => s.chatId === '6281399990001@c.us');
      const reply = {
        channel: 'whatsapp',
        chatId: '6281399990001@c.us',
        replyToMessageId: `wa-${first + 1}`,
      };
      await waitFor(async () => (await promoOfReply(ctx, reply)) !== undefined);
      expect(await promoOfReply(ctx, reply)).toEqual({ promoId: 'rules-wa', customerId: String(a) });

      // A crash right after queueing b: its delivery stayed `pending`. The resume re-queues it
      // under the same dedupe key, and the queue drops the copy.
      await ctx.models.PromoDelivery.updateOne(
        { promoId: 'rules-wa', customerId: b },
        { $set: { state: 'pending' } },
      );
      await ctx.models.Promo.updateOne({ promoId: 'rules-wa' }, { $set: { status: 'interrupted' } });
      const resumed = await sendPromo(wa, undefined, {
        promoId: 'rules-wa',
        resume: true,
        rates: { whatsapp: 20 },
      });
      expect(resumed.status).toBe('completed');
      expect(resumed.sent).toBe(2);
      expect(resumed.notes.join(' ')).toMatch(/re-queued/);
      await new Promise((r) => setTimeout(r, 500));
      expect(sent).toHaveLength(2);
      const listed = (await listPromos(ctx)).find((p) => p.promoId === 'rules-wa');
      expect(listed).toMatchObject({ status: 'completed', stalled: false, runs: 2 });
      expect(listed?.progress).toMatchObject({ sent: 2, skipped: 1, failed: 0 });
    } finally {
      await worker.stop();
    }
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
