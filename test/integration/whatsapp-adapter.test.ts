import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import wwebjs from 'whatsapp-web.js';
import { ChannelSendError, type InboundMessage, type OutboundMessage } from '../../src/channels/types.js';
import { WhatsAppAdapter, type WhatsAppAdapterOptions } from '../../src/channels/whatsapp/adapter.js';
import { whatsappQrRoutes } from '../../src/channels/whatsapp/qr-route.js';
import { readStatus } from '../../src/channels/whatsapp/status.js';
import { FakeWhatsAppPlatform, type SentRecord } from '../fakes/whatsapp-client.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

const CHAT = '6281287611943@c.us';
const OTHER_CHAT = '6281398765432@c.us';

let ctx: TestContext;
const running: WhatsAppAdapter[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ WHATSAPP_ENABLED: 'true' });
});

afterEach(async () => {
  for (const adapter of running.splice(0)) await adapter.stop();
});

afterAll(async () => {
  await ctx.cleanup();
});

interface Harness {
  adapter: WhatsAppAdapter;
  platform: FakeWhatsAppPlatform;
  inbound: InboundMessage[];
  printedQrs: string[];
}

async function startAdapter(
  behaviour: 'idle' | 'qr' | 'ready' = 'ready',
  options: Partial<WhatsAppAdapterOptions> = {},
): Promise<Harness> {
  const platform = new FakeWhatsAppPlatform(behaviour);
  const inbound: InboundMessage[] = [];
  const printedQrs: string[] = [];
  const adapter = new WhatsAppAdapter(ctx, {
    loadPlatform: async () => platform,
    messagesPerSecond: 100,
    jitterMs: { min: 0, max: 0 },
    reconnectMs: { min: 20, max: 200 },
    watchdogMs: 0,
    printQr: (qr) => printedQrs.push(qr),
    ...options,
  });
  running.push(adapter);
  await adapter.start(async (message) => {
    inbound.push(message);
  });
  return { adapter, platform, inbound, printedQrs };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function waitForAsync(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function connected(h: Harness): Promise<void> {
  await waitFor(() => h.adapter.health().ok, 'connected');
}

const sendCalls = (h: Harness) =>
  h.platform.clients.flatMap((c) =>
    c.calls.filter((call) => call.method === 'sendMessage').map((call) => call.args),
  );

async function sendError(promise: Promise<unknown>): Promise<ChannelSendError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelSendError);
  return err as ChannelSendError;
}

describe('linking: QR and state', () => {
  it('keeps the latest QR, prints it, serves it on /whatsapp/qr, and drops it once ready', async () => {
    const h = await startAdapter('qr');
    await waitFor(() => h.adapter.health().state === 'waiting for QR scan' && !!h.adapter.latestQr(), 'QR');
    expect(h.adapter.health()).toEqual({ ok: false, state: 'waiting for QR scan' });
    expect(h.adapter.latestQr()).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/=]{200,}$/);
    expect(h.printedQrs).toEqual([expect.stringContaining('fakeRef0')]);

    await waitForAsync(async () => !!(await readStatus(ctx))?.qrDataUrl, 'QR in Redis');
    const stored = await readStatus(ctx);
    expect(stored?.state).toBe('waiting for QR scan');
    expect(stored?.qrDataUrl).toBe(h.adapter.latestQr());

    const plugin = whatsappQrRoutes(ctx);
    expect(plugin).toBeDefined();
    const app = Fastify();
    if (plugin) await app.register(plugin);
    const page = await app.inject({ method: 'GET', url: '/whatsapp/qr' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain(`<img src="${h.adapter.latestQr()}"`);
    expect(page.body).toContain('Waiting for QR scan');
    const png = await app.inject({ method: 'GET', url: '/whatsapp/qr.png' });
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(1, 4).toString()).toBe('PNG');

    // A rotated QR replaces the previous one.
    const first = h.adapter.latestQr();
    h.platform.current.emitQr('2@rotatedRef,key,identity,secret');
    await waitFor(() => h.adapter.latestQr() !== first, 'rotated QR');
    expect(h.printedQrs).toHaveLength(2);

    h.platform.current.emitReady();
    await connected(h);
    expect(h.adapter.health()).toEqual({ ok: true, state: 'connected' });
    expect(h.adapter.latestQr()).toBeUndefined();
    await waitForAsync(async () => (await readStatus(ctx))?.state === 'connected', 'connected in Redis');
    const after = await app.inject({ method: 'GET', url: '/whatsapp/qr.png' });
    expect(after.statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/whatsapp/qr' })).body).toContain('Connected');
    await app.close();
  });

  it('does not fall back to "waiting for QR scan" when the scan completes while the QR is drawn', async () => {
    const h = await startAdapter('idle');
    h.platform.current.emitQr();
    h.platform.current.emitReady();
    await new Promise((r) => setTimeout(r, 100));
    expect(h.adapter.health()).toEqual({ ok: true, state: 'connected' });
    expect(h.adapter.latestQr()).toBeUndefined();
    expect((await readStatus(ctx))?.state).toBe('connected');
  });

  it('serves no QR route when WhatsApp is off', async () => {
    const off = await createTestContext({ WHATSAPP_ENABLED: 'false' });
    try {
      expect(whatsappQrRoutes(off)).toBeUndefined();
    } finally {
      await off.cleanup();
    }
  });
});

