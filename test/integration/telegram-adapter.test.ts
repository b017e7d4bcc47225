import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../src/admin/server.js';
import { CALLBACK_REF_TTL_SECONDS } from '../../src/channels/telegram/callback-data.js';
import { createTelegramAdapter, type TelegramAdapter } from '../../src/channels/telegram/index.js';
import { webhookQueueKey } from '../../src/channels/telegram/webhook-queue.js';
import { ChannelSendError, type InboundAck, type InboundMessage } from '../../src/channels/types.js';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

const STAFF_CHAT = -1001234567890;
const fastPolling = { timeoutSeconds: 1, minBackoffMs: 100, maxBackoffMs: 400 };

/** Collects what the adapter hands to the engine; `failNext` makes the handler throw. */
function recordingHandler() {
  const received: InboundMessage[] = [];
  const state = { failures: 0, attempts: 0 };
  const waiters: (() => void)[] = [];
  return {
    received,
    state,
    handler: async (m: InboundMessage) => {
      state.attempts += 1;
      if (state.failures > 0) {
        state.failures -= 1;
        throw new Error('engine unavailable');
      }
      received.push(m);
      for (const w of waiters.splice(0)) w();
    },
    async next(predicate: (m: InboundMessage) => boolean, timeoutMs = 5_000): Promise<InboundMessage> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no inbound message matched; got ${received.length}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 100);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
  };
}

async function sendError(promise: Promise<unknown>): Promise<ChannelSendError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ChannelSendError) return err;
    throw err;
  }
  throw new Error('send did not fail');
}

