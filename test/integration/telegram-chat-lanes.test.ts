import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramAdapter, type TelegramAdapter } from '../../src/channels/telegram/index.js';
import {
  WebhookQueueConsumer,
  webhookInHandKey,
  webhookQueueKey,
} from '../../src/channels/telegram/webhook-queue.js';
import type { InboundMessage } from '../../src/channels/types.js';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * Long polling (and the webhook queue) hands a batch's updates to the engine chat by chat, the chats side by side:
 * many new customers writing at once are answered together, not one after another, and each
 * chat's own messages still reach the engine in the order they were written.
 */

type Step = (m: InboundMessage) => Promise<void>;

/** A turn that cannot finish before `other`'s has: handled one after the other, it fails after 2 s. */
async function alongside(ended: (what: string) => boolean, other: string): Promise<void> {
  await pollUntil(`${other} handled alongside`, async () => ended(other), { timeoutMs: 2_000, everyMs: 10 });
}

describe('Telegram long polling: chats side by side, each chat in order', () => {
  let ctx: TestContext;
  let fake: FakeTelegramBotApi;
  let adapter: TelegramAdapter;
  /** What each text does when handled (default: nothing); set by each test for its own chats. */
  const steps = new Map<string, Step>();
  /** `start <chat>:<text>` and `end <chat>:<text>`, in the order they happened. */
  const events: string[] = [];

  const label = (m: InboundMessage) => `${m.chatId}:${m.text ?? ''}`;
  const ended = (what: string) => events.includes(`end ${what}`);
  const waitFor = (what: string, timeoutMs = 5_000) =>
    pollUntil(`${what} handled`, async () => ended(what), { timeoutMs, everyMs: 20 });

  beforeAll(async () => {
    fake = await FakeTelegramBotApi.start({ maxPollSeconds: 1 });
    ctx = await createTestContext(fake.env);
    // Two attempts per update: one that waited behind another chat fails twice and is skipped.
    adapter = createTelegramAdapter(ctx, {
      polling: { timeoutSeconds: 1, minBackoffMs: 100, maxBackoffMs: 400, maxHandlerAttempts: 2 },
    });
    await adapter.start(async (m) => {
      events.push(`start ${label(m)}`);
      await steps.get(label(m))?.(m);
      events.push(`end ${label(m)}`);
      return undefined;
    });
    await fake.waitForCall('getUpdates');
  });

  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
    await ctx?.cleanup();
  });

  it('handles a second new chat while the first chat is still being handled', async () => {
    steps.set('8001:halo', () => alongside(ended, '8002:halo'));
    fake.userSends(8001, 'halo');
    fake.userSends(8002, 'halo');
    await waitFor('8001:halo', 8_000);
    expect(events.filter((e) => e === 'start 8001:halo')).toHaveLength(1);
    expect(events.indexOf('end 8002:halo')).toBeLessThan(events.indexOf('end 8001:halo'));
  });

  it("keeps one chat's messages in order while its first is slow and other chats go on", async () => {
    steps.set('8011:satu', () => alongside(ended, '8012:halo'));
    fake.userSends(8011, 'satu');
    fake.userSends(8011, 'dua');
    fake.userSends(8012, 'halo');
    await waitFor('8011:dua');
    const chat = events.filter((e) => e.includes(' 8011:'));
    expect(chat).toEqual(['start 8011:satu', 'end 8011:satu', 'start 8011:dua', 'end 8011:dua']);
    expect(events.indexOf('end 8012:halo')).toBeLessThan(events.indexOf('end 8011:satu'));
  });

  it("tries a failed update again before its chat's next, and handles another chat's update once", async () => {
    let failures = 1;
    steps.set('8021:gagal', async () => {
      if (failures-- > 0) throw new Error('engine unavailable');
    });
    fake.userSends(8021, 'gagal');
    fake.userSends(8021, 'lalu');
    // Written after the failing one: the offset cannot pass it until 8021's first is handled.
    fake.userSends(8022, 'sekali');
    await waitFor('8021:lalu');
    expect(events.filter((e) => e.includes(' 8021:'))).toEqual([
      'start 8021:gagal',
      'start 8021:gagal',
      'end 8021:gagal',
      'start 8021:lalu',
      'end 8021:lalu',
    ]);
    expect(events.filter((e) => e === 'start 8022:sekali')).toHaveLength(1);
    // Confirmed: nothing of these chats is left for Telegram to send again.
    await pollUntil('the updates confirmed', async () => fake.pendingUpdates === 0, {
      timeoutMs: 5_000,
    });
  });
});

