import { Queue, Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import type { Component } from '../../src/app/component.js';
import type { PrivacyRequest } from '../../src/db/index.js';
import { queueOptions } from '../../src/queues/options.js';
import { REQUEST_QUEUE } from '../../src/requests/queue.js';
import { transition } from '../../src/requests/states.js';
import { buildAccessPackage } from '../../src/workers/access/package.js';
import { createRequestWorkers } from '../../src/workers/requests-component.js';
import { SLA_QUEUE, SLA_SCHEDULER_ID } from '../../src/workers/sla.js';
import { recordingStaff, seedCustomer, workerTestKit } from '../fixtures/requests-kit.js';
import { pollUntil } from '../helpers/poll.js';

const failOnce = new Set<string>();
const failAlways = new Set<string>();

const { ctx, outbox, queue, service, close } = await workerTestKit({
  env: { MAX_REQUESTS_PER_DAY: '100' },
  queue: { attempts: 3, backoffMs: 50 },
});
afterAll(close);

function workers(reconcileEveryMs = 60_000): Component {
  return createRequestWorkers(ctx, {
    outbox,
    staff: recordingStaff(),
    buildAccessPackage,
    attempts: 3,
    backoffMs: 50,
    reconcileEveryMs,
    checkpoint: async (ref, step) => {
      if (step !== 'claimed') return;
      if (failAlways.has(ref)) throw new Error('always broken');
      if (failOnce.delete(ref)) throw new Error('broken once');
    },
  });
}

/** Waits, and on a timeout says where every request stands. */
const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>, ms = 30_000) =>
  pollUntil(what, check, {
    timeoutMs: ms,
    explain: async () =>
      JSON.stringify(
        await ctx.models.PrivacyRequest.find({}, { ref: 1, type: 1, status: 1, attempts: 1, _id: 0 }).lean(),
      ),
  });

const statuses = async (refs: string[]) =>
  (await ctx.models.PrivacyRequest.find({ ref: { $in: refs } }).lean<PrivacyRequest[]>()).map(
    (r) => r.status,
  );
const allFinal = (refs: string[]) => async () =>
  (await statuses(refs)).every((s) => s === 'completed' || s === 'failed') && refs.length > 0;

/** Deletes every key under the prefix, as a Redis flush would; says which keys went. */
async function flushPrefix(): Promise<string[]> {
  const deleted: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', `${ctx.config.redisPrefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await ctx.redis.del(...keys);
    deleted.push(...keys);
  } while (cursor !== '0');
  return deleted;
}

const ask = async (type: PrivacyRequest['type'], customerId: string, chatId: string) =>
  (await service.create({ type, customerId, channel: 'telegram', chatId, locale: 'id' })).ref;