describe('Telegram adapter, long polling, against the fake Bot API', () => {
  let ctx: TestContext;
  let fake: FakeTelegramBotApi;
  let adapter: TelegramAdapter;
  const inbound = recordingHandler();
  const staffMessages: InboundMessage[] = [];

  beforeAll(async () => {
    // Customers the tests send to without having them write first: they opened the bot earlier
    // (Telegram answers "chat not found" to a chat the bot never talked in).
    fake = await FakeTelegramBotApi.start({
      knownChats: [5001, 5002, 5003, 5010, 5011, 5012, 5013, 5014, 5015, 5020, 5021, 5022],
    });
    ctx = await createTestContext({ ...fake.env, TELEGRAM_STAFF_CHAT_ID: String(STAFF_CHAT) });
    adapter = createTelegramAdapter(ctx, {
      polling: fastPolling,
      setupRetryMs: 200,
    });
    // The gateway's staff filter in small: the staff chat's messages to the staff handler, whose
    // answer the adapter shows on the pressed button; everything else to the engine.
    await adapter.start(async (m): Promise<InboundAck | undefined> => {
      if (m.chatId !== String(STAFF_CHAT)) {
        await inbound.handler(m);
        return undefined;
      }
      staffMessages.push(m);
      return m.action ? { buttonAnswer: 'Disetujui' } : undefined;
    });
  });

  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
    await ctx?.cleanup();
  });

  it('prepares the bot: commands in Indonesian and English, no webhook, polling', async () => {
    await fake.waitForCall('getUpdates');
    expect(fake.callsOf('deleteWebhook')).toHaveLength(1);
    expect(fake.commands()?.map((c) => c.command)).toContain('akses');
    expect(fake.commands('id')).toEqual(fake.commands());
    expect(fake.commands('en')?.map((c) => c.command)).toEqual(
      expect.arrayContaining(['access', 'update', 'delete', 'stop', 'restrict', 'resume', 'help']),
    );
    expect(adapter.health()).toEqual({ ok: true, state: 'polling' });
  });

  it('turns a private text message into an InboundMessage', async () => {
    const messageId = fake.userSends(5001, 'Halo, saya mau cek data', { languageCode: 'id' });
    const m = await inbound.next((x) => x.messageKey === `5001:${messageId}`);
    expect(m).toMatchObject({
      channel: 'telegram',
      chatId: '5001',
      senderId: '5001',
      text: 'Halo, saya mau cek data',
      languageHint: 'id',
    });
    expect(m.receivedAt).toBeInstanceOf(Date);
    expect(m.action).toBeUndefined();
    expect(m.contact).toBeUndefined();
  });

  it('turns commands into the keywords the engine reads', async () => {
    const a = fake.userSends(5001, `/akses@${fake.botUsername}`);
    const b = fake.userSends(5001, '/start promo-123');
    const c = fake.userSends(5001, '/status HK-2024-0001');
    expect((await inbound.next((x) => x.messageKey === `5001:${a}`)).text).toBe('akses');
    expect((await inbound.next((x) => x.messageKey === `5001:${b}`)).text).toBe('menu');
    expect((await inbound.next((x) => x.messageKey === `5001:${c}`)).text).toBe('status HK-2024-0001');
  });

  it('passes the message a reply refers to (STOP to a promotion)', async () => {
    const promo = await adapter.send('5001', { kind: 'text', text: 'Promo sedot WC 20%' });
    const id = fake.userSends(5001, 'STOP', { replyTo: Number(promo.messageId) });
    const m = await inbound.next((x) => x.messageKey === `5001:${id}`);
    expect(m.replyToMessageId).toBe(promo.messageId);
  });

  it('a button press becomes action.value + sourceMessageId, and the callback is answered', async () => {
    const sent = await adapter.send('5002', {
      kind: 'buttons',
      text: 'Pilih layanan',
      buttons: [
        { label: 'Akses data saya', value: 'menu:access' },
        { label: 'Hapus data saya', value: 'menu:erase' },
      ],
    });
    const cbId = fake.pressButton(5002, { label: 'Hapus data saya' });
    const m = await inbound.next((x) => x.messageKey === `5002:cb:${cbId}`);
    expect(m).toMatchObject({
      chatId: '5002',
      senderId: '5002',
      action: { value: 'menu:erase', sourceMessageId: sent.messageId },
    });
    expect(m.text).toBeUndefined();
    await fake.waitForCall('answerCallbackQuery', (c) => c.params.callback_query_id === cbId);
  });

  it('a button value over 64 bytes travels as a short Redis reference', async () => {
    const long = `confirm:${'x'.repeat(80)}:ü`;
    await adapter.send('5003', { kind: 'buttons', text: 'Yakin?', buttons: [{ label: 'Ya', value: long }] });
    const [sent] = fake.messagesTo(5003);
    const data = sent?.buttons[0]?.data ?? '';
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(data).not.toBe(long);
    const ttl = await ctx.redis.ttl(ctx.key('telegram', 'cb', data.slice(3)));
    expect(ttl).toBeGreaterThan(CALLBACK_REF_TTL_SECONDS - 60);

    const cbId = fake.pressButton(5003, { label: 'Ya' });
    expect((await inbound.next((x) => x.messageKey === `5003:cb:${cbId}`)).action?.value).toBe(long);

    // The reference expired: the engine gets a value no menu knows, and says the menu expired.
    await ctx.redis.del(ctx.key('telegram', 'cb', data.slice(3)));
    const late = fake.pressButton(5003, { label: 'Ya' });
    expect((await inbound.next((x) => x.messageKey === `5003:cb:${late}`)).action?.value).toBe(data);
  });

  it('passes a shared contact with its user_id; a foreign card keeps the other user id', async () => {
    const own = fake.shareContact(5004, '6281287611943');
    const foreign = fake.shareContact(5004, '6281100000000', { contactUserId: 777 });
    const typed = fake.shareContact(5004, '6281100000001', { contactUserId: null });
    const a = await inbound.next((x) => x.messageKey === `5004:${own}`);
    const b = await inbound.next((x) => x.messageKey === `5004:${foreign}`);
    const c = await inbound.next((x) => x.messageKey === `5004:${typed}`);
    expect(a.contact).toEqual({ phone: '6281287611943', userId: '5004' });
    expect(a.contact?.userId).toBe(a.senderId);
    // Not the sender's: userId differs from senderId, which is what the engine refuses on.
    expect(b.contact).toEqual({ phone: '6281100000000', userId: '777' });
    expect(b.senderId).toBe('5004');
    expect(c.contact).toEqual({ phone: '6281100000001' });
    expect(a.text).toBeUndefined();
  });

  it('answers a group with a link to a private chat, once per interval, and never passes it on', async () => {
    const before = inbound.received.length;
    const after = fake.callCount;
    fake.groupSends(-4001, 5005, 'hapus data saya dong');
    const redirect = await fake.waitForMessage(-4001, () => true, { after });
    expect(redirect.text).toContain(`https://t.me/${fake.botUsername}`);
    expect(redirect.text).toMatch(/chat pribadi/);
    fake.groupSends(-4001, 5006, 'saya juga');
    const marker = fake.userSends(5005, 'marker');
    await inbound.next((x) => x.messageKey === `5005:${marker}`);
    expect(fake.messagesTo(-4001, { after })).toHaveLength(1);
    expect(inbound.received.slice(before).map((m) => m.chatId)).toEqual(['5005']);
  });

  it('passes staff chat updates on as group messages with the sender, and answers a press with the handler', async () => {
    const before = inbound.received.length;
    fake.groupSends(STAFF_CHAT, 9001, '/pending');
    const cbId = fake.pressButton(9001, { chatId: STAFF_CHAT, data: 'approve:HK-1', messageId: 1 });
    const answer = await fake.waitForCall('answerCallbackQuery', (c) => c.params.callback_query_id === cbId);
    expect(answer.params.text).toBe('Disetujui');
    // As typed: a command in the staff chat is not turned into a customer keyword.
    expect(staffMessages.map((m) => m.text ?? m.action?.value)).toEqual(['/pending', 'approve:HK-1']);
    expect(staffMessages.every((m) => m.isStaffChat && m.isGroup && m.senderId === '9001')).toBe(true);
    expect(staffMessages[1]?.action?.sourceMessageId).toBe('1');
    expect(inbound.received.length).toBe(before);
    expect(fake.messagesTo(STAFF_CHAT)).toHaveLength(0);
  });

  it('sends text with remove_keyboard, and long text in parts', async () => {
    const r = await adapter.send('5010', { kind: 'text', text: 'Terima kasih.' });
    const [m] = fake.messagesTo(5010);
    expect(m).toMatchObject({ method: 'sendMessage', text: 'Terima kasih.', removesKeyboard: true });
    expect(r.messageId).toBe(String(m?.messageId));

    const paragraph = `${'Data pribadi Anda kami jaga. '.repeat(60)}\n\n`;
    const long = paragraph.repeat(4);
    const last = await adapter.send('5011', { kind: 'text', text: long });
    const parts = fake.messagesTo(5011);
    expect(parts.length).toBe(2);
    expect(parts.every((p) => (p.text?.length ?? 0) <= 4096)).toBe(true);
    // Cut at a paragraph end; nothing lost but the whitespace at the cut.
    expect(parts[0]?.text?.endsWith('jaga.')).toBe(true);
    expect(parts[1]?.text?.startsWith('Data pribadi')).toBe(true);
    const words = (s: string) => s.split(/\s+/).filter(Boolean);
    expect(words(parts.map((p) => p.text).join(' '))).toEqual(words(long));
    expect(last.messageId).toBe(String(parts[1]?.messageId));
  });

  it('sends buttons as an inline keyboard, one per row', async () => {
    await adapter.send('5012', {
      kind: 'buttons',
      text: 'Pilih:',
      buttons: [
        { label: 'Ya', value: 'yes' },
        { label: 'Tidak', value: 'no' },
      ],
    });
    const call = await fake.waitForCall('sendMessage', (c) => c.params.chat_id === '5012');
    expect(call.params).toMatchObject({
      text: 'Pilih:',
      reply_markup: {
        inline_keyboard: [[{ text: 'Ya', callback_data: 'yes' }], [{ text: 'Tidak', callback_data: 'no' }]],
      },
    });
  });

  it('asks for a contact with a one-time request_contact keyboard', async () => {
    await adapter.send('5013', {
      kind: 'contact_request',
      text: 'Tekan tombol untuk membagikan nomor Anda',
      buttonLabel: 'Bagikan nomor saya',
    });
    const call = await fake.waitForCall('sendMessage', (c) => c.params.chat_id === '5013');
    expect(call.params.reply_markup).toEqual({
      keyboard: [[{ text: 'Bagikan nomor saya', request_contact: true }]],
      resize_keyboard: true,
      one_time_keyboard: true,
    });
    expect(fake.messagesTo(5013)[0]?.contactRequest).toEqual({ label: 'Bagikan nomor saya' });
    // The next text removes the keyboard.
    await adapter.send('5013', { kind: 'text', text: 'Nomor diterima.' });
    expect(fake.messagesTo(5013)[1]?.removesKeyboard).toBe(true);
  });

  it('sends documents as multipart uploads with their file names and exact bytes', async () => {
    const pdf = Buffer.concat([
      Buffer.from('%PDF-1.4\n'),
      Buffer.from([0, 1, 2, 255, 13, 10, 45, 45]),
      Buffer.alloc(2000, 7),
    ]);
    const json = Buffer.from(JSON.stringify({ customerNo: 'SJ-0001', orders: [] }));
    await adapter.send('5014', {
      kind: 'document',
      fileName: 'data-pribadi-HK-1.pdf',
      mimeType: 'application/pdf',
      contentBase64: pdf.toString('base64'),
      caption: 'Salinan data Anda (PDF)',
    });
    const r = await adapter.send('5014', {
      kind: 'document',
      fileName: 'data-pribadi-HK-1.json',
      mimeType: 'application/json',
      contentBase64: json.toString('base64'),
    });
    const [a, b] = fake.messagesTo(5014);
    expect(a?.method).toBe('sendDocument');
    expect(a?.document?.fileName).toBe('data-pribadi-HK-1.pdf');
    expect(a?.document?.content.equals(pdf)).toBe(true);
    expect(a?.caption).toBe('Salinan data Anda (PDF)');
    expect(b?.document?.fileName).toBe('data-pribadi-HK-1.json');
    expect(b?.document?.content.equals(json)).toBe(true);
    expect(b?.caption).toBeUndefined();
    expect(r.messageId).toBe(String(b?.messageId));
  });

  it('refuses what Telegram cannot take as BAD_REQUEST, before calling it', async () => {
    const after = fake.callCount;
    expect((await sendError(adapter.send('5015', { kind: 'text', text: '  ' }))).code).toBe('BAD_REQUEST');
    expect((await sendError(adapter.send('5015', { kind: 'buttons', text: 'x', buttons: [] }))).code).toBe(
      'BAD_REQUEST',
    );
    expect(fake.calls.slice(after).filter((c) => c.method.startsWith('send'))).toHaveLength(0);
  });

  it('maps Bot API failures to ChannelSendError codes', async () => {
    fake.rateLimit(7, { method: 'sendMessage' });
    const limited = await sendError(adapter.send('5020', { kind: 'text', text: 'a' }));
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.retryAfterMs).toBe(7000);
    expect(limited.retryable).toBe(true);

    fake.failFor(60_000);
    const down = await sendError(adapter.send('5020', { kind: 'text', text: 'b' }));
    await fake.recover();
    expect(down.code).toBe('UNAVAILABLE');
    expect(down.retryable).toBe(true);

    fake.userBlocksBot(5021);
    const blocked = await sendError(adapter.send('5021', { kind: 'text', text: 'c' }));
    expect(blocked.code).toBe('CHAT_BLOCKED');
    expect(blocked.retryable).toBe(false);

    const bad = await sendError(adapter.send('not-a-chat', { kind: 'text', text: 'd' }));
    expect(bad.code).toBe('BAD_REQUEST');

    // The bot token is part of the URL of every call: it must not reach the error message.
    for (const e of [limited, down, blocked, bad]) expect(e.message).not.toContain(fake.token.split(':')[1]);
  });

  it('a network failure is UNAVAILABLE without the token in the message', async () => {
    await fake.goOffline();
    try {
      const offline = await sendError(adapter.send('5022', { kind: 'text', text: 'e' }));
      expect(offline.code).toBe('UNAVAILABLE');
      expect(offline.message).not.toContain(fake.token.split(':')[1]);
    } finally {
      await fake.recover();
    }
  });

  it('honours retry_after on getUpdates', async () => {
    const after = fake.callCount;
    fake.rateLimit(1, { method: 'getUpdates' });
    const limited = await fake.waitForCall('getUpdates', () => true, { after, status: 429 });
    const next = await fake.waitForCall('getUpdates', () => true, { after: fake.calls.indexOf(limited) + 1 });
    // Backoff alone would retry after 100 ms; Telegram asked for 1 s.
    expect(next.at - limited.at).toBeGreaterThanOrEqual(950);
    const id = fake.userSends(5030, 'after the rate limit');
    await inbound.next((x) => x.messageKey === `5030:${id}`);
  });

  it('survives the Bot API going down for 3 s and resumes polling', async () => {
    await fake.goOffline();
    const downAt = Date.now();
    await expect.poll(() => adapter.health().ok, { timeout: 5_000, interval: 50 }).toBe(false);
    expect(adapter.health().state).toMatch(/^down/);
    const id = fake.userSends(5031, 'pesan saat server mati');
    await new Promise((r) => setTimeout(r, 3_000 - (Date.now() - downAt)));
    await fake.recover();
    const recoveredAt = Date.now();
    const m = await inbound.next((x) => x.messageKey === `5031:${id}`, 5_000);
    expect(m.text).toBe('pesan saat server mati');
    const resumeMs = Date.now() - recoveredAt;
    expect(resumeMs).toBeLessThan(1_500);
    expect(adapter.health()).toEqual({ ok: true, state: 'polling' });
    process.stderr.write(`[telegram] polling resumed ${resumeMs} ms after the Bot API came back\n`);
  });

  it('fetches an update again when the engine failed on it (not confirmed until handled)', async () => {
    inbound.state.failures = 2;
    const attemptsBefore = inbound.state.attempts;
    const id = fake.userSends(5032, 'coba lagi');
    const m = await inbound.next((x) => x.messageKey === `5032:${id}`, 5_000);
    expect(m.text).toBe('coba lagi');
    expect(inbound.state.attempts - attemptsBefore).toBe(3);
    expect(inbound.received.filter((x) => x.messageKey === `5032:${id}`)).toHaveLength(1);
  });

  it('logs neither the token nor phone numbers', () => {
    const logs = ctx.logLines.join('\n');
    expect(logs).toContain('telegram');
    expect(logs).not.toContain(fake.token.split(':')[1]);
    expect(logs).not.toContain('6281287611943');
  });
});