describe('inbound', () => {
  it('converts a private text message, with the sender number from the chat id', async () => {
    const h = await startAdapter();
    await connected(h);
    const msg = h.platform.current.receive({ from: CHAT, body: 'akses', timestamp: 1_760_000_000 });
    await waitFor(() => h.inbound.length === 1, 'inbound');
    expect(h.inbound[0]).toEqual({
      channel: 'whatsapp',
      chatId: CHAT,
      messageId: msg.id._serialized,
      // `false_<chat>_<id>`: the serialized id names its chat, so it is the key across chats too.
      messageKey: msg.id._serialized,
      senderId: CHAT,
      senderPhone: '+6281287611943',
      receivedAt: new Date(1_760_000_000_000),
      text: 'akses',
    });
  });

  it('turns a shared vCard into a contact and a quoted reply into replyToMessageId', async () => {
    const h = await startAdapter();
    await connected(h);
    const vcard = [
      'BEGIN:VCARD',
      'VERSION:3.0',
      'N:;Budi;;;',
      'FN:Budi',
      'TEL;type=CELL;type=VOICE;waid=6281398765432:+62 813-9876-5432',
      'END:VCARD',
    ].join('\n');
    h.platform.current.receive({ from: CHAT, type: 'vcard', body: vcard, vCards: [vcard] });
    h.platform.current.receive({ from: CHAT, body: 'STOP', quotedId: 'true_6281287611943@c.us_PROMO1' });
    await waitFor(() => h.inbound.length === 2, 'inbound');
    expect(h.inbound[0]?.contact).toEqual({ phone: '+6281398765432', userId: OTHER_CHAT });
    expect(h.inbound[0]?.text).toBeUndefined();
    expect(h.inbound[1]).toMatchObject({ text: 'STOP', replyToMessageId: 'true_6281287611943@c.us_PROMO1' });
    expect(h.inbound[0]?.replyToMessageId).toBeUndefined();
  });

  it('ignores groups, status broadcasts, its own messages and system notices', async () => {
    const h = await startAdapter();
    await connected(h);
    const c = h.platform.current;
    c.receive({ from: '120363012345678901@g.us', body: 'akses' });
    c.receive({ from: 'status@broadcast', body: 'my status', isStatus: true, broadcast: true });
    c.receive({ from: CHAT, body: 'our own reply', fromMe: true });
    c.receive({ from: CHAT, body: '', type: 'e2e_notification' });
    c.receive({ from: '0@s.whatsapp.net', body: 'system' });
    c.receive({ from: CHAT, body: 'after the noise' });
    await waitFor(() => h.inbound.length >= 1, 'inbound');
    await new Promise((r) => setTimeout(r, 50));
    expect(h.inbound.map((m) => m.text)).toEqual(['after the noise']);
  });

  it('keeps arrival order and resolves a privacy id (@lid) to the phone', async () => {
    const h = await startAdapter();
    await connected(h);
    const c = h.platform.current;
    c.lidPhones.set('123456789012345@lid', CHAT);
    c.receive({ from: '123456789012345@lid', body: 'halo' });
    for (const n of [1, 2, 3]) c.receive({ from: CHAT, body: String(n) });
    await waitFor(() => h.inbound.length === 4, 'inbound');
    expect(h.inbound[0]).toMatchObject({ chatId: '123456789012345@lid', senderPhone: '+6281287611943' });
    expect(h.inbound.map((m) => m.text)).toEqual(['halo', '1', '2', '3']);
  });
});

