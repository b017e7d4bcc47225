import { type Job, Worker } from 'bullmq';
import { isValidObjectId } from 'mongoose';
import type { PrivacyRequest, RequestType } from '../db/index.js';
import { rateLimitedWarn } from '../logging/rate-limited.js';
import { timeRequestJob } from '../metrics/requests.js';
import { maskString } from '../privacy/index.js';
import { type QueueStore, workerConnection } from '../queues/options.js';
import {
  auditClosing,
  type BusinessContact,
  closingUnset,
  countResumedAttempt,
  isTerminal,
  REQUEST_QUEUE,
  RequestError,
  type RequestJobData,
  type TransitionDeps,
  transition,
  writePendingAudit,
} from '../requests/index.js';
import { type AccessHandlerDeps, sendAccessPackage } from './access-worker.js';
import { applyConsent, type ConsentDeps } from './consent.js';
import { type EraseDeps, eraseCustomer } from './erase.js';
import {
  failedNotice,
  type HandlerDeps,
  type RequestHandler,
  type RequestOutcome,
  tellOutcome,
} from './outcome.js';
import { applyRestriction, type RestrictionDeps } from './restrict.js';
import { applyUpdate, type UpdateDeps } from './update.js';

/** What the handlers are handed, together: each names its own part in its module. */
export type HandlersContext = AccessHandlerDeps & UpdateDeps & EraseDeps & ConsentDeps & RestrictionDeps;

/** What running one request reads: the handlers' context, the status changes and their audit. */
export type ProcessContext = HandlersContext & TransitionDeps & BusinessContact;

/** And the worker: its queue's Redis and prefix (the metrics and logger are in the above). */
export type RequestWorkerContext = ProcessContext & QueueStore;

export const REQUEST_HANDLERS: Record<RequestType, RequestHandler<HandlersContext>> = {
  access: sendAccessPackage,
  update: applyUpdate,
  erase: eraseCustomer,
  unsubscribe: applyConsent,
  subscribe: applyConsent,
  restrict: applyRestriction,
};

export type ProcessResult = 'completed' | 'failed' | 'skipped';

const ACTOR = 'system:request-worker';

/**
 * Runs one request, safely more than once: the status in MongoDB says where it stands, every
 * step is idempotent, the customer's message carries a dedupe key, and audit events have keys.
 *
 * queued → processing (claim) → effect → tell the customer → completed | failed.
 * A thrown error leaves the request `processing` for BullMQ to retry; on the last attempt the
 * request is closed as failed and the customer told.
 */
export async function processRequest(
  ctx: ProcessContext,
  deps: HandlerDeps,
  ref: string,
  options: { finalAttempt?: boolean; id?: string } = {},
): Promise<ProcessResult> {
  const log = ctx.logger.child({ component: 'request-worker', ref });
  const finalAttempt = options.finalAttempt ?? true;
  // By _id when the job carries it (no collection scan on FerretDB); the ref must still match.
  const id = options.id && isValidObjectId(options.id) ? options.id : undefined;
  const claimed = await claim(ctx, ref, id, deps.now());
  if (claimed.skip) {
    if (claimed.skip === 'unknown') log.warn('job for an unknown request; dropped');
    else log.debug({ status: claimed.skip }, 'request not runnable; job skipped');
    return 'skipped';
  }
  const request = claimed.request;
  let outcome: RequestOutcome;
  try {
    await deps.checkpoint?.(ref, 'claimed');
    outcome = await REQUEST_HANDLERS[request.type](ctx, request, deps);
  } catch (err) {
    const unreachable = storeUnreachable(err);
    log.warn(
      { err: { message: maskString((err as Error).message) }, final: finalAttempt, unreachable },
      'request step failed',
    );
    // MongoDB away (down, restarting, a connection cut) says nothing about the request: even on
    // the last attempt it stays open, untold, and the job fails; the reconciler queues it again
    // once the job is failed for good (its limit on starts still ends a request that keeps dying).
    if (!finalAttempt || unreachable) throw err;
    outcome = {
      status: 'failed',
      // Driver errors can quote values (a duplicate key names the phone): masked before kept.
      result: { code: 'GAVE_UP', error: maskString((err as Error).message).slice(0, 200) },
      messages: [failedNotice(ctx, request)],
    };
  }

  // Told before the request is closed: a crash in between re-sends under the same dedupe key.
  await tellOutcome(deps.outbox, request, outcome.messages);
  // The claim's, the handler's and the closing events are written together once the status is
  // closed; the closing write keeps the handler's events and the mark until they are in (a
  // re-run of the job produces them again; the reconciler finishes what a dead process left).
  const events = outcome.audit ?? [];
  const closed = await transition(ctx, {
    ref,
    id: request._id,
    from: 'processing',
    to: outcome.status,
    actor: ACTOR,
    at: deps.now(),
    set: { result: outcome.result, ...(outcome.status === 'completed' ? outcome.set : {}) },
    unset: [
      ...new Set([
        ...closingUnset(request.type),
        ...((outcome.status === 'completed' && outcome.unset) || []),
      ]),
    ],
    ...(outcome.status === 'failed' ? { note: outcome.result.code } : {}),
    deferAudit: { events },
  });
  await auditClosing(ctx, closed, events);
  log.info({ type: request.type, status: outcome.status }, 'request finished');
  return outcome.status;
}

