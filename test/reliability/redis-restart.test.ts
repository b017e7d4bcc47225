import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Component } from '../../src/app/component.js';
import { createOutbox, type OutboxHandle } from '../../src/outbound/outbox.js';
import { createRequestQueue, type RequestQueue } from '../../src/requests/queue.js';
import { createRequestService } from '../../src/requests/service.js';
import { createRequestWorkers } from '../../src/workers/requests-component.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { exactlyOnceReport, seedManyCustomers, waitFor } from './fixtures/audit.js';
import { type OwnServer, ownRedis } from './fixtures/servers.js';

/**
 * Redis restarted (without persistence, so it comes back empty) while requests run: jobs, locks
 * and the SLA schedule are gone, requests created during the outage wait for Redis. MongoDB is
 * the source of truth: the reconciler queues every open request again and all complete, once.
 * The test runs its own redis-server; the run's shared Redis is never touched.
 */
const REQUESTS = 60;
const DURING_OUTAGE = 10;

let redis: OwnServer;
let ctx: TestContext;
let queue: RequestQueue;
let outbox: OutboxHandle;
let workers: Component;

beforeAll(async () => {
  redis = await ownRedis();
  ctx = await createTestContext({ REDIS_URL: redis.url, LOG_LEVEL: 'warn' });
  queue = createRequestQueue(ctx);
  // BullMQ prints connection errors when nobody listens; the outage is expected here.
  queue.on('error', () => {});
  outbox = createOutbox(ctx);
  workers = createRequestWorkers(ctx, {
    outbox,
    lockDuration: 2_000,
    stalledInterval: 1_000,
    reconcileEveryMs: 2_000,
  });
});
afterAll(async () => {
  await workers?.stop();
  await outbox?.close();
  await queue?.close();
  await ctx?.cleanup();
  await redis?.dispose();
});

describe('Redis restarted with requests in flight', () => {
  it(
    'every request completes exactly once after it returns',
    async () => {
      const customers = await seedManyCustomers(ctx, REQUESTS + DURING_OUTAGE, 71);
      const service = createRequestService(ctx, { outbox, queue });
      const create = async (i: number) =>
        (
          await service.create({
            type: 'unsubscribe',
            customerId: String(customers[i]),
            channel: 'telegram',
            chatId: `restart-${i}`,
            locale: 'id',
            proof: { words: 'stop' },
          })
        ).ref;
      const refs: string[] = [];
      for (let i = 0; i < REQUESTS; i++) refs.push(await create(i));
      await workers.start();
      await waitFor(
        'some requests to complete',
        async () => (await ctx.models.PrivacyRequest.countDocuments({ status: 'completed' })) >= 10,
        120_000,
      );

      await redis.stop();
      // Customers keep asking while Redis is down: MongoDB takes the request, the enqueue waits.
      const duringOutage = Promise.all(Array.from({ length: DURING_OUTAGE }, (_, i) => create(REQUESTS + i)));
      await new Promise((r) => setTimeout(r, 3_000));
      const openAtRestart = await ctx.models.PrivacyRequest.countDocuments({
        status: { $in: ['queued', 'processing'] },
      });
      await redis.start();
      expect(await ctx.redis.dbsize()).toBeLessThan(50); // it came back empty
      refs.push(...(await duringOutage));

      await waitFor(
        'every request to complete',
        async () =>
          (await ctx.models.PrivacyRequest.countDocuments({ status: { $in: ['queued', 'processing'] } })) ===
          0,
        5 * 60_000,
      );
      const report = await exactlyOnceReport(ctx, refs);
      console.warn(
        `[reliability] Redis restarted empty with ${openAtRestart} of ${REQUESTS + DURING_OUTAGE} requests open; all closed`,
      );
      expect(openAtRestart).toBeGreaterThan(0);
      expect(report.requests).toBe(REQUESTS + DURING_OUTAGE);
      expect(report.notCompleted).toEqual([]);
      expect(report.wrongEvents).toEqual([]);
      expect(report.wrongConsent).toEqual([]);
    },
    8 * 60_000,
  );
});