describe('outbound', () => {
  it('makes exactly the expected sendMessage calls and returns the sent ids', async () => {
    const h = await startAdapter();
    await connected(h);
    const pdf = Buffer.from('%PDF-1.7 salinan data').toString('base64');
    const messages: OutboundMessage[] = [
      { kind: 'text', text: 'Halo! / Hello!' },
      {
        kind: 'buttons',
        text: 'Pilih layanan:',
        buttons: [
          { label: 'Akses data', value: 'access' },
          { label: 'Ubah data', value: 'update' },
          { label: 'Hapus data', value: 'erase' },
        ],
      },
      { kind: 'contact_request', text: 'Kirim nomor Anda / Share your number', buttonLabel: 'Bagikan' },
      {
        kind: 'document',
        fileName: 'data-PR-7K3M9Q.pdf',
        mimeType: 'application/pdf',
        contentBase64: pdf,
        caption: 'PDF',
      },
      { kind: 'document', fileName: 'data.json', mimeType: 'application/json', contentBase64: 'e30=' },
    ];
    const results = [];
    for (const m of messages) results.push(await h.adapter.send(CHAT, m));

    const calls = sendCalls(h);
    expect(calls).toHaveLength(5);
    expect(calls[0]).toEqual([CHAT, 'Halo! / Hello!']);
    expect(calls[1]).toEqual([CHAT, 'Pilih layanan:\n\n1. Akses data\n2. Ubah data\n3. Hapus data']);
    expect(calls[2]).toEqual([CHAT, 'Kirim nomor Anda / Share your number']);
    const [chatId, media, options] = calls[3] ?? [];
    expect(chatId).toBe(CHAT);
    expect(media).toBeInstanceOf(wwebjs.MessageMedia);
    expect(media).toMatchObject({ mimetype: 'application/pdf', data: pdf, filename: 'data-PR-7K3M9Q.pdf' });
    expect(options).toEqual({ sendMediaAsDocument: true, caption: 'PDF' });
    expect(calls[4]?.[1]).toMatchObject({
      mimetype: 'application/json',
      data: 'e30=',
      filename: 'data.json',
    });
    expect(calls[4]?.[2]).toEqual({ sendMediaAsDocument: true });

    const sent: SentRecord[] = h.platform.current.sent;
    expect(results).toEqual(sent.map((s) => ({ messageId: s.id })));
  });

  it('maps bad messages and send failures to ChannelSendError codes, without numbers in the text', async () => {
    const h = await startAdapter();
    await connected(h);
    const text = (t: string): OutboundMessage => ({ kind: 'text', text: t });

    expect((await sendError(h.adapter.send('120363012345678901@g.us', text('x')))).code).toBe('BAD_REQUEST');
    expect((await sendError(h.adapter.send(CHAT, text('  ')))).code).toBe('BAD_REQUEST');
    const badDoc: OutboundMessage = {
      kind: 'document',
      fileName: 'a.pdf',
      mimeType: 'application/pdf',
      contentBase64: 'not base64!',
    };
    expect((await sendError(h.adapter.send(CHAT, badDoc))).code).toBe('BAD_REQUEST');
    expect(sendCalls(h)).toHaveLength(0);

    const c = h.platform.current;
    c.failNextSend(null);
    expect((await sendError(h.adapter.send(CHAT, text('a')))).code).toBe('BAD_REQUEST');
    c.failNextSend(new Error('Evaluation failed: Error: wid error: invalid wid 6281287611943@c.us'));
    const invalid = await sendError(h.adapter.send(CHAT, text('b')));
    expect(invalid.code).toBe('BAD_REQUEST');
    expect(invalid.retryable).toBe(false);
    expect(invalid.message).not.toMatch(/8128761/);
    c.failNextSend(new Error('Protocol error (Runtime.callFunctionOn): Session closed.'));
    const gone = await sendError(h.adapter.send(CHAT, text('c')));
    expect(gone.code).toBe('UNAVAILABLE');
    expect(gone.retryable).toBe(true);
    // The queue goes on after failures.
    expect(await h.adapter.send(CHAT, text('d'))).toEqual({ messageId: expect.stringContaining('FAKE') });
  });

  it('fails a send that WhatsApp Web never answers as UNAVAILABLE', async () => {
    const h = await startAdapter('ready', { sendTimeoutMs: 100 });
    await connected(h);
    h.platform.current.sendMessage = () => new Promise(() => {});
    const err = await sendError(h.adapter.send(CHAT, { kind: 'text', text: 'hang' }));
    expect(err.code).toBe('UNAVAILABLE');
  });
});

