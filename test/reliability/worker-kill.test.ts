import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbox } from '../../src/outbound/outbox.js';
import { createRequestQueue, type RequestQueue } from '../../src/requests/queue.js';
import { createRequestService } from '../../src/requests/service.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { exactlyOnceReport, seedManyCustomers, waitFor } from './fixtures/audit.js';
import { type SpawnedWorker, spawnWorker } from './fixtures/spawn.js';

/**
 * Kill: three worker processes (a deployment's replicas) run the real request workers while
 * unsubscribe requests arrive in waves; after each wave a worker that is up is SIGKILLed at a
 * random moment and a new one started. Every request must complete exactly once: one audit event
 * per step, one consent entry, one message queued for the customer, none left open.
 *
 * RELIABILITY_REQUESTS and RELIABILITY_KILLS scale it; the defaults are the issue's 1,000 and 100
 * (about 8 minutes on the 2-core development machine with FerretDB).
 */
const REQUESTS = Number(process.env.RELIABILITY_REQUESTS ?? 1_000);
const KILLS = Number(process.env.RELIABILITY_KILLS ?? 100);
const REPLICAS = 3;
const WAVE = Math.ceil(REQUESTS / KILLS);

let ctx: TestContext;
let queue: RequestQueue;
const workers: SpawnedWorker[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ LOG_LEVEL: 'warn' });
  queue = createRequestQueue(ctx);
});
afterAll(async () => {
  for (const w of workers) w.kill();
  await queue.close();
  await ctx.cleanup();
});

const random = (min: number, max: number) => min + Math.random() * (max - min);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('worker processes SIGKILLed while requests run', () => {
  it(
    `completes ${REQUESTS} requests exactly once through ${KILLS} kills`,
    async () => {
      const customers = await seedManyCustomers(ctx, REQUESTS);
      const outbox = createOutbox(ctx);
      const service = createRequestService(ctx, { outbox, queue });
      const up: { worker: SpawnedWorker; ready: boolean }[] = [];
      const start = () => {
        const worker = spawnWorker(ctx.env);
        workers.push(worker);
        const entry = { worker, ready: false };
        void worker.ready.then(
          () => {
            entry.ready = true;
          },
          () => {},
        );
        up.push(entry);
      };
      for (let i = 0; i < REPLICAS; i++) start();
      await Promise.all(up.map((e) => e.worker.ready));

      const refs: string[] = [];
      let kills = 0;
      let processingAtKill = 0;
      const started = Date.now();
      for (let created = 0; kills < KILLS; ) {
        // A wave of requests, then a kill at a random moment while they run.
        const wave = customers.slice(created, created + WAVE);
        await Promise.all(
          wave.map(async (id, i) => {
            const { ref } = await service.create({
              type: 'unsubscribe',
              customerId: String(id),
              channel: 'telegram',
              chatId: `kill-${created + i}`,
              locale: 'id',
              proof: { words: 'stop' },
            });
            refs.push(ref);
          }),
        );
        created += wave.length;
        await sleep(random(50, 1_000));
        // The longest-running replica that is up (a fresh one is still connecting).
        let index = up.findIndex((e) => e.ready);
        if (index < 0) {
          await Promise.race(up.map((e) => e.worker.ready));
          index = up.findIndex((e) => e.ready);
        }
        const victim = up[index];
        if (!victim) throw new Error('no worker is up');
        up.splice(index, 1);
        processingAtKill += await ctx.models.PrivacyRequest.countDocuments({ status: 'processing' });
        victim.worker.kill('SIGKILL');
        await victim.worker.exited;
        expect(victim.worker.child.signalCode).toBe('SIGKILL');
        kills++;
        start();
      }
      await Promise.all(up.map((e) => e.worker.ready));
      const killPhaseMs = Date.now() - started;

      // Closed, and audited: a kill between a closing status and its event leaves a mark that the
      // reconciler clears once the request has settled (30 s).
      await waitFor(
        'every request to close and be audited',
        async () =>
          (await ctx.models.PrivacyRequest.countDocuments({
            $or: [{ status: { $in: ['queued', 'processing'] } }, { auditPending: true }],
          })) === 0,
        15 * 60_000,
      );
      const report = await exactlyOnceReport(ctx, refs);
      const resumed = await ctx.models.PrivacyRequest.countDocuments({ attempts: { $gt: 1 } });
      console.warn(
        `[reliability] ${refs.length} requests, ${kills} SIGKILLs in ${Math.round(killPhaseMs / 1000)} s, ${resumed} requests interrupted mid-job and resumed; all closed ${Math.round((Date.now() - started) / 1000)} s after the first wave`,
      );
      for (const { ref } of [...report.wrongEvents, ...report.wrongConsent].slice(0, 5)) {
        const r = await ctx.models.PrivacyRequest.findOne(
          { ref },
          { history: 1, attempts: 1, status: 1 },
        ).lean();
        const events = await ctx.models.AuditEvent.find(
          { requestRef: ref },
          { idempotencyKey: 1, action: 1 },
        ).lean();
        const job = await queue.getJob(ref);
        console.warn(
          `[reliability] ${ref}: ${JSON.stringify({
            status: r?.status,
            attempts: r?.attempts,
            history: r?.history.map((h) => `${h.from}>${h.to}`),
            events: events.map((e) => e.idempotencyKey ?? e.action),
            job: job ? { state: await job.getState(), failedReason: job.failedReason } : 'none',
          })}`,
        );
      }
      expect(report.requests).toBe(REQUESTS);
      expect(report.notCompleted).toEqual([]);
      expect(report.wrongEvents).toEqual([]);
      expect(report.wrongConsent).toEqual([]);
      // One "unsubscribed" message per request on the outbound queue (deduplicated across retries).
      const perRef = new Map<string, number>();
      for (const name of await outboundQueues(ctx)) {
        const q = new Queue(name, { connection: ctx.redis, prefix: ctx.config.redisPrefix });
        for (const job of await q.getJobs(['wait', 'delayed', 'prioritized'])) {
          const ref = (job.data as { meta?: { requestRef?: string } }).meta?.requestRef;
          if (ref) perRef.set(ref, (perRef.get(ref) ?? 0) + 1);
        }
        await q.close();
      }
      expect(refs.filter((r) => perRef.get(r) !== 1)).toEqual([]);
      // The kills did land in the middle of jobs.
      expect(processingAtKill).toBeGreaterThan(0);
      expect(resumed).toBeGreaterThan(0);
      await outbox.close();
    },
    30 * 60_000,
  );
});

/** Names of the outbound partition queues that exist under the test's prefix. */
async function outboundQueues(ctx: TestContext): Promise<string[]> {
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await ctx.redis.scan(
      cursor,
      'MATCH',
      `${ctx.config.redisPrefix}:outbound*:meta`,
      'COUNT',
      1000,
    );
    cursor = next;
    for (const k of keys) names.add(k.slice(ctx.config.redisPrefix.length + 1, -':meta'.length));
  } while (cursor !== '0');
  return [...names];
}