describe('request worker on BullMQ', () => {
  it('runs every type to completion, retrying a failed attempt with backoff, and closes a hopeless one as failed', async () => {
    const a = await seedCustomer(ctx, { orders: 2 });
    const b = await seedCustomer(ctx);
    const refs = [
      await ask('access', String(a._id), 'q-1'),
      await ask('unsubscribe', String(a._id), 'q-1'),
      (
        await service.create({
          type: 'update',
          customerId: String(a._id),
          channel: 'telegram',
          chatId: 'q-1',
          locale: 'id',
          changes: { email: 'q@contoh.id' },
        })
      ).ref,
      await ask('erase', String(b._id), 'q-2'),
    ];
    const flaky = await ask('access', String(a._id), 'q-3');
    const broken = await ask('access', String(a._id), 'q-4');
    failOnce.add(flaky);
    failAlways.add(broken);

    const component = workers();
    await component.start();
    try {
      await waitFor('all requests finished', allFinal([...refs, flaky, broken]));
    } finally {
      await component.stop();
    }
    expect(await statuses(refs)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect((await ctx.models.Customer.findById(a._id).lean())?.email).toBe('q@contoh.id');
    expect((await ctx.models.Customer.findById(b._id).lean())?.erasedAt).toBeInstanceOf(Date);

    const f = await ctx.models.PrivacyRequest.findOne({ ref: flaky }).lean();
    expect(f?.status).toBe('completed');
    expect(f?.attempts).toBe(2);
    expect(f?.history.map((h) => h.to)).toEqual(['queued', 'processing', 'completed']);

    const x = await ctx.models.PrivacyRequest.findOne({ ref: broken }).lean();
    expect(x?.status).toBe('failed');
    expect(x?.attempts).toBe(3);
    expect(x?.result).toMatchObject({ code: 'GAVE_UP' });
    expect(outbox.textsTo('q-4')).toEqual([
      expect.stringContaining(`permintaan ${broken} belum dapat kami selesaikan`),
    ]);
    // One message per request, whatever the retries.
    for (const ref of [...refs, flaky, broken])
      expect(
        outbox.delivered.filter((d) => d.meta.requestRef === ref),
        ref,
      ).toHaveLength(1);
  });

  it('re-queues everything MongoDB holds open after Redis is flushed, and restores the SLA schedule', async () => {
    const c = await seedCustomer(ctx, { orders: 1 });
    const refs: string[] = [];
    for (let i = 0; i < 6; i++)
      refs.push(await ask(i % 2 ? 'access' : 'unsubscribe', String(c._id), `f-${i}`));
    // One was taken by a worker that then vanished along with Redis.
    const taken = refs[0] ?? '';
    await transition(ctx, { ref: taken, from: 'queued', to: 'processing', actor: 'system:request-worker' });
    expect(await queue.getJob(refs[1] ?? '')).toBeDefined();

    await flushPrefix();
    expect(await queue.getJob(refs[1] ?? '')).toBeUndefined();
    expect(await ctx.redis.keys(`${ctx.config.redisPrefix}:*`)).toEqual([]);

    const component = workers(300);
    await component.start();
    try {
      await waitFor('flushed requests finished', allFinal(refs));
      const sla = new Queue(SLA_QUEUE, queueOptions(ctx));
      expect(await sla.getJobScheduler(SLA_SCHEDULER_ID)).toMatchObject({ key: SLA_SCHEDULER_ID });
      // Flushed again while running: the next reconcile brings the schedule back.
      // The schedule's keys went with the flush (asserted on what was deleted: with a reconcile
      // every 300 ms, a loaded machine can restore it before a read here would see it gone).
      const deleted = await flushPrefix();
      expect(deleted.filter((k) => k.includes(`:${SLA_QUEUE}:repeat`))).not.toEqual([]);
      await waitFor('SLA schedule restored', async () => sla.getJobScheduler(SLA_SCHEDULER_ID));
      await sla.close();
    } finally {
      await component.stop();
    }
    expect(await statuses(refs)).toEqual(refs.map(() => 'completed'));
    const t = await ctx.models.PrivacyRequest.findOne({ ref: taken }).lean();
    expect(t?.history.map((h) => h.to)).toEqual(['queued', 'processing', 'completed']);
    expect(await ctx.models.AuditEvent.countDocuments({ requestRef: taken })).toBe(4);
  });

  it('re-queues a request whose job failed in Redis while MongoDB still says processing', async () => {
    const c = await seedCustomer(ctx);
    const ref = await ask('access', String(c._id), 'g-1');
    await transition(ctx, { ref, from: 'queued', to: 'processing', actor: 'system:request-worker' });
    // The job fails in Redis for good, as after a worker that died more often than BullMQ allows.
    const failing = new Worker(
      REQUEST_QUEUE,
      async () => {
        throw new Error('stalled too often');
      },
      { connection: ctx.redis.duplicate(), prefix: ctx.config.redisPrefix, autorun: true },
    );
    await waitFor(
      'job failed in Redis',
      async () => (await (await queue.getJob(ref))?.getState()) === 'failed',
    );
    await failing.close();
    await failing.disconnect();
    expect((await ctx.models.PrivacyRequest.findOne({ ref }).lean())?.status).toBe('processing');

    const component = workers();
    await component.start();
    try {
      await waitFor('failed job repaired', allFinal([ref]));
    } finally {
      await component.stop();
    }
    expect(await statuses([ref])).toEqual(['completed']);
  });
});
