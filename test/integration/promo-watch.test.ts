import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { linkChat } from '../../src/identity/links.js';
import { checkBatch, type Standing } from '../../src/promo/eligibility.js';
import { parsePromo, sendPromo } from '../../src/promo/index.js';
import { MARGIN_MS, OptOutWatch, OVERLAP_MS } from '../../src/promo/opt-out-watch.js';
import { createPromoTransport, type PromoTransport } from '../../src/promo/transport.js';
import { createRequestService } from '../../src/requests/service.js';
import { chatSuppressionHash } from '../../src/requests/suppression.js';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';
import { recordingOutbox } from '../fixtures/requests-kit.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { type RecordedQuery, recordQueries } from '../helpers/query-log.js';

/**
 * The promo's per-batch reads of what changed (opt-out-watch.ts): each starts where the previous
 * one was sent, less OVERLAP_MS, instead of at the run's start; what an earlier read found still
 * counts after it has left the window.
 */
let fake: FakeTelegramBotApi;
let ctx: TestContext;

beforeAll(async () => {
  fake = await FakeTelegramBotApi.start({ knownChats: (chatId) => Number(chatId) > 0 });
  ctx = await createTestContext({
    LOG_LEVEL: 'info',
    MONGODB_URI: `${inject('mongoBaseUri')}/t_pw_${randomBytes(4).toString('hex')}?monitorCommands=true`,
    ...fake.env,
  });
});
afterAll(async () => {
  await ctx.cleanup();
  await fake.close();
});

let seq = 0;
async function customers(n: number, area: string, chatBase: number) {
  const ids: Types.ObjectId[] = [];
  const chats: string[] = [];
  for (let i = 0; i < n; i++) {
    seq += 1;
    const now = new Date();
    const doc = await ctx.models.Customer.create({
      customerNo: `W-${String(seq).padStart(5, '0')}`,
      name: `Watch ${seq}`,
      phone: `+62814${String(10_000_000 + seq)}`,
      area,
      marketingConsent: { granted: true, updatedAt: now, source: 'test' },
    });
    ids.push(doc._id);
    chats.push(String(chatBase + i));
    await linkChat(ctx, 'telegram', chats[i] as string, String(doc._id));
  }
  return { ids, chats };
}

/** A watch over `n` new customers of `area`, on a clock of its own, and the send-time check of them all. */
async function watched(n: number, area: string, chatBase: number) {
  const { ids, chats } = await customers(n, area, chatBase);
  const standing = (await ctx.models.Customer.find({ area }).sort({ _id: 1 }).lean()) as Standing[];
  const clock = { now: Date.now() };
  const watch = await OptOutWatch.open(ctx, () => new Date(clock.now));
  const check = async () =>
    (await checkBatch(ctx, watch, standing, 'telegram')).map((e) => (e.ok ? 'ok' : e.reason));
  return { ids, chats, clock, watch, check };
}

/** The lower bound of a per-batch range read, or undefined for any other query. */
function rangeStart(q: RecordedQuery): number | undefined {
  if (q.command !== 'find') return undefined;
  const gte = (q.filter.createdAt as { $gte?: unknown } | undefined)?.$gte;
  return gte instanceof Date ? gte.getTime() : undefined;
}

