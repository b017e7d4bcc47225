import type { Types } from 'mongoose';
import { assumeServerShape, serverShape } from '../src/db/server-shape.js';
import { createRequestService } from '../src/requests/service.js';
import { buildAccessPackage } from '../src/workers/access/package.js';
import { processRequest } from '../src/workers/request-worker.js';
import { type BenchContext, benchContext, log } from './context.js';
import { seedCustomers, seedOrders } from './fixtures.js';
import { type BenchFigure, latencies, profiled, reportTopLevel, round } from './harness.js';
import { countCommands, monitoredUri } from './mongo-ops.js';
import type { BenchEnv, Benchmark } from './run.js';

const ACCESS_RUNS = Number(process.env.BENCH_ACCESS_RUNS ?? 12);

/**
 * access_package_1k: the access package (JSON + PDF) of a customer with 1,000 orders, p95 over
 * several runs; baseline: the same three MongoDB reads with the driver alone.
 * erase_10k: the erase request's job (the request worker, claim to close) on a customer with
 * 10,000 orders, its MongoDB commands (API call + job) reported as `mongo_ops.erase`; baseline: the driver alone
 * reading another customer's 10,000 orders and bulk-writing them back reduced (the floor of any
 * rewrite). Left out when the erase does not finish within BENCH_ERASE_SECONDS.
 * For times the ratio is baseline ÷ value: the share of the time the database floor explains.
 */
/**
 * One erase request of a customer with 10,000 finished orders: the API call, then the worker's
 * job (timed), each one's MongoDB commands counted. Undefined when the job outlasts the limit.
 */
async function eraseRequest(
  ctx: BenchContext,
  customer: Types.ObjectId,
): Promise<{ api: number; worker: number; ms: number; byCommand: Record<string, number> } | undefined> {
  const outbox = { send: async () => {} };
  const service = createRequestService(ctx, { outbox });
  await serverShape(ctx.mongo);
  const counter = countCommands(ctx);
  try {
    const created = await service.create({
      type: 'erase',
      customerId: String(customer),
      channel: 'telegram',
      chatId: 'bench-erase',
      locale: 'id',
    });
    const api = counter.total();
    if (created.status !== 'queued') throw new Error(`erase request was ${created.status}`);
    const id = await ctx.models.PrivacyRequest.findOne({ ref: created.ref }, { _id: 1 }).lean();
    counter.reset();
    const t0 = performance.now();
    const status = await within(
      ERASE_MAX_SECONDS * 1000,
      profiled('erase-10k', () =>
        processRequest(ctx, { outbox, now: () => new Date() }, created.ref, { id: String(id?._id) }),
      ),
    );
    const ms = performance.now() - t0;
    if (!status) return undefined;
    const worker = counter.total();
    const byCommand = counter.byCommand();
    const result = (await ctx.models.PrivacyRequest.findOne({ ref: created.ref }, { result: 1 }).lean())
      ?.result;
    if (status !== 'completed' || result?.ordersAnonymized !== 10_000)
      throw new Error(`erase did not complete: ${status} ${JSON.stringify(result)}`);
    return { api, worker, ms, byCommand };
  } finally {
    counter.stop();
    await service.close();
  }
}

const accessErase: Benchmark = async (env) => {
  const ctx = await benchContext(env, 'access');
  try {
    const [reader] = await seedCustomers(ctx, 1, 93);
    if (!reader) throw new Error('seeding failed');
    await seedOrders(ctx, reader, 1_000);
    const db = ctx.mongo.db;
    if (!db) throw new Error('no database');

    // Access package: one warm-up, then the measured runs.
    await buildAccessPackage(ctx, String(reader), { locale: 'id', requestRef: 'PR-BENCH2' });
    const accessMs: number[] = [];
    let bytes = { json: 0, pdf: 0 };
    await profiled('access-package', async () => {
      for (let i = 0; i < ACCESS_RUNS; i++) {
        const t0 = performance.now();
        const built = await buildAccessPackage(ctx, String(reader), {
          locale: 'id',
          requestRef: 'PR-BENCH2',
        });
        accessMs.push(performance.now() - t0);
        bytes = { json: built.json.length, pdf: built.pdf.length };
      }
    });
    const readMs: number[] = [];
    for (let i = 0; i < ACCESS_RUNS; i++) {
      const t0 = performance.now();
      await db.collection('customers').findOne({ _id: reader });
      await db.collection('serviceorders').find({ customerId: reader }).sort({ scheduledAt: 1 }).toArray();
      await db.collection('privacyrequests').find({ customerId: reader }).toArray();
      readMs.push(performance.now() - t0);
    }
    const access = latencies(accessMs);
    const reads = latencies(readMs);
    log(
      `access package of 1,000 orders: JSON ${round(bytes.json / 1024)} KiB, PDF ${round(bytes.pdf / 1024)} KiB, ${ACCESS_RUNS} runs`,
    );

    // Erasure: its own database holding just the customer's 10,000 orders (as in production,
    // where other customers' orders would make FerretDB's scans only slower).
    const erase = await eraseBenchmark(env);
    return {
      access_package_1k: {
        value: access.p95_ms ?? 0,
        unit: 'ms',
        baseline: reads.p95_ms ?? 0,
        ratio: round((reads.p95_ms ?? 0) / (access.p95_ms || 1), 3),
        ...access,
      },
      ...erase,
    };
  } finally {
    await ctx.cleanup();
  }
};

