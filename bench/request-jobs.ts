import { type ServerShape, serverShape } from '../src/db/server-shape.js';
import { createOutbox } from '../src/outbound/outbox.js';
import { createRequestQueue } from '../src/requests/queue.js';
import { createRequestService } from '../src/requests/service.js';
import { buildAccessPackage } from '../src/workers/access/package.js';
import { createRequestWorkers } from '../src/workers/requests-component.js';
import { bullmqNoopJobs } from './baselines.js';
import { benchContext, log, waitUntil } from './context.js';
import { seedCustomers, seedOrders } from './fixtures.js';
import { latencies, measureRate, reportTopLevel, round } from './harness.js';
import { countCommands, monitoredUri, requestOps } from './mongo-ops.js';
import { unsubscribeFloor } from './request-floor.js';
import type { BenchEnv, Benchmark } from './run.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
/** Customers asking at once (API calls in flight). */
const CALLERS = 16;
/** The request worker's production concurrency (workers/request-worker.ts). */
const WORKER_CONCURRENCY = 4;

/**
 * Unsubscribe requests end to end: RequestService.create (MongoDB write, audit, enqueue) until
 * the real request worker (production settings) has them `completed` in MongoDB. Latency is per
 * request, from the API call to the completed status. Baseline: BullMQ no-op jobs on the same
 * Redis, with the same worker concurrency. `floor_ratio`: against the driver alone doing the
 * same minimal MongoDB work at the same concurrency (request-floor.ts), in the same run.
 * Also reports `mongo_ops` (MongoDB commands per request, API side + worker) for unsubscribe,
 * update and access.
 */
const requestJobs: Benchmark = async (env) => {
  const ops = await requestOpsFigures(env);
  const ctx = await benchContext(env, 'jobs', {
    MONGODB_URI: monitoredUri(`${env.mongoBaseUri}/bench_jobs_${Date.now()}`),
  });
  const outbox = createOutbox(ctx);
  const queue = createRequestQueue(ctx);
  const service = createRequestService(ctx, { outbox, queue });
  const workers = createRequestWorkers(ctx, { outbox });
  try {
    const customers = await seedCustomers(ctx, REQUESTS);
    // Every command sent while the requests run, the reconciler's and the final poll's included.
    const counter = countCommands(ctx);
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
    const operations = counter.total();
    counter.stop();
    // Completion times from the request's own history (the worker's clock, same machine).
    const rows = await ctx.models.PrivacyRequest.find({}, { ref: 1, createdAt: 1, history: 1 }).lean();
    const samples = rows.map((r) => {
      const completed = r.history.find((h) => h.to === 'completed')?.at ?? r.createdAt;
      return completed.getTime() - r.createdAt.getTime();
    });
    const baseline = await bullmqNoopJobs(env.redisUrl, 2_000, WORKER_CONCURRENCY);
    const floor = await floorRate(env);
    // The database's own floor: the cheapest operation there is, a find by _id, as fast as it goes.
    const requests = ctx.mongo.collection('privacyrequests');
    const ids = rows.map((r) => r._id);
    const finds = await measureRate(2_000, 4, (i) => requests.findOne({ _id: ids[i % ids.length] }));
    const perRequest = operations / REQUESTS;
    log(
      `${REQUESTS} unsubscribe requests, ${CALLERS} callers, worker concurrency ${WORKER_CONCURRENCY}; baseline BullMQ no-op, concurrency ${WORKER_CONCURRENCY}`,
    );
    log(
      `${round(perRequest, 1)} MongoDB commands per request during the run (reconciler and completion polling included; ${ops.unsubscribe} for one request alone in the MongoDB form); the driver alone finds by _id at ${round(finds.perSecond)}/s`,
    );
    log(
      `floor: the driver alone doing an unsubscribe's steps in the form sent here, ${CALLERS} callers and ${WORKER_CONCURRENCY} workers: ${round(floor)} requests/s`,
    );
    return {
      request_jobs: {
        value: round(perSecond),
        unit: 'jobs/s',
        baseline: round(baseline),
        ratio: round(perSecond / baseline, 3),
        floor_ratio: round(perSecond / floor, 3),
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

/** The driver alone, on its own database with the models' indexes and as many fresh customers. */
async function floorRate(env: BenchEnv): Promise<number> {
  const ctx = await benchContext(env, 'jobsfloor');
  try {
    const customers = await seedCustomers(ctx, REQUESTS, 94);
    const db = ctx.mongo.db;
    if (!db) throw new Error('no database');
    // The same form of each step as hakdata sends this server (db/server-shape.ts).
    const { idOnlyLookups } = await serverShape(ctx.mongo);
    return await unsubscribeFloor(db, customers, {
      callers: CALLERS,
      workers: WORKER_CONCURRENCY,
      idOnlyLookups,
    });
  } finally {
    await ctx.cleanup();
  }
}

/**
 * MongoDB commands of one request of each type, API side and worker, alone on a monitored
 * context (customers with 5 finished orders): `mongo_ops` in the form production's MongoDB is
 * sent (conditional writes), and, on FerretDB, `mongo_ops_ferretdb` in the form sent here (a read
 * before each conditional write: db/server-shape.ts). The erase is counted by access-erase.ts,
 * on the customer with 10,000 orders.
 */
async function requestOpsFigures(
  env: BenchEnv,
): Promise<Record<'unsubscribe' | 'update' | 'access', number>> {
  const ctx = await benchContext(env, 'ops', {
    MONGODB_URI: monitoredUri(`${env.mongoBaseUri}/bench_ops_${Date.now()}`),
  });
  const outbox = createOutbox(ctx);
  try {
    const customers = await seedCustomers(ctx, 6, 95);
    for (const c of customers) await seedOrders(ctx, c, 5);
    const deps = { outbox, now: () => new Date(), buildAccessPackage };
    const served = await serverShape(ctx.mongo);
    const count = async (offset: number, shape: ServerShape) => {
      const base = (i: number) => ({
        customerId: String(customers[offset + i]),
        channel: 'telegram',
        chatId: `ops-${offset + i}`,
        locale: 'id' as const,
      });
      const all = {
        unsubscribe: await requestOps(
          ctx,
          deps,
          { ...base(0), type: 'unsubscribe', proof: { words: 'stop', messageId: `m-ops-${offset}` } },
          shape,
        ),
        update: await requestOps(
          ctx,
          deps,
          { ...base(1), type: 'update', changes: { email: 'baru@contoh.id' } },
          shape,
        ),
        access: await requestOps(ctx, deps, { ...base(2), type: 'access' }, shape),
      };
      const form = shape.idOnlyLookups ? 'FerretDB form' : 'MongoDB form';
      for (const [type, o] of Object.entries(all))
        log(
          `${type} (${form}): ${o.total} MongoDB commands (API ${o.api}, worker ${o.worker}): ${JSON.stringify(o.byCommand)}`,
        );
      return { unsubscribe: all.unsubscribe.total, update: all.update.total, access: all.access.total };
    };
    const figures = await count(0, { idOnlyLookups: false });
    reportTopLevel('mongo_ops', figures);
    if (served.idOnlyLookups) reportTopLevel('mongo_ops_ferretdb', await count(3, served));
    return figures;
  } finally {
    await outbox.close();
    await ctx.cleanup();
  }
}
export default requestJobs;
