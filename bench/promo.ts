import { existsSync } from 'node:fs';
import { linkChat } from '../src/identity/links.js';
import { FakeTelegramBotApi } from '../test/fakes/telegram-bot-api.js';
import { benchContext, log } from './context.js';
import { seedCustomers } from './fixtures.js';
import { type BenchFigure, round } from './harness.js';
import type { Benchmark } from './run.js';

const CUSTOMERS = Number(process.env.BENCH_PROMO_CUSTOMERS ?? 10_000);
/** The configured rate: far above what the sender reaches, so configuration is not the limit. */
const RATE = 1_000;
/** The send stops here if it has not finished; the rate is what it reached until then. */
const MAX_SECONDS = Number(process.env.BENCH_PROMO_SECONDS ?? 120);

/**
 * A promotion to 10,000 consenting customers, each with a verified Telegram chat, sent through the
 * fake Bot API by the real promo sender (consent checked per recipient, one delivery record each).
 * Baseline: the configured rate, so the ratio says how much of it the sender reaches.
 */
const promo: Benchmark = async (env): Promise<Record<string, BenchFigure>> => {
  if (!existsSync('src/promo/index.ts')) {
    log('src/promo does not exist yet: promo_10k skipped');
    return {};
  }
  const { parsePromo, sendPromo } = await import('../src/promo/index.js');
  // Linked chats are customers who verified there, so each wrote to the bot before.
  const fake = await FakeTelegramBotApi.start({ knownChats: (chatId) => Number(chatId) > 0 });
  const ctx = await benchContext(env, 'promo', { ...fake.env, WEBCHAT_ENABLED: 'false' });
  try {
    const customers = await seedCustomers(ctx, CUSTOMERS, 95);
    for (let i = 0; i < customers.length; i += 500)
      await Promise.all(
        customers
          .slice(i, i + 500)
          .map((id, j) => linkChat(ctx, 'telegram', String(800_000 + i + j), String(id))),
      );
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), MAX_SECONDS * 1000);
    const report = await sendPromo(
      ctx,
      parsePromo({
        id: 'bench-promo-10k',
        message: { id: 'Diskon 20% sedot WC bulan ini!', en: '20% off septic pumping this month!' },
        channels: ['telegram'],
      }),
      { rates: { telegram: RATE }, signal: abort.signal },
    );
    clearTimeout(timer);
    const delivered = fake.callsOf('sendMessage').length;
    log(
      `promo to ${CUSTOMERS}: ${report.sentThisRun} sent in ${round(report.elapsedMs / 1000, 1)} s (${report.status}), the fake Bot API accepted ${delivered}; configured rate ${RATE}/s`,
    );
    if (report.status !== 'completed')
      log(`stopped after ${MAX_SECONDS} s: the rate is the one reached until then`);
    return {
      promo_10k: {
        value: round(report.perSecond),
        unit: 'messages/s',
        baseline: RATE,
        ratio: round(report.perSecond / RATE, 3),
      },
      // Whether the whole audience got it within the bench (issue 15: all 10,000).
      promo_10k_sent: {
        value: report.sentThisRun,
        unit: 'messages',
        baseline: CUSTOMERS,
        ratio: round(report.sentThisRun / CUSTOMERS, 3),
      },
    };
  } finally {
    await ctx.cleanup();
    await fake.close();
  }
};
export default promo;