/** Errors of a MongoDB that cannot be reached, by name: the driver's and mongoose's own. */
const UNREACHABLE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
]);

function storeUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    UNREACHABLE.has(err.name) ||
    // mongoose, when a query waited for a connection longer than its buffer allows.
    (err.name === 'MongooseError' && /buffering timed out/.test(err.message))
  );
}

type Claim =
  | { request: PrivacyRequest; skip?: undefined }
  | { skip: 'unknown' | PrivacyRequest['status']; request?: undefined };

/**
 * queued → processing, and the request it returns: one conditional write on MongoDB, a read and
 * a write by `_id` on FerretDB (states.ts). Only when that is refused is the request read again:
 * resumed after a crash, a stall or a retry (`processing`),
 * or not runnable (cancelled, closed, waiting for staff, unknown). The claim's audit event is
 * written with the closing ones; until then it is in `history`.
 */
async function claim(ctx: TransitionDeps, ref: string, id: string | undefined, at: Date): Promise<Claim> {
  try {
    const request = await transition(ctx, {
      ref,
      ...(id ? { id } : {}),
      from: 'queued',
      to: 'processing',
      actor: ACTOR,
      at,
      inc: { attempts: 1 },
      deferAudit: {},
    });
    return { request };
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
  }
  const { PrivacyRequest } = ctx.models;
  const current = await PrivacyRequest.findOne(id ? { _id: id } : { ref }).lean<PrivacyRequest>();
  if (!current || current.ref !== ref) return { skip: 'unknown' };
  // Closed, but its events never went in (MongoDB went away between the close and their insert,
  // and this is the job's retry): written now rather than at the reconciler's next pass.
  if (current.auditPending && isTerminal(current.status)) await writePendingAudit(ctx, [current]);
  if (current.status !== 'processing') return { skip: current.status };
  // Resumed: counted, so the reconciler can give up on a request that keeps dying.
  const resumed = await countResumedAttempt(ctx.models, current._id);
  return resumed ? { request: resumed } : { skip: current.status };
}

export interface RequestWorkerOptions {
  concurrency?: number;
  /** How long a job stays locked without a heartbeat: a killed worker's job is retaken after it. */
  lockDuration?: number;
  stalledInterval?: number;
}

export interface RunningWorker {
  worker: Worker;
  close(): Promise<void>;
}

export function startRequestWorker(
  ctx: RequestWorkerContext,
  deps: HandlerDeps,
  options: RequestWorkerOptions = {},
): RunningWorker {
  const connection = workerConnection(ctx);
  const worker = new Worker<RequestJobData, ProcessResult>(
    REQUEST_QUEUE,
    async (job: Job<RequestJobData, ProcessResult>) => {
      // The job's name is the request type (queue.ts).
      const timed = timeRequestJob(ctx.metrics, job.name in REQUEST_HANDLERS ? job.name : 'other');
      try {
        const result = await processRequest(ctx, deps, job.data.ref, {
          finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
          ...(job.data.id ? { id: job.data.id } : {}),
        });
        timed(result);
        return result;
      } catch (err) {
        timed('retry');
        // BullMQ keeps a failed attempt's message and stack in the job (the dashboard shows them);
        // a driver error can quote a value (a duplicate key names the phone): masked first.
        throw new Error(maskString((err as Error).message));
      }
    },
    {
      connection,
      prefix: ctx.config.redisPrefix,
      concurrency: options.concurrency ?? 4,
      lockDuration: options.lockDuration ?? 30_000,
      stalledInterval: options.stalledInterval ?? 30_000,
      // A job whose worker died twice is still not lost: the reconciler re-queues its request.
      maxStalledCount: 2,
    },
  );
  const warn = rateLimitedWarn(ctx.logger, 'request worker error');
  worker.on('error', (err) => warn({ err: { message: maskString(err.message) } }));
  return {
    worker,
    async close() {
      await worker.close();
      await connection.quit().catch(() => undefined);
    },
  };
}
