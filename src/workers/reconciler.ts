import type { Job, JobType } from 'bullmq';
import type { Outbox } from '../outbound/index.js';
import {
  auditClosed,
  type BusinessContact,
  closingUnset,
  contactLine,
  createRequestReadModel,
  enqueueRequest,
  type JobbedRequest,
  RequestError,
  type RequestQueue,
  type RequestReadModel,
  type TransitionDeps,
  transition,
} from '../requests/index.js';
import { localeOf, text } from './outcome.js';

/**
 * MongoDB is the source of truth; Redis may lose jobs (flushed, restored from an old snapshot,
 * a job stalled past its limit). On start and every few minutes, every request that MongoDB says
 * is `queued` or `processing` is checked for a live job, and re-queued when it has none. A
 * request that keeps dying is closed as failed instead of looping for ever.
 */

/** Job states in which BullMQ will still run the job by itself. */
const LIVE_STATES = new Set(['active', 'waiting', 'waiting-children', 'delayed', 'prioritized']);
/** The lists and sets that hold the jobs in those states (`waiting` is `wait` or `paused`). */
const LIVE_TYPES: readonly JobType[] = [
  'active',
  'waiting',
  'paused',
  'waiting-children',
  'delayed',
  'prioritized',
];

/**
 * What a pass reads and writes: the requests (read, closed when they keep dying, their missing
 * audit events written) through `transition`'s deps, and the business's contact for the message.
 */
export type ReconcileContext = TransitionDeps & BusinessContact;

export interface ReconcileDeps {
  outbox: Outbox;
  now?: () => Date;
  /** Starts of processing after which the reconciler gives up on a request. */
  maxAttempts?: number;
  /** What it reads of requests; by default the read model over this context's MongoDB. */
  requests?: RequestReadModel;
}

export interface ReconcileReport {
  checked: number;
  requeued: string[];
  failed: string[];
  /** Closed requests whose missing audit event was written. */
  audited: number;
}

export async function reconcileRequests(
  ctx: ReconcileContext,
  queue: RequestQueue,
  deps: ReconcileDeps,
): Promise<ReconcileReport> {
  const log = ctx.logger.child({ component: 'reconciler' });
  const maxAttempts = deps.maxAttempts ?? 10;
  const requests = deps.requests ?? createRequestReadModel(ctx.models);
  const open = await requests.withJobs();

  const report: ReconcileReport = { checked: open.length, requeued: [], failed: [], audited: 0 };
  // Every job BullMQ will still run, by id, in one round trip (one script reads the lists at
  // once): most open requests have one, and asking job by job cost two round trips each.
  const alive = new Set(await queue.getRanges([...LIVE_TYPES], 0, -1));
  // The rest is looked at one by one: its job, if any, is needed to remove it.
  const lost: { r: JobbedRequest; job: Job | undefined }[] = [];
  for (const r of open) {
    if (alive.has(r.ref)) continue;
    const job = await queue.getJob(r.ref);
    const state = job ? await job.getState() : 'missing';
    if (LIVE_STATES.has(state)) continue;
    lost.push({ r, job });
  }

  // The job is gone or finished while the request is not: look again, it may just have finished
  // (a worker closes a request before its job leaves the live states). One query for all of them
  // (none when nothing is lost).
  const fresh = new Map((await requests.statesOf(lost.map(({ r }) => r._id))).map((s) => [String(s._id), s]));
  for (const { r, job } of lost) {
    const current = fresh.get(String(r._id));
    if (!current || (current.status !== 'queued' && current.status !== 'processing')) continue;

    if (current.status === 'processing' && current.attempts >= maxAttempts) {
      await giveUp(ctx, deps, r).catch((err) => {
        if (!(err instanceof RequestError)) throw err;
        // Its status changed since the second look (a worker closed it, staff cancelled it).
        log.warn(
          { ref: r.ref, reason: err.code },
          'reconciler did not close the request as failed: its status changed meanwhile',
        );
      });
      report.failed.push(r.ref);
      continue;
    }
    if (job)
      await job.remove().catch((err: Error) =>
        // Re-queued under the same id, the add below is then ignored: the next pass tries again.
        log.warn({ ref: r.ref, err: { message: err.message } }, 'reconciler could not remove the dead job'),
      );
    await enqueueRequest(queue, r);
    report.requeued.push(r.ref);
  }
  report.audited = await auditClosed(ctx, deps.now?.());
  if (report.requeued.length || report.failed.length || report.audited)
    log.warn(
      { requeued: report.requeued, failed: report.failed, audited: report.audited },
      'reconciler repaired lost jobs',
    );
  return report;
}

async function giveUp(ctx: ReconcileContext, deps: ReconcileDeps, r: JobbedRequest): Promise<void> {
  await deps.outbox.send(
    r.channel,
    r.chatId,
    [text(localeOf(r), 'failed', { ref: r.ref, contact: contactLine(ctx) })],
    {
      requestRef: r.ref,
      dedupeKey: `${r.ref}:outcome`,
      purpose: 'notification',
    },
  );
  await transition(ctx, {
    ref: r.ref,
    id: r._id,
    from: 'processing',
    to: 'failed',
    actor: 'system:reconciler',
    note: 'TOO_MANY_ATTEMPTS',
    at: deps.now?.() ?? new Date(),
    set: { result: { code: 'TOO_MANY_ATTEMPTS' } },
    unset: closingUnset(r.type),
  });
}
