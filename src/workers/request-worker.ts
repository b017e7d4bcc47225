import { type Job, Worker } from 'bullmq';
import { isValidObjectId } from 'mongoose';
import type { AppContext } from '../app/context.js';
import { maskString } from '../audit/mask.js';
import type { PrivacyRequest, RequestType } from '../db/index.js';
import { workerConnection } from '../queues/options.js';
import { RequestError } from '../requests/api.js';
import { REQUEST_QUEUE, type RequestJobData } from '../requests/queue.js';
import { contactLine } from '../requests/service.js';
import { closingUnset, ensureHistoryAudited, isTerminal, transition } from '../requests/states.js';
import { sendAccessPackage } from './access-worker.js';
import { applyConsent } from './consent.js';
import { eraseCustomer } from './erase.js';
import { type HandlerDeps, localeOf, type RequestHandler, type RequestOutcome, text } from './outcome.js';
import { applyUpdate } from './update.js';

export const REQUEST_HANDLERS: Record<RequestType, RequestHandler> = {
  access: sendAccessPackage,
  update: applyUpdate,
  erase: eraseCustomer,
  unsubscribe: applyConsent,
  subscribe: applyConsent,
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
  ctx: AppContext,
  deps: HandlerDeps,
  ref: string,
  options: { finalAttempt?: boolean; id?: string } = {},
): Promise<ProcessResult> {
  const log = ctx.logger.child({ component: 'request-worker', ref });
  const finalAttempt = options.finalAttempt ?? true;
  // By _id when the job carries it (no collection scan on FerretDB); the ref must still match.
  let request = await ctx.models.PrivacyRequest.findOne(
    options.id && isValidObjectId(options.id) ? { _id: options.id } : { ref },
  ).lean<PrivacyRequest>();
  if (request && request.ref !== ref) request = null;
  if (!request) {
    log.warn('job for an unknown request; dropped');
    return 'skipped';
  }
  // Whatever happened before, the history and the audit trail agree from here on.
  await ensureHistoryAudited(ctx, request);
  if (isTerminal(request.status) || request.status === 'pending_approval') {
    log.debug({ status: request.status }, 'request not runnable; job skipped');
    return 'skipped';
  }

  if (request.status === 'queued') {
    try {
      request = await transition(ctx, {
        ref,
        id: request._id,
        from: 'queued',
        to: 'processing',
        actor: ACTOR,
        at: deps.now(),
        inc: { attempts: 1 },
      });
    } catch (err) {
      // Cancelled (or claimed) in the meantime.
      if (err instanceof RequestError && err.code === 'ILLEGAL_TRANSITION') return 'skipped';
      throw err;
    }
  } else {
    // Resumed after a crash, a stall or a retry.
    await ctx.models.PrivacyRequest.updateOne({ _id: request._id }, { $inc: { attempts: 1 } });
  }
  let outcome: RequestOutcome;
  try {
    await deps.checkpoint?.(ref, 'claimed');
    outcome = await REQUEST_HANDLERS[request.type](ctx, request, deps);
  } catch (err) {
    log.warn(
      { err: { message: maskString((err as Error).message) }, final: finalAttempt },
      'request step failed',
    );
    if (!finalAttempt) throw err;
    outcome = {
      status: 'failed',
      // Driver errors can quote values (a duplicate key names the phone): masked before kept.
      result: { code: 'GAVE_UP', error: maskString((err as Error).message).slice(0, 200) },
      messages: [text(localeOf(request), 'failed', { ref, contact: contactLine(ctx) })],
    };
  }

  // Told before the request is closed: a crash in between re-sends under the same dedupe key.
  if (outcome.messages.length > 0) {
    await deps.outbox.send(request.channel, request.chatId, outcome.messages, {
      requestRef: ref,
      dedupeKey: `${ref}:outcome`,
      purpose: 'notification',
    });
  }
  await transition(ctx, {
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
  });
  log.info({ type: request.type, status: outcome.status }, 'request finished');
  return outcome.status;
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
  ctx: AppContext,
  deps: HandlerDeps,
  options: RequestWorkerOptions = {},
): RunningWorker {
  const connection = workerConnection(ctx);
  const worker = new Worker<RequestJobData, ProcessResult>(
    REQUEST_QUEUE,
    async (job: Job<RequestJobData, ProcessResult>) =>
      processRequest(ctx, deps, job.data.ref, {
        finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
        ...(job.data.id ? { id: job.data.id } : {}),
      }),
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
  worker.on('error', (err) =>
    ctx.logger.warn({ err: { message: maskString(err.message) } }, 'request worker error'),
  );
  return {
    worker,
    async close() {
      await worker.close();
      await connection.quit().catch(() => undefined);
    },
  };
}
