import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Component } from '../../src/app/component.js';
import { createOutbox } from '../../src/outbound/outbox.js';
import { createRequestService } from '../../src/requests/index.js';
import { seedDemo } from '../../src/seed/seed.js';
import { createRequestWorkers } from '../../src/workers/requests-component.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

/**
 * Redis loses everything (flushed, or restarted without persistence) while 50 requests wait for
 * a worker. MongoDB is the source of truth: when the workers start, the reconciler finds every
 * open request without a job and queues it again, and all of them complete.
 *
 * The Redis is shared with other test runs: only this test's prefix is flushed (SCAN + UNLINK),
 * never FLUSHALL.
 */

const REQUESTS = 50;
const ACCESS = 10;

let ctx: TestContext;
let workers: Component | undefined;
beforeAll(async () => {
  ctx = await createTestContext({ LOG_LEVEL: 'info', MAX_REQUESTS_PER_DAY: '1000' });
  await seedDemo(ctx.models);
});
afterAll(async () => {
  await workers?.stop();
  await ctx?.cleanup();
});

/** Every key of this test's prefix, or (unlink) removes them; returns how many. */
async function scanPrefix(unlink: boolean): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', `${ctx.config.redisPrefix}:*`, 'COUNT', 1000);
    cursor = next;
    count += keys.length;
    if (unlink && keys.length > 0) await ctx.redis.unlink(...keys);
  } while (cursor !== '0');
  return count;
}

describe('Redis flushed with requests in flight', () => {
  it('the reconciler re-queues every open request and all complete', async () => {
    const customers = await ctx.models.Customer.find({}, { _id: 1 }).sort({ customerNo: 1 }).lean();
    expect(customers.length).toBeGreaterThanOrEqual(REQUESTS);

    const outbox = createOutbox(ctx);
    const requests = createRequestService(ctx, { outbox });
    const refs: string[] = [];
    try {
      for (const [i, customer] of customers.slice(0, REQUESTS).entries()) {
        const created = await requests.create({
          type: i < REQUESTS - ACCESS ? 'unsubscribe' : 'access',
          customerId: String(customer._id),
          channel: 'telegram',
          chatId: `flush-${i}`,
          locale: 'id',
          proof: { words: 'STOP', messageId: `m${i}` },
          actor: 'customer',
        });
        expect(created.status).toBe('queued');
        refs.push(created.ref);
      }
    } finally {
      await requests.close();
      await outbox.close();
    }
    expect(await ctx.models.PrivacyRequest.countDocuments({ status: 'queued' })).toBe(REQUESTS);

    // Every job, queue and lock of this run is gone.
    expect(await scanPrefix(true)).toBeGreaterThan(0);
    expect(await scanPrefix(false)).toBe(0);

    const started = performance.now();
    workers = createRequestWorkers(ctx, { reconcileEveryMs: 600_000 });
    await workers.start();

    const deadline = Date.now() + 150_000;
    let statuses: string[] = [];
    while (Date.now() < deadline) {
      const docs = await ctx.models.PrivacyRequest.find({ ref: { $in: refs } }, { status: 1 }).lean();
      statuses = docs.map((d) => d.status);
      if (statuses.length === REQUESTS && statuses.every((s) => s === 'completed' || s === 'failed')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `redis-flush: ${REQUESTS} requests re-queued and finished in ${seconds.toFixed(1)} s\n`,
    );
    const counts = statuses.reduce<Record<string, number>>((acc, s) => {
      acc[s] = (acc[s] ?? 0) + 1;
      return acc;
    }, {});
    expect(counts).toEqual({ completed: REQUESTS });
    expect(ctx.logLines.some((l) => l.includes('reconciler repaired lost jobs'))).toBe(true);
    // The consent changes took effect: the unsubscribed customers are no longer marketable.
    const unsubscribed = customers.slice(0, REQUESTS - ACCESS).map((c) => c._id);
    expect(
      await ctx.models.Customer.countDocuments({
        _id: { $in: unsubscribed },
        'marketingConsent.granted': true,
      }),
    ).toBe(0);
  });
});
