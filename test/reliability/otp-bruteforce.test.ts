import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import type { InboundMessage, OutboundMessage } from '../../src/channels/types.js';
import { ConversationEngine, flowCatalog } from '../../src/conversation/engine.js';
import { loadFlows } from '../../src/conversation/flow-loader.js';
import { FLOWS_DIR } from '../../src/conversation/runtime.js';
import { linkedCustomer } from '../../src/identity/links.js';
import { createOtpService } from '../../src/identity/otp.js';
import { createConsoleOtpProvider, readDevOtpOutbox } from '../../src/identity/otp-providers/index.js';
import { createOutbox } from '../../src/outbound/outbox.js';
import { createRequestService } from '../../src/requests/index.js';
import { seedDemo } from '../../src/seed/seed.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

/**
 * OTP brute force: one phone (Siti's) attacked from 50 chats. No guess may verify, the per-phone
 * cap must hold, and the bot must answer a customer's number and a stranger's alike.
 */

const SITI = '+6281287611943';
const STRANGER = '+6281399990000';
const ATTACK_CHATS = 50;
const flows = loadFlows(FLOWS_DIR, flowCatalog());

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ LOG_LEVEL: 'info' });
  await seedDemo(ctx.models);
});
afterAll(() => ctx.cleanup());

/** A context on its own Redis prefix (below the test's), so each attack starts with fresh limits. */
function scoped(name: string): AppContext {
  const prefix = `${ctx.config.redisPrefix}:${name}`;
  return {
    ...ctx,
    config: { ...ctx.config, redisPrefix: prefix },
    key: (...p: (string | number)[]) => [prefix, ...p].join(':'),
  };
}

/** A six-digit guess; never the given codes (the attacker cannot know them). */
function guess(avoid: Set<string>): string {
  for (;;) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    if (!avoid.has(code)) return code;
  }
}

function harness(app: AppContext) {
  let clock = Date.now();
  const outbox = createOutbox(app);
  const otp = createOtpService(app, createConsoleOtpProvider(app), { now: () => clock });
  const requests = createRequestService(app, { outbox });
  const engine = new ConversationEngine(app, { otp, requests }, flows);
  const messageNos = new Map<string, number>();
  return {
    app,
    otp,
    engine,
    advance(seconds: number) {
      clock += seconds * 1000;
    },
    async send(chatId: string, text: string): Promise<OutboundMessage[]> {
      const no = (messageNos.get(chatId) ?? 0) + 1;
      messageNos.set(chatId, no);
      const inbound: InboundMessage = {
        channel: 'telegram',
        chatId,
        senderId: chatId,
        messageId: `m${no}`,
        messageKey: `${chatId}:m${no}`,
        receivedAt: new Date(clock),
        text,
      };
      return engine.handle(inbound);
    },
    async close() {
      await otp.drain();
      await requests.close();
      await outbox.close();
    },
  };
}