describe('Telegram adapter startup while the Bot API is unreachable', () => {
  it('starts anyway, reports down, and sets up once the API answers', async () => {
    const fake = await FakeTelegramBotApi.start();
    const ctx = await createTestContext(fake.env);
    const inbound = recordingHandler();
    const adapter = createTelegramAdapter(ctx, { polling: fastPolling, setupRetryMs: 200 });
    try {
      await fake.goOffline();
      const started = Date.now();
      await adapter.start(inbound.handler);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(adapter.health()).toEqual({ ok: false, state: 'down: Bot API unreachable' });
      const id = fake.userSends(6001, 'halo');
      await fake.recover();
      await fake.waitForCall('setMyCommands', (c) => c.params.language_code === 'en', 5_000);
      expect((await inbound.next((x) => x.messageKey === `6001:${id}`)).text).toBe('halo');
      await adapter.stop();
      expect(adapter.health().state).toBe('stopped');
      const callsAtStop = fake.callCount;
      await new Promise((r) => setTimeout(r, 1_200));
      expect(fake.calls.slice(callsAtStop).filter((c) => c.method === 'getUpdates')).toHaveLength(0);
    } finally {
      await adapter.stop();
      await fake.close();
      await ctx.cleanup();
    }
  });
});

describe('Telegram adapter, webhook mode', () => {
  const secret = 'webhook-secret-for-tests-0123456789';
  let fake: FakeTelegramBotApi;
  let ctx: TestContext;
  let app: FastifyInstance;
  let adapter: TelegramAdapter;
  let webhookUrl: string;
  const inbound = recordingHandler();

  beforeAll(async () => {
    fake = await FakeTelegramBotApi.start();
    ctx = await createTestContext({
      ...fake.env,
      TELEGRAM_WEBHOOK_URL: 'http://127.0.0.1/telegram/webhook',
      TELEGRAM_WEBHOOK_SECRET: secret,
    });
    app = await buildAdminServer(ctx);
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    webhookUrl = `${address}/telegram/webhook`;
    adapter = createTelegramAdapter(ctx, { webhookUrl, polling: fastPolling });
    await adapter.start(inbound.handler);
  });

  afterAll(async () => {
    await adapter?.stop();
    await app?.close();
    await fake?.close();
    await ctx?.cleanup();
  });

  it('sets the webhook with the secret token and does not poll', async () => {
    const call = await fake.waitForCall('setWebhook');
    expect(call.params).toMatchObject({ url: webhookUrl, secret_token: secret });
    expect(call.params.allowed_updates).toEqual(['message', 'callback_query']);
    expect(adapter.health()).toEqual({ ok: true, state: 'webhook' });
    expect(fake.calls.filter((c) => c.method === 'getUpdates')).toHaveLength(0);
  });

  it('answers 401 to a wrong or missing secret and queues nothing', async () => {
    const update = {
      update_id: 99,
      message: { message_id: 1, date: 1, chat: { id: 7001, type: 'private' }, text: 'x' },
    };
    const wrongHeaders: Record<string, string>[] = [
      { 'x-telegram-bot-api-secret-token': 'wrong-secret-0123456789' },
      {},
    ];
    for (const headers of wrongHeaders) {
      const response = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(update),
      });
      expect(response.status).toBe(401);
    }
    expect(await ctx.redis.llen(webhookQueueKey(ctx))).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(inbound.received.filter((m) => m.chatId === '7001')).toHaveLength(0);
  });

  it('delivers updates Telegram posts with the right secret, buttons included', async () => {
    const id = fake.userSends(7002, 'akses');
    const m = await inbound.next((x) => x.messageKey === `7002:${id}`);
    expect(m).toMatchObject({ channel: 'telegram', chatId: '7002', text: 'akses' });
    await expect.poll(() => fake.webhookDeliveries.find((d) => d.status === 200)).toBeDefined();

    await adapter.send('7002', { kind: 'buttons', text: 'Pilih', buttons: [{ label: 'Ya', value: 'yes' }] });
    const cbId = fake.pressButton(7002, { label: 'Ya' });
    expect((await inbound.next((x) => x.messageKey === `7002:cb:${cbId}`)).action?.value).toBe('yes');
    await fake.waitForCall('answerCallbackQuery', (c) => c.params.callback_query_id === cbId);
  });

  it('queues an update Telegram sends again (same update_id) only once', async () => {
    // Telegram resends an update whose POST got no 2xx in time; update_id is how to tell.
    const post = (update: object) =>
      fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
        body: JSON.stringify(update),
      });
    const message = (id: number, text: string) => ({
      message_id: id,
      date: Math.floor(Date.now() / 1000),
      chat: { id: 7010, type: 'private' },
      from: { id: 7010, is_bot: false, first_name: 'Test' },
      text,
    });
    const repeated = { update_id: 5_000_001, message: message(1, 'halo') };
    expect((await post(repeated)).status).toBe(200);
    expect((await post(repeated)).status).toBe(200);
    expect((await post({ update_id: 5_000_002, message: message(2, 'marker') })).status).toBe(200);
    await inbound.next((x) => x.messageKey === '7010:2');
    expect(inbound.received.filter((m) => m.messageKey === '7010:1')).toHaveLength(1);
    expect(ctx.logLines.some((l) => l.includes('repeated update ignored'))).toBe(true);
  });

  it('puts an update the engine failed on back at the head of the queue and tries again', async () => {
    inbound.state.failures = 2;
    const attemptsBefore = inbound.state.attempts;
    const first = fake.userSends(7003, 'pertama');
    const second = fake.userSends(7003, 'kedua');
    await inbound.next((x) => x.messageKey === `7003:${second}`, 5_000);
    expect(inbound.state.attempts - attemptsBefore).toBe(4);
    // Order kept: the failed update was handled before the one behind it.
    const order = inbound.received.filter((m) => m.chatId === '7003').map((m) => m.text);
    expect(order).toEqual(['pertama', 'kedua']);
    expect(inbound.received.filter((m) => m.messageKey === `7003:${first}`)).toHaveLength(1);
    expect(await ctx.redis.llen(webhookQueueKey(ctx))).toBe(0);
  });
});
