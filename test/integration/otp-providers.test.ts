import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import type { ChannelAdapter, OutboundMessage } from '../../src/channels/types.js';
import { whatsappChannel } from '../../src/channels/whatsapp/index.js';
import { createOtpService } from '../../src/identity/otp.js';
import {
  createConsoleOtpProvider,
  createOtpProvider,
  createWebhookOtpProvider,
  readDevOtpOutbox,
} from '../../src/identity/otp-providers/index.js';
import { createOutbox } from '../../src/outbound/outbox.js';
import { createOutboundWorker } from '../../src/outbound/worker.js';
import { FakeSmsGateway } from '../fakes/sms-gateway.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let ctx: TestContext;
let gateway: FakeSmsGateway;
const PHONE = '+6281287611943';
const PHONE_2 = '+6281311112222';
const PHONE_3 = '+6281355556666';

beforeAll(async () => {
  ctx = await createTestContext();
  gateway = await FakeSmsGateway.start();
  await ctx.models.Customer.create([
    { customerNo: 'C-P-1', name: 'Siti Rahayu', phone: PHONE },
    { customerNo: 'C-P-2', name: 'Budi Santoso', phone: PHONE_2 },
    { customerNo: 'C-P-3', name: 'Dewi Lestari', phone: PHONE_3 },
  ]);
});
afterAll(async () => {
  await gateway.stop();
  await ctx.cleanup();
});

const withConfig = (overrides: Partial<AppContext['config']>): AppContext => ({
  ...ctx,
  config: { ...ctx.config, ...overrides },
});

describe('console provider (development)', () => {
  it('puts the code in the dev OTP outbox, newest first, at most 50, and logs nothing personal', async () => {
    const otp = createOtpService(ctx, createConsoleOtpProvider(ctx));
    expect(await otp.requestCode({ phone: PHONE, channel: 'webchat', chatId: 'w-1', locale: 'id' })).toEqual({
      status: 'sent',
    });
    await otp.drain();
    const [entry] = await readDevOtpOutbox(ctx);
    expect(entry).toMatchObject({ maskedPhone: '+62812****943', phoneLast4: '1943', locale: 'id' });
    expect(entry?.code).toMatch(/^\d{6}$/);
    expect(
      await otp.verifyCode({ phone: PHONE, channel: 'webchat', chatId: 'w-1', code: entry?.code ?? '' }),
    ).toEqual({ ok: true });
    const log = ctx.logLines.join('\n');
    expect(log).toContain('dev OTP outbox');
    expect(log).not.toMatch(new RegExp(`(?<!\\d)${entry?.code}(?!\\d)`));
    expect(log).not.toContain('81287611943');

    const provider = createConsoleOtpProvider(ctx);
    for (let i = 0; i < 60; i++) {
      await provider.deliver(PHONE, 'x', 'en', { code: String(100_000 + i) });
    }
    const entries = await readDevOtpOutbox(ctx);
    expect(entries).toHaveLength(50);
    expect(entries[0]?.code).toBe('100059');
  });

  it('is refused in production', () => {
    expect(() => createConsoleOtpProvider(withConfig({ isProduction: true }))).toThrow(
      expect.objectContaining({ code: 'PROVIDER_REFUSED' }),
    );
  });
});

describe('webhook provider', () => {
  const provider = () =>
    createWebhookOtpProvider({
      url: gateway.url,
      secret: ctx.config.otp.secret,
      logger: ctx.logger,
      timeoutMs: 300,
    });

  it('retries once when the gateway fails, then delivers', async () => {
    gateway.failNext(1, 503);
    await provider().deliver('+6281200000001', 'Kode: 111111', 'id');
    expect(gateway.requests.filter((r) => r.to === '+6281200000001').map((r) => r.status)).toEqual([
      503, 200,
    ]);
  });

  it('retries once after a timeout', async () => {
    gateway.delayMs = 500;
    const started = Date.now();
    await expect(provider().deliver('+6281200000002', 'Kode: 222222', 'id')).rejects.toMatchObject({
      code: 'DELIVERY_FAILED',
      message: expect.stringContaining('no answer within 300 ms'),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    gateway.delayMs = 0;
  });

  it('does not retry a request the gateway refuses (4xx)', async () => {
    gateway.failNext(1, 400);
    await expect(provider().deliver('+6281200000003', 'Kode: 333333', 'id')).rejects.toMatchObject({
      code: 'DELIVERY_FAILED',
      message: 'The SMS gateway did not accept the code (HTTP 400)',
    });
    expect(gateway.requests.filter((r) => r.to === '+6281200000003')).toHaveLength(1);
  });

  it('is what createOtpProvider builds for OTP_PROVIDER=webhook', async () => {
    const wctx = withConfig({ otp: { ...ctx.config.otp, provider: 'webhook', webhookUrl: gateway.url } });
    const otp = createOtpService(wctx, createOtpProvider(wctx));
    expect(
      await otp.requestCode({ phone: PHONE_2, channel: 'telegram', chatId: '5001', locale: 'id' }),
    ).toEqual({
      status: 'sent',
    });
    const sms = await gateway.waitForMessage(PHONE_2);
    expect(sms.text).toContain('Kode verifikasi Sanita Jaya');
    expect(() =>
      createOtpProvider(
        withConfig({ otp: { ...ctx.config.otp, provider: 'webhook', webhookUrl: undefined } }),
      ),
    ).toThrow(expect.objectContaining({ code: 'PROVIDER_MISCONFIGURED' }));
  });
});

describe('whatsapp provider', () => {
  it('sends the code through the outbound queue to <digits>@c.us', async () => {
    const sent: { chatId: string; message: OutboundMessage }[] = [];
    const whatsapp: ChannelAdapter = {
      name: 'whatsapp',
      start: async () => {},
      stop: async () => {},
      health: () => ({ ok: true, state: 'fake' }),
      send: async (chatId, message) => {
        sent.push({ chatId, message });
        return { messageId: 'wa-1' };
      },
    };
    const outbox = createOutbox(ctx);
    const worker = createOutboundWorker(ctx, { channels: ['whatsapp'], resolveAdapter: () => whatsapp });
    await worker.start();
    try {
      const wctx = withConfig({ otp: { ...ctx.config.otp, provider: 'whatsapp' } });
      // The channels that carry codes are handed in by the composer (the gateway).
      const otp = createOtpService(wctx, createOtpProvider(wctx, outbox, [whatsappChannel]));
      expect(
        await otp.requestCode({ phone: PHONE_3, channel: 'whatsapp', chatId: 'x@c.us', locale: 'en' }),
      ).toEqual({ status: 'sent' });
      await otp.drain();
      const until = Date.now() + 5000;
      while (sent.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(sent).toHaveLength(1);
      expect(sent[0]?.chatId).toBe('6281355556666@c.us');
      expect(sent[0]?.message).toMatchObject({
        kind: 'text',
        text: expect.stringMatching(/^Sanita Jaya verification code: \d{6}\./),
      });
      expect(() => createOtpProvider(wctx)).toThrow(
        expect.objectContaining({ code: 'PROVIDER_MISCONFIGURED' }),
      );
    } finally {
      await worker.stop();
      await outbox.close();
    }
  });
});