describe('OTP brute force against one phone', () => {
  it('through the OTP service: 50 chats, no guess verifies, the per-phone cap holds, lockout holds', async () => {
    const h = harness(scoped('svc'));
    try {
      const statuses: string[] = [];
      let successes = 0;
      let attempts = 0;
      const issued = new Map<string, string>();
      const lockedWithRightCode: string[] = [];
      for (let i = 0; i < ATTACK_CHATS; i++) {
        const chatId = `attacker-${i}`;
        // Past the resend cooldown, well inside the 15-minute per-phone window.
        h.advance(h.otp.limits.resendCooldownSeconds + 1);
        const sent = await h.otp.requestCode({ phone: SITI, channel: 'telegram', chatId, locale: 'id' });
        statuses.push(sent.status);
        await h.otp.drain();
        const latest = (await readDevOtpOutbox(h.app))[0]?.code;
        if (sent.status === 'sent' && latest) issued.set(chatId, latest);
        const known = new Set(issued.values());
        for (let t = 0; t < 10; t++) {
          attempts++;
          const result = await h.otp.verifyCode({
            phone: SITI,
            channel: 'telegram',
            chatId,
            code: guess(known),
          });
          if (result.ok) successes++;
        }
        // Lockout is real: after the wrong guesses even the right code is refused.
        const code = issued.get(chatId);
        if (code) {
          const result = await h.otp.verifyCode({ phone: SITI, channel: 'telegram', chatId, code });
          if (!result.ok && result.reason === 'locked') lockedWithRightCode.push(chatId);
        }
      }
      expect(successes).toBe(0);
      expect(attempts).toBe(ATTACK_CHATS * 10);
      // Requests come one cooldown apart: the per-phone window (3 codes in 15 minutes) is the only
      // brake, so exactly the first `cap` requests of each window are served.
      const cap = h.otp.limits.maxCodesPerPhone;
      const spacing = h.otp.limits.resendCooldownSeconds + 1;
      const expected: string[] = [];
      const sentAt: number[] = [];
      for (let i = 0; i < ATTACK_CHATS; i++) {
        const at = (i + 1) * spacing;
        const inWindow = sentAt.filter((s) => at - s < h.otp.limits.phoneWindowSeconds).length;
        expected.push(inWindow < cap ? 'sent' : 'limited');
        if (inWindow < cap) sentAt.push(at);
      }
      expect(statuses).toEqual(expected);
      expect(statuses.slice(0, cap)).toEqual(Array(cap).fill('sent'));
      expect(statuses[cap]).toBe('limited');
      expect(issued.size).toBe(sentAt.length);
      expect(issued.size).toBeLessThanOrEqual(
        cap * Math.ceil((ATTACK_CHATS * spacing) / h.otp.limits.phoneWindowSeconds),
      );
      expect(lockedWithRightCode).toEqual([...issued.keys()]);
      // A code is bound to the chat that asked for it: another chat cannot use it.
      h.advance(h.otp.limits.phoneWindowSeconds + 1);
      expect(
        (await h.otp.requestCode({ phone: SITI, channel: 'telegram', chatId: 'owner', locale: 'id' })).status,
      ).toBe('sent');
      await h.otp.drain();
      const ownerCode = (await readDevOtpOutbox(h.app))[0]?.code ?? '';
      const stolen = await h.otp.verifyCode({
        phone: SITI,
        channel: 'telegram',
        chatId: 'attacker-0',
        code: ownerCode,
      });
      expect(stolen.ok).toBe(false);
      // The code itself was good (the test can fail): its owner verifies with it.
      expect(
        (await h.otp.verifyCode({ phone: SITI, channel: 'telegram', chatId: 'owner', code: ownerCode })).ok,
      ).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('through the conversation: 50 chats guessing codes link none of them', async () => {
    const h = harness(scoped('chat'));
    try {
      const sawLimited: number[] = [];
      const allTexts: string[] = [];
      for (let i = 0; i < ATTACK_CHATS; i++) {
        const chatId = `attacker-${i}`;
        h.advance(h.otp.limits.resendCooldownSeconds + 1);
        await h.send(chatId, 'status');
        const afterPhone = await h.send(chatId, '0812-8761-1943');
        const texts = afterPhone.map((m) => (m.kind === 'document' ? '' : m.text));
        if (texts.some((t) => /mencapai batas/.test(t))) sawLimited.push(i);
        for (let t = 0; t < 6; t++) {
          const replies = await h.send(chatId, guess(new Set()));
          for (const m of replies) allTexts.push(m.kind === 'document' ? '[document]' : m.text);
          // A locked code offers a new one: the attacker always says yes.
          if (replies.some((m) => m.kind !== 'document' && /Kirim kode baru/.test(m.text))) {
            await h.send(chatId, 'ya');
          }
        }
      }
      const linked = await Promise.all(
        Array.from({ length: ATTACK_CHATS }, (_, i) => linkedCustomer(h.app, 'telegram', `attacker-${i}`)),
      );
      expect(linked.filter(Boolean)).toEqual([]);
      expect(allTexts.some((t) => /terverifikasi/.test(t))).toBe(false);
      expect(allTexts.some((t) => t === '[document]')).toBe(false);
      // The per-phone cap (3 codes in 15 minutes) holds across chats: the 4th chat already hears
      // "limit reached", and over the whole attack no more codes went out than the windows allow.
      const cap = h.otp.limits.maxCodesPerPhone;
      const windows = Math.ceil(
        (ATTACK_CHATS * (h.otp.limits.resendCooldownSeconds + 1)) / h.otp.limits.phoneWindowSeconds,
      );
      expect(sawLimited.slice(0, 1)).toEqual([cap]);
      await h.otp.drain();
      const delivered = await readDevOtpOutbox(h.app);
      expect(delivered.length).toBeGreaterThanOrEqual(cap);
      expect(delivered.length).toBeLessThanOrEqual(cap * windows);
      expect(sawLimited.length).toBeGreaterThanOrEqual(ATTACK_CHATS - cap * windows);
    } finally {
      await h.close();
    }
  });

  it('answers a customer number and a stranger number with the same sentences', async () => {
    const script = (phone: string) => [
      'status',
      phone,
      '000000',
      '111111',
      '222222',
      '333333',
      '444444',
      'ya',
      'ya',
      '555555',
      'tidak',
      'status',
      phone,
      'batal',
    ];
    async function run(name: string, phone: string, masked: RegExp): Promise<string[]> {
      const h = harness(scoped(name));
      const transcript: string[] = [];
      try {
        for (const [step, text] of script(phone).entries()) {
          h.advance(5);
          for (const m of await h.send('probe', text)) {
            const body =
              m.kind === 'buttons'
                ? `${m.text} ${m.buttons.map((b) => `[${b.label}]`).join('')}`
                : m.kind === 'contact_request'
                  ? `${m.text} [${m.buttonLabel}]`
                  : m.kind === 'text'
                    ? m.text
                    : `[document ${m.fileName}]`;
            transcript.push(`${step} -> ${body.replace(masked, '<masked>')}`);
          }
        }
      } finally {
        await h.close();
      }
      return transcript;
    }
    const customer = await run('cmp-customer', '081287611943', /\+62812\*+943/g);
    const stranger = await run('cmp-stranger', STRANGER, /\+62813\*+000/g);
    expect(customer.length).toBeGreaterThan(10);
    expect(customer.join('\n')).toMatch(/tidak cocok/);
    expect(customer.join('\n')).toMatch(/<masked>/);
    expect(stranger).toEqual(customer);
    // Only the customer's number got a code at all.
    const delivered = await readDevOtpOutbox(scoped('cmp-customer'));
    const toStranger = await readDevOtpOutbox(scoped('cmp-stranger'));
    expect(delivered.length).toBeGreaterThan(0);
    expect(toStranger).toEqual([]);
  });
});
