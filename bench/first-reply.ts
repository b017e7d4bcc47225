import pino from 'pino';
import { Telegram } from 'telegraf';
import { loadAppConfig } from '../src/app/settings.js';
import { startApp } from '../src/app/start.js';
import { createLogger } from '../src/logging/logger.js';
import { freePort } from '../src/services/processes.js';
import { FakeTelegramBotApi } from '../test/fakes/telegram-bot-api.js';
import { benchContext, log, waitUntil } from './context.js';
import { latencies, round } from './harness.js';
import type { Benchmark } from './run.js';

const CHATS = Number(process.env.BENCH_NEW_CHATS ?? 500);
const WARMUP_CHATS = 20;

/**
 * `first_reply_new_chats`: 500 new Telegram customers each send their first message ("halo") at
 * once to the whole app (ROLE=all: polling, engine, outbound queue and worker) through the fake
 * Bot API, which numbers message ids per chat as Telegram does, so every first message is id 1.
 * Per chat: time from the update being queued at the fake to the bot's first sendMessage there.
 * All must be answered (issue 13 silenced most of them). Baseline: one raw sendMessage round trip
 * to the same fake (telegraf, one at a time), so the ratio is the first reply in round trips.
 */
const firstReply: Benchmark = async (env) => {
  const fake = await FakeTelegramBotApi.start({ maxPollSeconds: 1 });
  const ctx = await benchContext(env, 'first_reply', { ...fake.env, WEBCHAT_ENABLED: 'false' });
  const config = loadAppConfig({
    ...ctx.env,
    ROLE: 'all',
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: String(await freePort()),
    OTP_PROVIDER: 'console',
  });
  const app = await startApp(
    config,
    createLogger({ level: config.logLevel, destination: pino.destination('/dev/null') }),
  );
  try {
    await waitUntil('the bot to poll', async () => fake.callsOf('getUpdates').length > 0, 15_000);

    /** Sends "halo" from each chat at once; resolves with each chat's first-reply time (ms). */
    const burst = async (chats: number[]) => {
      const sentAt = new Map<number, number>();
      // New chats: nothing was sent to them before this call.
      const startCall = fake.callCount;
      for (const chat of chats) {
        fake.userSends(chat, 'halo');
        sentAt.set(chat, Date.now());
      }
      const firstReplyAt = new Map<number, number>();
      const pending = new Set(chats);
      // Each look reads only the calls made since the last one: the fake shares this process with
      // the app, and asking messagesTo for every pending chat scanned every call each look
      // (pending chats × calls: 2-4% of the burst's CPU at 500 chats, taken from the app measured).
      let seen = startCall;
      await waitUntil(
        `first replies in ${chats.length} new chats`,
        async () => {
          for (; seen < fake.callCount; seen++) {
            const call = fake.calls[seen];
            if (call?.status !== 200) continue;
            if (call.method !== 'sendMessage' && call.method !== 'sendDocument') continue;
            const chat = Number(call.params.chat_id);
            if (!pending.has(chat)) continue;
            firstReplyAt.set(chat, call.at);
            pending.delete(chat);
          }
          return pending.size === 0;
        },
        120_000,
        100,
      ).catch((err: Error) => log(`${pending.size} of ${chats.length} chats unanswered: ${err.message}`));
      return chats
        .filter((chat) => firstReplyAt.has(chat))
        .map((chat) => (firstReplyAt.get(chat) ?? 0) - (sentAt.get(chat) ?? 0));
    };

    await burst(Array.from({ length: WARMUP_CHATS }, (_, i) => 900_001 + i));
    const chats = Array.from({ length: CHATS }, (_, i) => 910_001 + i);
    const started = performance.now();
    const samples = await burst(chats);
    const seconds = (performance.now() - started) / 1000;

    // Baseline: the same fake, one raw sendMessage at a time, to the chats that now exist.
    const telegram = new Telegram(fake.token, { apiRoot: `${fake.apiRoot}/` });
    const raw: number[] = [];
    for (const chat of chats) {
      const t0 = performance.now();
      await telegram.sendMessage(chat, 'ping');
      raw.push(performance.now() - t0);
    }
    const first = latencies(samples);
    const baseline = latencies(raw);
    log(
      `${samples.length} of ${CHATS} new chats answered; the last after ${round(seconds, 1)} s; raw sendMessage p50 ${baseline.p50_ms} ms, p99 ${baseline.p99_ms} ms`,
    );
    if (samples.length < CHATS) throw new Error(`${CHATS - samples.length} new chats got no reply`);
    return {
      first_reply_new_chats: {
        value: first.p50_ms ?? 0,
        unit: 'ms',
        baseline: baseline.p50_ms ?? 0,
        ratio: round((first.p50_ms ?? 0) / Math.max(baseline.p50_ms ?? 0, 0.01), 1),
        ...first,
      },
      first_reply_new_chats_answered: {
        value: samples.length,
        unit: 'chats answered',
        baseline: CHATS,
        ratio: round(samples.length / CHATS, 3),
      },
    };
  } finally {
    await app.stop();
    await ctx.cleanup();
    await fake.close();
  }
};
export default firstReply;