const ERASE_MAX_SECONDS = Number(process.env.BENCH_ERASE_SECONDS ?? 180);

/** Resolves with the promise's value, or undefined when it takes longer than `ms`. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function eraseBenchmark(env: BenchEnv): Promise<Record<string, BenchFigure>> {
  const eraseCtx = await benchContext(env, 'erase', {
    MONGODB_URI: monitoredUri(`${env.mongoBaseUri}/bench_erase_${Date.now()}`),
  });
  const floorCtx = await benchContext(env, 'erasefloor');
  try {
    const [customer] = await seedCustomers(eraseCtx, 1, 96);
    const [other] = await seedCustomers(floorCtx, 1, 97);
    if (!customer || !other) throw new Error('seeding failed');
    await seedOrders(eraseCtx, customer, 10_000);
    await seedOrders(floorCtx, other, 10_000);
    // The whole request, as a customer's `hapus` runs it: the API call (flag checks, the request
    // and its event), then the worker's job, timed. Every MongoDB command of both is counted.
    const served = await serverShape(eraseCtx.mongo);
    const timed = await eraseRequest(eraseCtx, customer);
    if (!timed) {
      log(`erase of 10,000 orders did not finish within ${ERASE_MAX_SECONDS} s: erase_10k left out`);
      return {};
    }
    const eraseMs = timed.ms;
    log(
      `erase of 10,000 orders (${served.idOnlyLookups ? 'FerretDB' : 'MongoDB'} form): ${timed.api + timed.worker} MongoDB commands (API ${timed.api}, worker ${timed.worker}; worker ${JSON.stringify(timed.byCommand)})`,
    );
    reportTopLevel(served.idOnlyLookups ? 'mongo_ops_ferretdb' : 'mongo_ops', {
      erase: timed.api + timed.worker,
    });
    if (served.idOnlyLookups) {
      // What MongoDB would be sent (conditional writes), counted on another such customer.
      const countCtx = await benchContext(env, 'erasecount', {
        MONGODB_URI: monitoredUri(`${env.mongoBaseUri}/bench_erasecount_${Date.now()}`),
      });
      try {
        const [twin] = await seedCustomers(countCtx, 1, 98);
        if (!twin) throw new Error('seeding failed');
        await seedOrders(countCtx, twin, 10_000);
        assumeServerShape(countCtx.mongo, { idOnlyLookups: false });
        const counted = await eraseRequest(countCtx, twin);
        if (!counted) throw new Error('the counted erase did not finish');
        log(
          `erase of 10,000 orders (MongoDB form): ${counted.api + counted.worker} MongoDB commands (API ${counted.api}, worker ${counted.worker})`,
        );
        reportTopLevel('mongo_ops', { erase: counted.api + counted.worker });
      } finally {
        await countCtx.cleanup();
      }
    }

    // Baseline: the floor of any rewrite of those orders, with the driver alone: read the other
    // customer's 10,000 orders and write them back reduced, in one bulk insert. (A plain
    // updateMany is no floor on FerretDB 1.24: it re-reads the collection for every document and
    // did not finish within 3 minutes; on MongoDB it would be the fast path.)
    const db = floorCtx.mongo.db;
    if (!db) throw new Error('no database');
    const t1 = performance.now();
    const orders = await db.collection('serviceorders').find({ customerId: other }).toArray();
    const reduced = orders.map(({ address: _a, paymentMethod: _p, notes: _n, ...keep }) => ({
      ...keep,
      anonymizedAt: new Date(),
    }));
    const written = await db.collection('serviceorders_rewritten').insertMany(reduced, { ordered: false });
    const floorMs = performance.now() - t1;
    if (written.insertedCount !== 10_000) throw new Error(`baseline wrote ${written.insertedCount} orders`);
    log(
      'erase of 10,000 orders: claim, suppression, Redis copies, staged bulk order rewrite, requests, promos, customer, close, audit',
    );
    return {
      erase_10k: {
        value: round(eraseMs),
        unit: 'ms',
        baseline: round(floorMs),
        ratio: round(floorMs / eraseMs, 3),
      },
    };
  } finally {
    await eraseCtx.cleanup();
    await floorCtx.cleanup();
  }
}
export default accessErase;
