import mongoose from 'mongoose';
import { createRequestQueue } from '../src/requests/queue.js';
import { createRequestService } from '../src/requests/service.js';
import { createOutbox } from '../src/workers/outbound-outbox.js';
import { createRequestWorkers } from '../src/workers/requests-component.js';
import { bullmqNoopJobs } from './baselines.js';
import { benchContext, log, waitUntil } from './context.js';
import { seedCustomers } from './fixtures.js';
import { latencies, measureRate, round } from './harness.js';
import type { Benchmark } from './run.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
/** Customers asking at once (API calls in flight). */
const CALLERS = 16;

/**
 * Unsubscribe requests end to end: RequestService.create (MongoDB write, audit, enqueue) until
 * the real request worker (production settings) has them `completed` in MongoDB. Latency is per
 * request, from the API call to the completed status. Baseline: BullMQ no-op jobs on the same
 * Redis, with the same worker concurrency.
 */
const requestJobs: Benchmark = async (env) => {
  const ctx = await benchContext(env, 'jobs');
  const outbox = createOutbox(ctx);
  const queue = createRequestQueue(ctx);
  const service = createRequestService(ctx, { outbox, queue });
  const workers = createRequestWorkers(ctx, { outbox });
  try {
    const customers = await seedCustomers(ctx, REQUESTS);
    // Counts what the app asks of MongoDB while the requests run (mongoose's debug hook).
    let operations = 0;
    mongoose.set('debug', () => {
      operations++;
    });
    await workers.start();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (next < customers.length) {
          const i = next++;
          await service.create({
            type: 'unsubscribe',
            customerId: String(customers[i]),
            channel: 'telegram',
            chatId: `bench-${i}`,
            locale: 'id',
            proof: { words: 'stop', messageId: `m-${i}` },
          });
        }
      }),
    );
    const done = await waitUntil(
      'requests completed',
      async () => {
        const open = await ctx.models.PrivacyRequest.countDocuments({ status: { $ne: 'completed' } });
        return open === 0 ? performance.now() : undefined;
      },
      30 * 60_000,
      // Each poll reads the whole collection on FerretDB: seldom, so it does not slow what it waits for.
      1_000,
    );
    const perSecond = REQUESTS / ((done - started) / 1000);
    mongoose.set('debug', false);
    // Completion times from the request's own history (the worker's clock, same machine).
    const rows = await ctx.models.PrivacyRequest.find({}, { ref: 1, createdAt: 1, history: 1 }).lean();
    const samples = rows.map((r) => {
      const completed = r.history.find((h) => h.to === 'completed')?.at ?? r.createdAt;
      return completed.getTime() - r.createdAt.getTime();
    });
    const baseline = await bullmqNoopJobs(env.redisUrl, 2_000, 4);
    // The database's own floor: the cheapest operation there is, a find by _id, as fast as it goes.
    const requests = ctx.mongo.collection('privacyrequests');
    const ids = rows.map((r) => r._id);
    const finds = await measureRate(2_000, 4, (i) => requests.findOne({ _id: ids[i % ids.length] }));
    const perRequest = operations / REQUESTS;
    log(
      `${REQUESTS} unsubscribe requests, ${CALLERS} callers, worker concurrency 4; baseline BullMQ no-op, concurrency 4`,
    );
    log(
      `database floor: ${round(perRequest, 1)} MongoDB operations per request (worker polling included); the driver alone finds by _id at ${round(finds.perSecond)}/s, so at most ${round(finds.perSecond / perRequest)} requests/s here`,
    );
    return {
      request_jobs: {
        value: round(perSecond),
        unit: 'jobs/s',
        baseline: round(baseline),
        ratio: round(perSecond / baseline, 3),
        ...latencies(samples),
      },
    };
  } finally {
    await workers.stop();
    await queue.close();
    await outbox.close();
    await ctx.cleanup();
  }
};
export default requestJobs;