describe('connection', () => {
  it('reconnects after a disconnection and sends what was queued meanwhile, in order', async () => {
    const h = await startAdapter('idle');
    h.platform.current.emitReady();
    await connected(h);
    const first = h.platform.current;
    expect(await h.adapter.send(CHAT, { kind: 'text', text: 'sebelum' })).toBeDefined();

    first.disconnect('CONFLICT');
    expect(h.adapter.health()).toEqual({ ok: false, state: 'reconnecting' });
    const pending = ['satu', 'dua', 'tiga'].map((t) => h.adapter.send(CHAT, { kind: 'text', text: t }));
    await waitFor(() => h.platform.clients.length === 2, 'a new client');
    const second = h.platform.current;
    expect(first.calls.map((c) => c.method)).toEqual(['initialize', 'sendMessage', 'destroy']);
    expect(second.calls.map((c) => c.method)).toEqual(['initialize']);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.adapter.queued).toBe(3);
    expect(sendCalls(h)).toHaveLength(1);

    // Late events of the replaced client change nothing.
    first.emitReady();
    await new Promise((r) => setTimeout(r, 20));
    expect(h.adapter.health().ok).toBe(false);

    second.emitReady();
    const results = await Promise.all(pending);
    expect(second.sent.map((s) => s.content)).toEqual(['satu', 'dua', 'tiga']);
    expect(results.map((r) => r.messageId)).toEqual(second.sent.map((s) => s.id));
    expect(h.adapter.health()).toEqual({ ok: true, state: 'connected' });
  });

  it('retries a failed start with growing waits until WhatsApp Web comes up', async () => {
    const platform = new FakeWhatsAppPlatform('ready');
    platform.initializeFailures = 3;
    const started = Date.now();
    const h = await startAdapter('ready', {
      loadPlatform: async () => platform,
      reconnectMs: { min: 40, max: 1000 },
      random: () => 0.5,
    });
    await waitFor(() => h.adapter.health().ok, 'connected after failures');
    expect(platform.clients).toHaveLength(4);
    const starts = platform.clients.map((c) => (c.calls[0]?.at ?? 0) - started);
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] ?? 0));
    // 40, 80, 160 ms (random 0.5 → no spread).
    expect(gaps[0]).toBeGreaterThanOrEqual(38);
    expect(gaps[1]).toBeGreaterThanOrEqual(78);
    expect(gaps[2]).toBeGreaterThanOrEqual(158);
    expect(platform.clients.slice(0, 3).every((c) => c.destroyed)).toBe(true);
  });

  it('notices a dead browser through getState and reconnects', async () => {
    const h = await startAdapter('ready', { watchdogMs: 30 });
    await connected(h);
    h.platform.current.state = new Error('Protocol error: Target closed');
    await waitFor(() => h.platform.clients.length === 2 && h.adapter.health().ok, 'reconnected');
    expect(h.platform.clients[0]?.destroyed).toBe(true);
  });

  it('bounds the queue while disconnected and hands back messages that waited too long', async () => {
    const h = await startAdapter('idle', { maxQueued: 2, maxWaitMs: 150 });
    const a = h.adapter.send(CHAT, { kind: 'text', text: 'a' });
    const b = h.adapter.send(CHAT, { kind: 'text', text: 'b' });
    const full = await sendError(h.adapter.send(CHAT, { kind: 'text', text: 'c' }));
    expect(full.code).toBe('RATE_LIMITED');
    expect(full.retryAfterMs).toBeGreaterThan(0);
    expect((await sendError(a)).code).toBe('UNAVAILABLE');
    expect((await sendError(b)).code).toBe('UNAVAILABLE');
    h.platform.current.emitReady();
    await connected(h);
    await new Promise((r) => setTimeout(r, 30));
    expect(sendCalls(h)).toHaveLength(0);
  });

  it('destroys a client whose start finishes after stop(), so no browser is left behind', async () => {
    const platform = new FakeWhatsAppPlatform('idle');
    let finishStart: () => void = () => {};
    const create = platform.createClient.bind(platform);
    platform.createClient = () => {
      const client = create();
      client.initialize = () => new Promise<void>((resolve) => (finishStart = resolve));
      return client;
    };
    const h = await startAdapter('idle', { loadPlatform: async () => platform });
    await h.adapter.stop();
    const destroys = () => platform.current.calls.filter((c) => c.method === 'destroy').length;
    expect(destroys()).toBe(1);
    finishStart();
    await waitFor(() => destroys() === 2, 'second destroy');
  });

  it('stop() hands back what is queued and destroys the client', async () => {
    const h = await startAdapter('idle');
    const pending = sendError(h.adapter.send(CHAT, { kind: 'text', text: 'a' }));
    await h.adapter.stop();
    expect((await pending).code).toBe('UNAVAILABLE');
    expect(h.platform.current.destroyed).toBe(true);
    expect(h.adapter.health()).toEqual({ ok: false, state: 'stopped' });
    expect((await readStatus(ctx))?.state).toBe('stopped');
    expect((await sendError(h.adapter.send(CHAT, { kind: 'text', text: 'b' }))).code).toBe('UNAVAILABLE');

    // Started again (a component restart), it connects a fresh client and sends.
    h.platform.behaviour = 'ready';
    await h.adapter.start(async () => {});
    await connected(h);
    expect(h.platform.clients).toHaveLength(2);
    expect(await h.adapter.send(CHAT, { kind: 'text', text: 'c' })).toEqual({
      messageId: expect.any(String),
    });
    await expect(h.adapter.start(async () => {})).rejects.toThrow(/already started/);
  });
});

