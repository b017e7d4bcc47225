import { randomBytes } from 'node:crypto';
import { Worker } from 'bullmq';
import type { CommandStartedEvent } from 'mongodb';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOutbox } from '../../src/outbound/outbox.js';
import {
  createRequestQueue,
  enqueueRequest,
  REQUEST_QUEUE,
  type RequestQueue,
} from '../../src/requests/queue.js';
import { createRequestReadModel } from '../../src/requests/read-model.js';
import { newRef } from '../../src/requests/ref.js';
import { reconcileRequests } from '../../src/workers/reconciler.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

/**
 * The reconciler's pass reads every open request and looks for its job. With a thousand open, a
 * round trip per request (two to Redis for the job and its state) or a MongoDB read per request
 * (on FerretDB 1.24 a read by `ref` is a collection scan: one per lost job made the pass
 * quadratic, 292 s for 1,000 lost among 2,000) is what made worker-kill's replicas wait minutes.
 * Counted, not timed: a pass's MongoDB commands and Redis round trips must not grow with the
 * number of open requests whose jobs are alive, and MongoDB's not with the number lost either.
 * RECONCILE_N=1000 also times passes over that many (figures in the commit).
 */
let ctx: TestContext;
let queue: RequestQueue;
let outbox: ReturnType<typeof createOutbox>;

beforeAll(async () => {
  ctx = await createTestContext({
    LOG_LEVEL: 'warn',
    MONGODB_URI: `${inject('mongoBaseUri')}/t_rec_${randomBytes(4).toString('hex')}?monitorCommands=true`,
  });
  queue = createRequestQueue(ctx);
  outbox = createOutbox(ctx);
  // Neither the models' index builds nor Redis's first load of BullMQ's scripts are a pass's.
  await Promise.all(Object.values(ctx.models).map((m) => m.init()));
  const [warm] = await seedOpen(1, 'processing');
  await reconcileRequests(ctx, queue, { outbox });
  if (warm) await queue.getJobState(warm.ref);
  await reconcileRequests(ctx, queue, { outbox });
  await ctx.models.PrivacyRequest.updateMany({}, { $set: { status: 'completed' } });
  await queue.obliterate({ force: true });
});
afterAll(async () => {
  await queue.close();
  await outbox.close();
  await ctx.cleanup();
});

/** Commands to MongoDB and round trips to Redis while `fn` runs. */
async function counted<T>(fn: () => Promise<T>) {
  let mongo = 0;
  const onStarted = (e: CommandStartedEvent) => {
    if (e.databaseName === ctx.mongo.name) mongo++;
  };
  const client = ctx.mongo.getClient();
  client.on('commandStarted', onStarted);
  let redis = 0;
  const pipelines = new WeakSet<object>();
  const redisClient = ctx.redis as unknown as {
    sendCommand: (c: unknown, s?: { isPipeline?: boolean }) => unknown;
  };
  const send = redisClient.sendCommand;
  redisClient.sendCommand = function (this: unknown, command, stream) {
    if (!stream?.isPipeline) redis++;
    else if (!pipelines.has(stream)) {
      pipelines.add(stream);
      redis++;
    }
    return send.call(this, command, stream);
  };
  const started = performance.now();
  try {
    const result = await fn();
    return { result, mongo, redis, ms: Math.round(performance.now() - started) };
  } finally {
    client.off('commandStarted', onStarted);
    redisClient.sendCommand = send;
  }
}

async function seedOpen(n: number, status: 'queued' | 'processing', closed = 0) {
  const now = new Date();
  const doc = (i: number, s: string) => ({
    ref: newRef(),
    type: 'unsubscribe' as const,
    customerId: new Types.ObjectId(),
    channel: 'telegram',
    chatId: `rec-${i}`,
    locale: 'id',
    status: s,
    dueAt: new Date(now.getTime() + 86_400_000),
    history: [
      { at: now, from: null, to: 'queued', actor: 'customer' },
      ...(s !== 'queued' ? [{ at: now, from: 'queued', to: 'processing', actor: 'system:w' }] : []),
      ...(s === 'completed' ? [{ at: now, from: 'processing', to: 'completed', actor: 'system:w' }] : []),
    ],
    attempts: s === 'queued' ? 0 : 1,
  });
  await ctx.models.PrivacyRequest.insertMany(Array.from({ length: closed }, (_, i) => doc(i, 'completed')));
  const open = await ctx.models.PrivacyRequest.insertMany(
    Array.from({ length: n }, (_, i) => doc(i, status)),
  );
  return open;
}

const pass = () => counted(() => reconcileRequests(ctx, queue, { outbox }));