describe('what changed since the previous batch', () => {
  it('in a run, each batch reads from the previous read less the overlap, and a STOP said during it still holds', async () => {
    const { ids, chats } = await customers(24, 'Cibubur', 93_000);
    const service = createRequestService(ctx, { outbox: recordingOutbox() });
    // The last customer says STOP (no worker runs: it stays queued) before the fourth message leaves.
    const real = createPromoTransport(ctx);
    let stoppedDuringRun = false;
    const transport: PromoTransport = {
      ...real,
      async send(channel, chatId, message, meta) {
        if (chatId === chats[3] && !stoppedDuringRun) {
          await service.create({
            type: 'unsubscribe',
            customerId: String(ids[23]),
            channel: 'telegram',
            chatId: chats[23] as string,
            locale: 'id',
          });
          stoppedDuringRun = true;
        }
        return real.send(channel, chatId, message, meta);
      },
    };
    const before = fake.callCount;
    const recorder = recordQueries(ctx);
    const startedAt = Date.now();
    try {
      const report = await sendPromo(
        ctx,
        parsePromo({
          id: 'watch-run',
          message: { id: 'Promo W', en: 'Promo W' },
          channels: ['telegram'],
          audience: { area: 'Cibubur' },
        }),
        { rates: { telegram: 20 }, transport },
      );
      expect(stoppedDuringRun).toBe(true);
      expect(report.status).toBe('completed');
      expect(report.skipped).toEqual({ opt_out_pending: 1 });
      expect(report.sent).toBe(23);
    } finally {
      recorder.stop();
      await real.close();
      await service.close();
    }
    const finishedAt = Date.now();
    for (const [i, chatId] of chats.entries())
      expect(fake.messagesTo(chatId, { after: before }), `customer ${i}`).toHaveLength(i === 23 ? 0 : 1);

    const starts = (collection: string) =>
      recorder.queries
        .filter((q) => q.collection === collection)
        .map(rangeStart)
        .filter((t): t is number => t !== undefined);
    const requests = starts('privacyrequests');
    const entries = starts('suppressions');
    // One read of each per batch: 24 sends at 20/s in batches of 2 (a tenth of a second's worth).
    expect(requests).toHaveLength(12);
    expect(entries).toEqual(requests);
    // The lane's three workers check their first batches at once: from the snapshot less MARGIN_MS.
    const [first, ...rest] = requests as [number, ...number[]];
    expect(requests.slice(0, 3)).toEqual([first, first, first]);
    expect(first).toBeGreaterThanOrEqual(startedAt - MARGIN_MS);
    expect(first).toBeLessThanOrEqual(startedAt - MARGIN_MS + 5_000);
    // Every later one from the latest read done before it less OVERLAP_MS (before this change:
    // all from the first), moving forward with the run.
    const later = rest.slice(2);
    let previous = first;
    for (const start of later) {
      expect(start).toBeGreaterThanOrEqual(Math.max(previous, startedAt - OVERLAP_MS));
      expect(start).toBeLessThanOrEqual(finishedAt - OVERLAP_MS);
      previous = start;
    }
    // Batch 12 starts after the sends of batch 9 (slots 17-18), whose read was sent after batch 6's
    // sends (slots 11-12); batch 4 right after batch 1's: at 20/s, half a second apart at least.
    expect((later.at(-1) as number) - (later[0] as number)).toBeGreaterThanOrEqual(300);
  }, 60_000);

  it('a record dated before the previous read but written after it is found, and what a read found holds after it left the window', async () => {
    const { ids, chats, clock, watch, check } = await watched(3, 'Ciracas', 94_000);

    clock.now += 10_000;
    expect(await check()).toEqual(['ok', 'ok', 'ok']);
    const previousRead = clock.now;
    expect(watch.since.getTime()).toBe(previousRead - OVERLAP_MS);

    // Dated half the overlap before that read (a writer's clock behind, a slow commit), written after it.
    const late = new Date(previousRead - OVERLAP_MS / 2);
    await ctx.models.PrivacyRequest.create({
      ref: 'PR-WATCH1',
      type: 'unsubscribe',
      customerId: ids[0],
      channel: 'telegram',
      chatId: chats[0],
      status: 'queued',
      dueAt: new Date(clock.now + 3600_000),
      history: [],
      createdAt: late,
    });
    await ctx.models.Suppression.create({
      hash: chatSuppressionHash(ctx, 'telegram', chats[1] as string),
      kind: 'chat',
      reason: 'opted_out',
      createdAt: late,
    });
    const stored = await ctx.models.PrivacyRequest.findOne({ ref: 'PR-WATCH1' }).lean();
    expect(stored?.createdAt.getTime()).toBe(late.getTime());

    clock.now += OVERLAP_MS;
    expect(await check()).toEqual(['opt_out_pending', 'suppressed_chat', 'ok']);

    // An overlap on, the next read starts after both records: the STOP, still queued and the
    // customer not yet changed, holds all the same, and the chat stays on the list.
    clock.now += OVERLAP_MS;
    expect(watch.since.getTime()).toBeGreaterThan(late.getTime());
    expect(await check()).toEqual(['opt_out_pending', 'suppressed_chat', 'ok']);
    expect(watch.since.getTime()).toBe(clock.now - OVERLAP_MS);
  });

  it('a later batch allows the clock skew the first one does: a STOP dated minutes before the previous read is found', async () => {
    const { ids, chats, clock, check } = await watched(2, 'Cipayung', 95_000);
    // A run well under way: several batches read, a few minutes after the snapshot.
    for (let i = 0; i < 3; i++) {
      clock.now += 60_000;
      expect(await check()).toEqual(['ok', 'ok']);
    }
    // A gateway whose clock is half the first read's margin behind takes a STOP: dated before the
    // previous read (the first read allows that skew), written after it.
    const skewed = new Date(clock.now - MARGIN_MS / 2);
    await ctx.models.PrivacyRequest.create({
      ref: 'PR-WATCH2',
      type: 'unsubscribe',
      customerId: ids[1],
      channel: 'telegram',
      chatId: chats[1],
      status: 'queued',
      dueAt: new Date(clock.now + 3600_000),
      history: [],
      createdAt: skewed,
    });
    clock.now += 100;
    expect(await check()).toEqual(['ok', 'opt_out_pending']);
  });
});