describe('rate limiting', () => {
  it('sends 10 messages at 5 per second over at least 1.8 s, one at a time in order', async () => {
    const h = await startAdapter('ready', { messagesPerSecond: 5, jitterMs: { min: 0, max: 20 } });
    await connected(h);
    const started = Date.now();
    // Two producers at once share one queue.
    const texts = Array.from({ length: 10 }, (_, i) => `pesan ${i + 1}`);
    await Promise.all(
      texts.map((t, i) => h.adapter.send(i % 2 ? CHAT : OTHER_CHAT, { kind: 'text', text: t })),
    );
    const elapsed = Date.now() - started;
    const sent = h.platform.current.sent;
    expect(sent.map((s) => s.content)).toEqual(texts);
    const gaps = sent.slice(1).map((s, i) => s.at - (sent[i]?.at ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(199);
    expect((sent.at(-1)?.at ?? 0) - (sent[0]?.at ?? 0)).toBeGreaterThanOrEqual(1800);
    expect(elapsed).toBeLessThan(3000);
    console.warn(
      `whatsapp rate limit: 10 messages at 5/s took ${elapsed} ms (gaps ${Math.min(...gaps)}–${Math.max(...gaps)} ms)`,
    );
  });

  it('adds the random delay to every gap', async () => {
    const h = await startAdapter('ready', {
      messagesPerSecond: 20,
      jitterMs: { min: 100, max: 300 },
      random: () => 0.5,
    });
    await connected(h);
    await Promise.all([1, 2, 3].map((n) => h.adapter.send(CHAT, { kind: 'text', text: `m${n}` })));
    const sent = h.platform.current.sent;
    const gaps = sent.slice(1).map((s, i) => s.at - (sent[i]?.at ?? 0));
    // 50 ms interval + 200 ms jitter.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(249);
  });
});

describe('privacy', () => {
  it('never logs phone numbers, chat ids or message text', async () => {
    const from = ctx.logLines.length;
    const h = await startAdapter('qr');
    await waitFor(() => !!h.adapter.latestQr(), 'QR');
    h.platform.current.emitReady();
    await connected(h);
    const c = h.platform.current;
    c.receive({ from: CHAT, body: 'email saya budi@example.id, hp 0812-8761-1943' });
    c.receive({
      from: CHAT,
      type: 'vcard',
      body: 'BEGIN:VCARD\nTEL;waid=6281398765432:+62 813-9876-5432\nEND:VCARD',
    });
    c.receive({ from: '120363012345678901@g.us', body: 'group' });
    await waitFor(() => h.inbound.length === 2, 'inbound');
    await h.adapter.send(CHAT, { kind: 'text', text: 'Kode Anda 123456' });
    c.failNextSend(new Error('Evaluation failed: invalid wid 6281287611943@c.us (+62 812-8761-1943)'));
    await h.adapter.send(CHAT, { kind: 'text', text: 'x' }).catch(() => {});
    c.disconnect('UNPAIRED');
    await waitFor(() => h.platform.clients.length === 2, 'reconnect');
    h.platform.current.emitReady();
    await connected(h);

    const lines = ctx.logLines.slice(from);
    const text = lines.join('\n');
    expect(lines.some((l) => l.includes('"channel":"whatsapp"'))).toBe(true);
    expect(text).toContain('whatsapp connection lost');
    expect(text).toContain('whatsapp send failed');
    expect(text).toContain('"errorCode":"BAD_REQUEST"');
    for (const secret of [
      '8128761',
      '8139876',
      '812-8761',
      'budi@example.id',
      '123456',
      '@c.us',
      'fakeRef',
      '@g.us',
    ]) {
      expect(text, `log contains ${secret}`).not.toContain(secret);
    }
  });
});
