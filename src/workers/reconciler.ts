import type { Job, JobType } from 'bullmq';
import type { Outbox } from '../outbound/index.js';
import {
  auditClosed,
  auditClosing,
  type BusinessContact,
  closingUnset,
  createRequestReadModel,
  enqueueRequest,
  type JobbedRequest,
  type PendingClose,
  RequestError,
  type RequestQueue,
  type RequestReadModel,
  type TransitionDeps,
  transition,
} from '../requests/index.js';
import { ERASED } from './erase.js';
import { failedNotice, tellOutcome } from './outcome.js';

/**
 * MongoDB is the source of truth; Redis may lose jobs (flushed, restored from an old snapshot,
 * a job stalled past its limit). On start and every few minutes, every request that MongoDB says
 * is `queued` or `processing` is checked for a live job, and re-queued when it has none. A
 * request that keeps dying is closed as failed instead of looping for ever, and then (not before:
 * a worker may close it first) its customer told.
 */

const ACTOR = 'system:reconciler';

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
  /** Closed as failed: too many starts. */
  failed: string[];
  /** Meant to be closed as failed, but their status changed first (a worker closed them): left as they are. */
  changedMeanwhile: string[];
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

  const report: ReconcileReport = {
    checked: open.length,
    requeued: [],
    failed: [],
    changedMeanwhile: [],
    audited: 0,
  };
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
      if (await giveUp(ctx, deps, r, log)) report.failed.push(r.ref);
      else {
        // Its status changed since the second look (a worker closed it): its customer was told
        // by whoever closed it, not by us.
        report.changedMeanwhile.push(r.ref);
      }
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
  // A give-up whose process died between the close and the notice: told now, before its mark goes.
  report.audited = await auditClosed(ctx, deps.now?.(), {
    beforeClear: (pending) => tellGivenUp(ctx, deps, pending),
  });
  if (report.requeued.length || report.failed.length || report.changedMeanwhile.length || report.audited)
    log.warn(
      {
        requeued: report.requeued,
        failed: report.failed,
        changedMeanwhile: report.changedMeanwhile,
        audited: report.audited,
      },
      'reconciler repaired lost jobs',
    );
  return report;
}

/**
 * Closes a request that keeps dying as failed, then tells its customer. The close keeps the
 * `auditPending` mark until the notice is out and the events are in, so a process that dies in
 * between leaves the notice to the next pass's repair (`tellGivenUp`, same dedupe key). False
 * when the close is refused: the request's status changed meanwhile, nothing is sent.
 */
async function giveUp(
  ctx: ReconcileContext,
  deps: ReconcileDeps,
  r: JobbedRequest,
  log: ReconcileContext['logger'],
): Promise<boolean> {
  let closed: Awaited<ReturnType<typeof transition>>;
  try {
    closed = await transition(ctx, {
      ref: r.ref,
      id: r._id,
      from: 'processing',
      to: 'failed',
      actor: ACTOR,
      note: 'TOO_MANY_ATTEMPTS',
      at: deps.now?.() ?? new Date(),
      set: { result: { code: 'TOO_MANY_ATTEMPTS' } },
      unset: closingUnset(r.type),
      deferAudit: {},
    });
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    log.warn(
      { ref: r.ref, reason: err.code },
      'reconciler did not close the request as failed: its status changed meanwhile',
    );
    return false;
  }
  await tellOutcome(deps.outbox, r, [failedNotice(ctx, r)]);
  await auditClosing(ctx, closed);
  return true;
}

/** Of the closed requests still marked, those the reconciler gave up on: their notice, again (deduped). */
async function tellGivenUp(
  ctx: ReconcileContext,
  deps: ReconcileDeps,
  pending: PendingClose[],
): Promise<void> {
  for (const r of pending) {
    const closing = r.history.at(-1);
    if (r.status !== 'failed' || closing?.actor !== ACTOR) continue;
    // The customer was erased meanwhile (their chat id with it): there is no one to tell.
    if (r.chatId === ERASED) continue;
    await tellOutcome(deps.outbox, r, [failedNotice(ctx, r)]);
  }
}