describe('Telegram webhook queue: chats side by side, each chat in order', () => {
  let ctx: TestContext;
  let fake: FakeTelegramBotApi;
  let adapter: TelegramAdapter;
  const events: string[] = [];
  const ended = (what: string) => events.includes(`end ${what}`);
  let nextUpdateId = 7_000_001;
  const update = (chat: number, messageId: number, text: string) => ({
    update_id: nextUpdateId++,
    message: {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chat, type: 'private' },
      from: { id: chat, is_bot: false, first_name: 'Test' },
      text,
    },
  });

  beforeAll(async () => {
    fake = await FakeTelegramBotApi.start();
    ctx = await createTestContext({
      ...fake.env,
      TELEGRAM_WEBHOOK_URL: 'http://127.0.0.1/telegram/webhook',
      TELEGRAM_WEBHOOK_SECRET: 'webhook-secret-for-tests-0123456789',
    });
    adapter = createTelegramAdapter(ctx, {
      webhookUrl: 'http://127.0.0.1/telegram/webhook',
      polling: { minBackoffMs: 100, maxBackoffMs: 400, maxHandlerAttempts: 2 },
    });
    await adapter.start(async (m) => {
      const what = `${m.chatId}:${m.text ?? ''}`;
      events.push(`start ${what}`);
      if (what === '8101:halo') await alongside(ended, '8102:halo');
      events.push(`end ${what}`);
      return undefined;
    });
  });

  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
    await ctx?.cleanup();
  });

  it("handles a second chat's update while the first chat's is still being handled, in each chat's order", async () => {
    // Queued together, as the webhook route would have queued them during a burst.
    const queued = [update(8101, 1, 'halo'), update(8101, 2, 'lagi'), update(8102, 1, 'halo')];
    await ctx.redis.rpush(webhookQueueKey(ctx), ...queued.map((u) => JSON.stringify(u)));
    await pollUntil('8101:lagi handled', async () => ended('8101:lagi'), { timeoutMs: 8_000, everyMs: 20 });
    expect(events.filter((e) => e.includes(' 8101:'))).toEqual([
      'start 8101:halo',
      'end 8101:halo',
      'start 8101:lagi',
      'end 8101:lagi',
    ]);
    expect(events.indexOf('end 8102:halo')).toBeLessThan(events.indexOf('end 8101:halo'));
    expect(await ctx.redis.llen(webhookQueueKey(ctx))).toBe(0);
  });
});

describe('Telegram webhook queue: a batch in hand when its gateway dies', () => {
  let ctx: TestContext;
  const consumers: WebhookQueueConsumer[] = [];
  let release: () => void = () => {};

  beforeAll(async () => {
    ctx = await createTestContext();
  });

  afterAll(async () => {
    release();
    await Promise.all(consumers.map((c) => c.stop()));
    await ctx?.cleanup();
  });

  const consumer = (onUpdate: (update: unknown) => Promise<void>) => {
    const c = new WebhookQueueConsumer(ctx, onUpdate, ctx.logger, {
      maxHandlerAttempts: 2,
      minBackoffMs: 100,
      maxBackoffMs: 400,
      concurrency: 16,
    });
    consumers.push(c);
    c.start();
    return c;
  };
  const chatOf = (u: unknown) => String((u as { message: { chat: { id: number } } }).message.chat.id);

  it('queues the updates again for the next consumer, so none is lost', async () => {
    const queued = [8201, 8202].map((chat, i) => ({
      update_id: 7_100_001 + i,
      message: { message_id: 1, date: 1, chat: { id: chat, type: 'private' }, text: 'halo' },
    }));
    await ctx.redis.rpush(webhookQueueKey(ctx), ...queued.map((u) => JSON.stringify(u)));
    // The first gateway takes both and never finishes: as good as killed mid-batch.
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    const taken: string[] = [];
    consumer(async (u) => {
      taken.push(chatOf(u));
      await hung;
    });
    await pollUntil('the first consumer took both', async () => taken.length === 2, { timeoutMs: 5_000 });
    expect(await ctx.redis.llen(webhookQueueKey(ctx))).toBe(0);

    const handled: string[] = [];
    consumer(async (u) => {
      handled.push(chatOf(u));
    });
    await pollUntil('the next consumer handled both', async () => handled.length === 2, { timeoutMs: 5_000 });
    expect(handled.sort()).toEqual(['8201', '8202']);
    expect(await ctx.redis.llen(webhookInHandKey(ctx))).toBe(0);
  });
});
