import type { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Component } from '../../src/app/component.js';
import { createGatewayComponent } from '../../src/gateway/component.js';
import { linkChat } from '../../src/identity/links.js';
import { createStatelessOutboundComponent } from '../../src/outbound/worker.js';
import { parsePromo, sendPromo } from '../../src/promo/index.js';
import { createRequestWorkers } from '../../src/workers/requests-component.js';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

/**
 * 2,000 customers on Telegram (the fake Bot API), with the real gateway, conversation engine,
 * request workers and outbound worker running beside the promo sender. What reached each chat
 * is counted at the fake: "received nothing" means the Bot API never saw a promo for that chat.
 */

const N = 2000;
/** Every fourth customer never agreed to marketing: 500. */
const hasConsent = (i: number) => i % 4 !== 3;
const CHAT_BASE = 700_000;
const chatOf = (i: number) => String(CHAT_BASE + i);
/**
 * Telegram's own limit (~30/s; the default is 25/s). The sender can go faster than this on the
 * test server, so the rate assertion below is a real check of the limiter, and the 100 STOPs
 * (read by the gateway in a few seconds) are in well before the sender reaches those customers.
 */
const RATE = 30;

let fake: FakeTelegramBotApi;
let ctx: TestContext;
let ids: Types.ObjectId[] = [];
const components: Component[] = [];

beforeAll(async () => {
  // Linked chats are customers who verified there, so each wrote to the bot before.
  fake = await FakeTelegramBotApi.start({ knownChats: (chatId) => Number(chatId) > 0 });
  ctx = await createTestContext({ LOG_LEVEL: 'info', WEBCHAT_ENABLED: 'false', ...fake.env });
  const now = new Date();
  const docs = await ctx.models.Customer.insertMany(
    Array.from({ length: N }, (_, i) => ({
      customerNo: `S-${String(i).padStart(6, '0')}`,
      name: `Pelanggan ${i}`,
      phone: `+62815${String(10_000_000 + i)}`,
      area: i % 2 ? 'Depok' : 'Bekasi',
      marketingConsent: { granted: hasConsent(i), updatedAt: now, source: 'test' },
      createdAt: now,
      updatedAt: now,
    })),
  );
  ids = docs.map((d) => d._id);
  for (let i = 0; i < N; i += 250)
    await Promise.all(
      ids.slice(i, i + 250).map((id, j) => linkChat(ctx, 'telegram', chatOf(i + j), String(id))),
    );
  // The app as it runs in production: Telegram gateway (engine), request workers, outbound worker.
  const gateway = createGatewayComponent(ctx);
  const outbound = createStatelessOutboundComponent(ctx);
  if (!gateway || !outbound) throw new Error('telegram is not configured');
  components.push(createRequestWorkers(ctx, { reconcileEveryMs: 600_000 }), outbound, gateway);
  for (const c of components) await c.start();
}, 60_000);

afterAll(async () => {
  for (const c of [...components].reverse()) await c.stop().catch(() => {});
  await ctx.cleanup();
  await fake.close();
});

/** Promo messages the fake Bot API accepted, per chat. */
function promoCounts(prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of fake.calls) {
    if (call.method !== 'sendMessage' || call.status !== 200) continue;
    if (typeof call.params.text !== 'string' || !call.params.text.startsWith(prefix)) continue;
    const chat = String(call.params.chat_id);
    counts.set(chat, (counts.get(chat) ?? 0) + 1);
  }
  return counts;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Late in the send order (ids ascend with i): their turn comes well after they say STOP.
const stoppers = Array.from({ length: N }, (_, i) => i)
  .filter((i) => i >= 1500 && hasConsent(i))
  .slice(0, 100);
const STOP_FORMS = ['STOP', 'stop', ' Stop! ', 'BERHENTI', 'unreg', 'Stop promo.'];

describe('promo to 2,000 customers', () => {
  it('500 without consent and 100 who say STOP while it is sent receive nothing; everyone else once', async () => {
    const text = { id: 'Promo satu: diskon 20% sedot WC!', en: 'Promo one: 20% off!' };
    let startedAt = 0;
    let stopAt = 0;
    const report = await sendPromo(
      ctx,
      parsePromo({ id: 'scale-one', message: text, channels: ['telegram'] }),
      {
        rates: { telegram: RATE },
        onProgress: (p) => {
          startedAt ||= Date.now();
          if (stopAt || p.sent < 150) return;
          stopAt = Date.now();
          for (const [k, i] of stoppers.entries())
            fake.userSends(CHAT_BASE + i, STOP_FORMS[k % STOP_FORMS.length] as string);
        },
      },
    );
    expect(stopAt).toBeGreaterThan(0);

    const counts = promoCounts(text.id);
    const stopSet = new Set(stoppers);
    const wrong: string[] = [];
    for (let i = 0; i < N; i++) {
      const got = counts.get(chatOf(i)) ?? 0;
      const expected = hasConsent(i) && !stopSet.has(i) ? 1 : 0;
      if (got !== expected) wrong.push(`customer ${i}: ${got} (expected ${expected})`);
    }
    expect(wrong).toEqual([]);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(1400);

    expect(report.status).toBe('completed');
    expect(report.sent).toBe(1400);
    expect(report.failed).toEqual({});
    // The STOPs were caught either as an opt-out still queued or as consent already withdrawn.
    const { no_consent = 0, opt_out_pending = 0, ...rest } = report.skipped;
    expect(rest).toEqual({});
    expect(no_consent + opt_out_pending).toBe(600);

    // Every STOP was answered, and the consent worker turned marketing off, with its proof.
    await until('STOP confirmations', () =>
      stoppers.every((i) => fake.textsTo(chatOf(i)).some((t) => t.includes('tidak akan menerima promosi'))),
    );
    await until('consent withdrawn', async () => {
      const n = await ctx.models.Customer.countDocuments({
        _id: { $in: stoppers.map((i) => ids[i]) },
        'marketingConsent.granted': false,
      });
      return n === stoppers.length;
    });
    const first = await ctx.models.Customer.findById(ids[stoppers[0] as number]).lean();
    expect(first?.consentHistory.at(-1)).toMatchObject({
      granted: false,
      source: 'telegram:keyword',
      words: 'STOP',
    });

    // Progress as the console reads it.
    const promo = await ctx.models.Promo.findOne({ promoId: 'scale-one' }).lean();
    expect(promo?.status).toBe('completed');
    expect(promo?.progress).toMatchObject({ total: N, sent: 1400, skipped: 600, failed: 0 });
    expect(report.perSecond).toBeLessThanOrEqual(RATE * 1.05);
    console.warn(
      `[measure] promo to ${N}: ${report.sentThisRun} sent in ${(report.elapsedMs / 1000).toFixed(1)} s = ` +
        `${report.perSecond} msg/s (limit ${RATE}/s); 100 STOPs sent ${((stopAt - startedAt) / 1000).toFixed(1)} s in`,
    );
  }, 600_000);
});
