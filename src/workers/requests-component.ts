import type { Component } from '../app/component.js';
import type { AppContext } from '../app/context.js';
import { createOutbox, type Outbox } from '../outbound/index.js';
import { maskString } from '../privacy/index.js';
import { createRequestQueue, type RequestQueue, type StaffNotifier } from '../requests/index.js';
import { outboxStaffNotifier } from '../staff/outbox-notifier.js';
import type { BuildAccessPackage } from './outcome.js';
import { reconcileRequests } from './reconciler.js';
import { type RequestWorkerOptions, type RunningWorker, startRequestWorker } from './request-worker.js';
import { type SlaSchedule, startSlaSchedule } from './sla.js';

export interface RequestWorkersOptions extends RequestWorkerOptions {
  outbox?: Outbox;
  staff?: StaffNotifier;
  now?: () => Date;
  buildAccessPackage?: BuildAccessPackage;
  checkpoint?: (ref: string, step: string) => Promise<void>;
  reconcileEveryMs?: number;
  slaEveryMs?: number;
  /** Job retry policy of re-queued requests (see requests/queue.ts). */
  attempts?: number;
  backoffMs?: number;
}

/**
 * The real package builder, with the request's language and ref printed on the documents.
 * Loaded on first use: the PDF library is heavy and most worker processes start without needing it.
 */
const accessPackageFor: BuildAccessPackage = async (ctx, customerId, options) => {
  const { buildAccessPackage } = await import('./access/package.js');
  return buildAccessPackage(ctx, customerId, options);
};

/**
 * The worker role's privacy-request part: the request worker, the SLA schedule and the
 * reconciler (at start, then every few minutes). Outbound sending is a separate component.
 */
export function createRequestWorkers(ctx: AppContext, options: RequestWorkersOptions = {}): Component {
  const ownOutbox = options.outbox ? undefined : createOutbox(ctx);
  const outbox = options.outbox ?? (ownOutbox as Outbox);
  const staff = options.staff ?? outboxStaffNotifier(ctx, outbox);
  const now = options.now ?? (() => new Date());
  const log = ctx.logger.child({ component: 'request-workers' });

  let queue: RequestQueue | undefined;
  let worker: RunningWorker | undefined;
  let sla: SlaSchedule | undefined;
  let timer: NodeJS.Timeout | undefined;
  let reconciling: Promise<void> | undefined;

  const reconcile = async () => {
    if (!queue || !sla) return;
    try {
      await reconcileRequests(ctx, queue, { outbox, now });
      // A flushed Redis loses the repeatable SLA job too.
      await sla.ensure();
    } catch (err) {
      log.warn({ err: { message: maskString((err as Error).message) } }, 'reconcile failed; will retry');
    }
  };

  return {
    name: 'request-workers',
    async start() {
      queue = createRequestQueue(ctx, { attempts: options.attempts, backoffMs: options.backoffMs });
      worker = startRequestWorker(
        ctx,
        {
          outbox,
          staff,
          now,
          buildAccessPackage: options.buildAccessPackage ?? accessPackageFor,
          ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
        },
        options,
      );
      sla = startSlaSchedule(ctx, { staff, now }, options.slaEveryMs ? { everyMs: options.slaEveryMs } : {});
      // The first repair pass runs beside the worker, not before it says it has started: it reads
      // every open request and their jobs, which with a thousand open on a busy FerretDB took
      // longer than two minutes (worker-kill's replicas never said READY) while jobs waited for
      // nothing. stop() waits for it like any other pass.
      const pass = () => {
        reconciling ??= reconcile().finally(() => {
          reconciling = undefined;
        });
      };
      pass();
      timer = setInterval(pass, options.reconcileEveryMs ?? 3 * 60_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await reconciling;
      await worker?.close();
      await sla?.close();
      await queue?.close();
      await ownOutbox?.close();
    },
  };
}

/** Registered in src/app/roles.ts under `worker`. */
export const createRequestWorkersComponent = (ctx: AppContext): Component => createRequestWorkers(ctx);