describe('round trips of a reconciler pass', () => {
  it('stay the same however many open requests have a live job', async () => {
    const passes = [];
    for (const n of [20, 60]) {
      const open = await seedOpen(n, 'queued');
      for (const r of open) await enqueueRequest(queue, r);
      passes.push(await pass());
      // Closed so that the next round counts its own requests only.
      await ctx.models.PrivacyRequest.updateMany({}, { $set: { status: 'completed' } });
      await queue.obliterate({ force: true });
    }
    const [few, many] = passes;
    expect(few?.result).toMatchObject({ checked: 20, requeued: [], failed: [] });
    expect(many?.result).toMatchObject({ checked: 60, requeued: [], failed: [] });
    expect(many?.mongo).toBe(few?.mongo);
    expect(many?.redis).toBe(few?.redis);
    expect(many?.mongo).toBeLessThanOrEqual(3);
    expect(many?.redis).toBeLessThanOrEqual(2);
  });

  it("MongoDB's stay the same however many jobs are lost, and every lost one is queued again", async () => {
    const passes = [];
    for (const n of [20, 60]) {
      const open = await seedOpen(n, 'processing');
      passes.push(await pass());
      const alive = await queue.getRanges(['waiting'], 0, -1);
      expect(alive.sort()).toEqual(open.map((r) => r.ref).sort());
      await ctx.models.PrivacyRequest.updateMany({}, { $set: { status: 'completed' } });
      await queue.obliterate({ force: true });
    }
    const [few, many] = passes;
    expect(few?.result.requeued).toHaveLength(20);
    expect(many?.result.requeued).toHaveLength(60);
    expect(many?.mongo).toBe(few?.mongo);
    // Redis: the job looked up and queued again, per lost request.
    expect(many?.redis).toBeLessThanOrEqual(2 * 60 + 2);
  });

  it('acts on what the second look finds: closed since the list was read, failed job, too many starts', async () => {
    const [closedSince, failedJob, dying, fine] = await seedOpen(4, 'processing');
    if (!closedSince || !failedJob || !dying || !fine) throw new Error('not seeded');
    await ctx.models.PrivacyRequest.updateOne({ _id: dying._id }, { $set: { attempts: 10 } });
    // A job that BullMQ gave up on while its request is still open (its last attempt failed).
    const connection = ctx.redis.duplicate();
    const worker = new Worker(
      REQUEST_QUEUE,
      async () => {
        throw new Error('gave up');
      },
      { connection, prefix: ctx.config.redisPrefix },
    );
    const failed = new Promise((resolve) => worker.once('failed', resolve));
    await queue.add('unsubscribe', { ref: failedJob.ref }, { jobId: failedJob.ref, attempts: 1 });
    await failed;
    await worker.close();
    await connection.quit();
    expect(await queue.getJobState(failedJob.ref)).toBe('failed');
    await enqueueRequest(queue, fine);
    // The list is read while `closedSince` is open; it closes before the second look.
    const read = createRequestReadModel(ctx.models);
    const requests = {
      ...read,
      withJobs: async () => {
        const open = await read.withJobs();
        await ctx.models.PrivacyRequest.updateOne(
          { _id: closedSince._id },
          { $set: { status: 'completed' } },
        );
        return open;
      },
    };
    const report = await reconcileRequests(ctx, queue, { outbox, requests });
    expect(report.checked).toBe(4);
    expect(report.requeued).toEqual([failedJob.ref]);
    expect(report.failed).toEqual([dying.ref]);
    expect(await queue.getJobState(failedJob.ref)).toBe('waiting');
    expect(await queue.getJobState(closedSince.ref)).toBe('unknown');
    expect((await ctx.models.PrivacyRequest.findById(dying._id).lean())?.status).toBe('failed');
  });

  it('says why it did not close a request it gave up on: its status changed after the second look', async () => {
    const [dying] = await seedOpen(1, 'processing');
    if (!dying) throw new Error('not seeded');
    await ctx.models.PrivacyRequest.updateOne({ _id: dying._id }, { $set: { attempts: 10 } });
    // The second look still sees it processing; a worker closes it right after.
    const read = createRequestReadModel(ctx.models);
    const requests = {
      ...read,
      statesOf: async (ids: Types.ObjectId[]) => {
        const states = await read.statesOf(ids);
        await ctx.models.PrivacyRequest.updateOne({ _id: dying._id }, { $set: { status: 'completed' } });
        return states;
      },
    };
    const from = ctx.logLines.length;
    await reconcileRequests(ctx, queue, { outbox, requests });
    expect((await ctx.models.PrivacyRequest.findById(dying._id).lean())?.status).toBe('completed');
    const lines = ctx.logLines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({
        ref: dying.ref,
        reason: 'ILLEGAL_TRANSITION',
        msg: 'reconciler did not close the request as failed: its status changed meanwhile',
      }),
    );
  });
});

const N = Number(process.env.RECONCILE_N ?? 0);

describe.runIf(N > 0)('reconciler pass timing (RECONCILE_N)', () => {
  it(`one pass over ${N} open requests`, async () => {
    await ctx.models.PrivacyRequest.updateMany({}, { $set: { status: 'completed' } });
    await queue.obliterate({ force: true });
    const open = await seedOpen(N, 'queued', N);
    for (let i = 0; i < open.length; i += 200)
      await Promise.all(open.slice(i, i + 200).map((r) => enqueueRequest(queue, r)));
    const live = await counted(() => reconcileRequests(ctx, queue, { outbox }));
    console.warn(
      `[reconcile] N=${N} jobs alive: ${JSON.stringify({ ...live, result: undefined, checked: live.result.checked, requeued: live.result.requeued.length })}`,
    );
    await queue.obliterate({ force: true });
    const lost = await counted(() => reconcileRequests(ctx, queue, { outbox }));
    console.warn(
      `[reconcile] N=${N} jobs lost: ${JSON.stringify({ ...lost, result: undefined, checked: lost.result.checked, requeued: lost.result.requeued.length })}`,
    );
    const again = await counted(() => reconcileRequests(ctx, queue, { outbox }));
    console.warn(
      `[reconcile] N=${N} again: ${JSON.stringify({ ...again, result: undefined, checked: again.result.checked, requeued: again.result.requeued.length })}`,
    );
  }, 900_000);
});
