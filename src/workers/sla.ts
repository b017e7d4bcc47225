import { Queue, Worker } from 'bullmq';
import type { RedisStore } from '../app/context.js';
import { recordAudit } from '../audit/record.js';
import type { Models, PrivacyRequest } from '../db/index.js';
import type { Logger } from '../logging/logger.js';
import { rateLimitedWarn } from '../logging/rate-limited.js';
import { type QueueStore, queueOptions, sharedConnectionQueue, workerConnection } from '../queues/options.js';
import {
  claimReminders,
  createRequestReadModel,
  type RequestReadModel,
  restoreReminders,
  type StaffNotifier,
  withRequestLock,
} from '../requests/index.js';

/**
 * Deadlines (UU PDP: access and update within 3×24 h). A repeatable job looks at every open
 * request: staff are reminded 48 h and 24 h before `dueAt` and once when it has passed. Each
 * reminder is recorded in `reminders` by an atomic update before it is sent, so two schedulers
 * (or a re-run) never remind twice.
 */
export const SLA_QUEUE = 'sla';
export const SLA_SCHEDULER_ID = 'sla-check';
export type Reminder = '48h' | '24h' | 'overdue';

const HOUR = 3600_000;
/** In the order they fall due. */
const REMINDERS: { which: Reminder; before: number }[] = [
  { which: '48h', before: 48 * HOUR },
  { which: '24h', before: 24 * HOUR },
  { which: 'overdue', before: 0 },
];

/**
 * The reminders due at `now` that were not sent. A reminder point that lies before the request
 * was created is skipped (a 24-hour request gets no "48 hours left"); after downtime only the most
 * urgent of several due ones is sent, the others are marked as passed.
 */
export function dueReminders(
  r: Pick<PrivacyRequest, 'createdAt' | 'dueAt' | 'reminders'>,
  now: Date,
): { send?: Reminder; mark: Reminder[] } {
  const due = REMINDERS.filter(({ which, before }) => {
    const point = r.dueAt.getTime() - before;
    const relevant = which === 'overdue' || r.createdAt.getTime() < point;
    return relevant && now.getTime() >= point && !r.reminders.includes(which);
  }).map((x) => x.which);
  return { send: due.at(-1), mark: due };
}

/**
 * What the SLA check is handed: the requests it reads and marks, the audit log, Redis and its
 * keys (the request lock), a logger. The schedule adds the queue's prefix.
 */
export interface SlaContext extends RedisStore {
  models: Pick<Models, 'PrivacyRequest' | 'AuditEvent'>;
  logger: Logger;
}

/** What the schedule is handed: the SLA check's context and where its queue lives. */
export type SlaScheduleContext = SlaContext & QueueStore;

export interface SlaDeps {
  staff?: StaffNotifier;
  now?: () => Date;
  /** What it reads of requests; by default the read model over this context's MongoDB. */
  requests?: RequestReadModel;
}

export async function runSlaCheck(
  ctx: SlaContext,
  deps: SlaDeps,
): Promise<{ ref: string; which: Reminder }[]> {
  const now = deps.now?.() ?? new Date();
  const log = ctx.logger.child({ component: 'sla' });
  const candidates = await (deps.requests ?? createRequestReadModel(ctx.models)).dueBefore(
    new Date(now.getTime() + 48 * HOUR),
  );

  const sent: { ref: string; which: Reminder }[] = [];
  for (const r of candidates) {
    const { send, mark } = dueReminders(r, now);
    if (!send) continue;
    const claimed = await withRequestLock(ctx, r.ref, () => claimReminders(ctx.models, r._id, send, mark));
    if (!claimed) continue;
    try {
      await deps.staff?.slaReminder(r.ref, send);
    } catch (err) {
      // Not told: take the marks back so the next run tries again.
      await withRequestLock(ctx, r.ref, () => restoreReminders(ctx.models, r._id, r.reminders));
      throw err;
    }
    await recordAudit(ctx, {
      actor: 'system:sla',
      action: send === 'overdue' ? 'request.overdue' : 'request.sla_reminder',
      ref: r.ref,
      customerId: r.customerId ?? null,
      idempotencyKey: `${r.ref}:sla:${send}`,
      details: { type: r.type, which: send, dueAt: r.dueAt },
      at: now,
    });
    log.info({ ref: r.ref, which: send }, 'SLA reminder sent');
    sent.push({ ref: r.ref, which: send });
  }
  return sent;
}

export interface SlaSchedule {
  queue: Queue;
  /** Re-creates the repeatable job (after a Redis flush the reconciler calls this). */
  ensure(): Promise<void>;
  close(): Promise<void>;
}

export function startSlaSchedule(
  ctx: SlaScheduleContext,
  deps: SlaDeps,
  options: { everyMs?: number } = {},
): SlaSchedule {
  const everyMs = options.everyMs ?? 5 * 60_000;
  const queue = sharedConnectionQueue(
    new Queue(SLA_QUEUE, {
      ...queueOptions(ctx),
      defaultJobOptions: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    }),
  );
  const connection = workerConnection(ctx);
  const worker = new Worker(SLA_QUEUE, async () => (await runSlaCheck(ctx, deps)).length, {
    connection,
    prefix: ctx.config.redisPrefix,
    concurrency: 1,
  });
  const warn = rateLimitedWarn(ctx.logger, 'sla worker error');
  worker.on('error', (err) => warn({ err: { message: err.message } }));
  return {
    queue,
    async ensure() {
      await queue.upsertJobScheduler(SLA_SCHEDULER_ID, { every: everyMs }, { name: SLA_SCHEDULER_ID });
    },
    async close() {
      await worker.close();
      await queue.close();
      await connection.quit().catch(() => undefined);
    },
  };
}
