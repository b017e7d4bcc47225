import type { Types } from 'mongoose';
import type { AppContext, RedisStore } from '../app/context.js';
import {
  type AuditDeps,
  type AuditDoc,
  type AuditInput,
  auditDoc,
  insertAuditDocs,
  recordAudit,
  recordAuditMany,
} from '../audit/record.js';
import { type Models, type PrivacyRequest, type RequestStatus, serverShape } from '../db/index.js';
import { countFinished } from '../metrics/requests.js';
import { RequestError } from './api.js';
import { withRequestLock } from './lock.js';
import { bumpStatusVersion } from './status-cache.js';

/**
 * The privacy-request lifecycle as one table. Every change of status goes through `transition`,
 * which refuses what the table does not allow, applies the change only if the request is still
 * in the expected state (under a per-request lock, so two racing actors cannot both win: one
 * conditional write on MongoDB, a read and a write by `_id` on FerretDB), appends to `history` and writes the audit event, or leaves the events to the
 * request worker's one insert at close (`deferAudit`). No transition repeats for a request (the
 * table has no cycles), so
 * `<ref>:<from>><to>` identifies an audit event for good.
 */
export const TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  pending_approval: ['queued', 'rejected', 'cancelled'],
  queued: ['processing', 'cancelled', 'failed'],
  processing: ['completed', 'failed'],
  completed: [],
  rejected: [],
  failed: [],
  cancelled: [],
};

/** States a request can still leave: they count against the SLA and the reconciler watches them. */
export const OPEN_STATUSES: readonly RequestStatus[] = ['pending_approval', 'queued', 'processing'];

/**
 * Fields a request no longer needs once it is closed, whatever the outcome: an update's new values
 * live on the customer when applied and nowhere when not (data minimisation, UU PDP art. 16).
 */
export function closingUnset(type: PrivacyRequest['type']): string[] {
  return type === 'update' ? ['changes'] : [];
}

export function isTerminal(status: RequestStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: RequestStatus, to: RequestStatus): void {
  if (!canTransition(from, to))
    throw new RequestError('ILLEGAL_TRANSITION', `A request cannot go from ${from} to ${to}.`);
}

export interface TransitionInput {
  ref: string;
  /** The request's _id when the caller has it: found without a scan on FerretDB. */
  id?: Types.ObjectId | string;
  from: RequestStatus;
  to: RequestStatus;
  actor: string;
  note?: string;
  at?: Date;
  /** Further fields written in the same atomic update (decision, result, …). */
  set?: Record<string, unknown>;
  unset?: string[];
  inc?: Record<string, number>;
  /** Extra audit details (masked). */
  details?: Record<string, unknown>;
  /**
   * The caller writes the audit events itself, in one batch once the request is closed
   * (`auditClosing`): the request worker does, to spare a round trip per step. Status events
   * are derivable from `history` meanwhile; a closing write sets the `auditPending` mark and
   * keeps `events` (the handler's own, not derivable) on the request, so that the reconciler
   * (`auditClosed`) writes them all if the process dies before `auditClosing`.
   */
  deferAudit?: { events?: AuditInput[] };
}

/** What a request's audit events are written with: the request's collection and the audit log's. */
export interface RequestAuditDeps {
  models: Pick<Models, 'PrivacyRequest' | 'AuditEvent'>;
}

/**
 * What a change of status reads besides: the server's shape (MongoDB or FerretDB), the request lock
 * and the status cache in Redis, the logger for a cache not bumped, and the finished-request metrics.
 */
export interface TransitionDeps
  extends RequestAuditDeps,
    RedisStore,
    Pick<AppContext, 'mongo' | 'logger' | 'metrics'> {}

export async function transition(ctx: TransitionDeps, t: TransitionInput): Promise<PrivacyRequest> {
  assertTransition(t.from, t.to);
  const at = t.at ?? new Date();
  // A closed request is touched by no one again, so a crash between the status and its audit
  // events would lose them: the mark stays until they are written (see `auditClosed`).
  const closing = isTerminal(t.to);
  const pendingEvents =
    closing && t.deferAudit?.events?.length ? t.deferAudit.events.map(auditDoc) : undefined;
  const update: Record<string, unknown> = {
    $set: {
      status: t.to,
      ...t.set,
      ...(closing ? { auditPending: true } : {}),
      ...(pendingEvents ? { pendingAudit: pendingEvents } : {}),
    },
    $push: { history: { at, from: t.from, to: t.to, actor: t.actor, ...(t.note ? { note: t.note } : {}) } },
  };
  if (t.unset?.length) update.$unset = Object.fromEntries(t.unset.map((f) => [f, 1]));
  if (t.inc) update.$inc = t.inc;

  const { PrivacyRequest } = ctx.models;
  const { idOnlyLookups } = await serverShape(ctx.mongo);
  const byKey = t.id ? { _id: t.id } : { ref: t.ref };
  const refuse = (current: { ref: string; status: RequestStatus } | null): never => {
    if (!current || current.ref !== t.ref) throw new RequestError('NOT_FOUND', `No request ${t.ref}.`);
    throw new RequestError(
      'ILLEGAL_TRANSITION',
      `Request ${t.ref} is ${current.status}, so it cannot go from ${t.from} to ${t.to}.`,
    );
  };
  // Every status change holds this lock, so a check and a write are as safe as MongoDB's atomic
  // conditional update, even on FerretDB 1.24, which runs findAndModify as a read then a write.
  const updated = await withRequestLock(ctx, t.ref, async () => {
    if (idOnlyLookups) {
      // FerretDB: only `{_id}` alone is cheap (db/server-shape.ts), so read, check, write by it.
      const current = await PrivacyRequest.findOne(byKey, { ref: 1, status: 1 }).lean();
      if (!current || current.ref !== t.ref || current.status !== t.from) return refuse(current);
      const written = await PrivacyRequest.findOneAndUpdate({ _id: current._id }, update, {
        new: true,
      }).lean<PrivacyRequest>();
      return written ?? refuse(null);
    }
    // MongoDB: one round trip, the status checked by the filter; only a refusal reads again.
    const where = t.id ? { _id: t.id, ref: t.ref } : { ref: t.ref };
    const changed = await PrivacyRequest.findOneAndUpdate({ ...where, status: t.from }, update, {
      new: true,
    }).lean<PrivacyRequest>();
    return changed ?? refuse(await PrivacyRequest.findOne(byKey, { ref: 1, status: 1 }).lean());
  });
  if (closing) countFinished(ctx.metrics, updated, t.to, at);
  // The customer's `status` list is cached by version (requests/status-cache.ts). The change is
  // made: a failed bump is reported, not thrown (the list is then stale for at most its TTL).
  await bumpStatusVersion(ctx, updated.customerId).catch((err: Error) =>
    ctx.logger.warn({ ref: t.ref, err: { message: err.message } }, 'status cache not bumped'),
  );
  if (t.deferAudit) return updated;
  const event: AuditInput = {
    ...historyAudit(updated, { at, from: t.from, to: t.to, actor: t.actor, note: t.note }),
    details: {
      type: updated.type,
      from: t.from,
      to: t.to,
      ...(t.note ? { note: t.note } : {}),
      ...t.details,
    },
  };
  if (!closing) {
    // Earlier steps whose events a crash lost are written by whoever closes the request.
    await recordAudit(ctx, event);
    return updated;
  }
  // Closing: every step's event (a worker's claim may have left its event to the close), once.
  await recordAuditMany(ctx, [...updated.history.slice(0, -1).map((h) => historyAudit(updated, h)), event]);
  await PrivacyRequest.updateOne({ _id: updated._id }, { $unset: { auditPending: 1, pendingAudit: 1 } });
  return updated;
}

type HistoryLike = { at: Date; from: RequestStatus | null; to: RequestStatus; actor: string; note?: string };

function historyAudit(req: Pick<PrivacyRequest, 'ref' | 'type' | 'customerId'>, h: HistoryLike): AuditInput {
  return {
    actor: h.actor,
    action: h.from === null ? 'request.created' : 'request.status',
    ref: req.ref,
    customerId: req.customerId ?? null,
    at: h.at,
    idempotencyKey: `${req.ref}:${h.from ?? ''}>${h.to}`,
    details: { type: req.type, from: h.from, to: h.to, ...(h.note ? { note: h.note } : {}) },
  };
}

/**
 * A process can die between a status update and its audit write. Whoever touches the request
 * next calls this: every history entry gets its event, those already written are skipped.
 */
export async function ensureHistoryAudited(
  ctx: AuditDeps,
  req: Pick<PrivacyRequest, 'ref' | 'type' | 'customerId' | 'history'>,
): Promise<void> {
  await recordAuditMany(
    ctx,
    req.history.map((h) => historyAudit(req, h)),
  );
}

/**
 * The events of a request closed with `deferAudit`, in one insert and in the order they
 * happened: every step of its history (the creation included), with the handler's own events
 * (`events`) before the closing step; those already written (a re-run) are skipped by their
 * keys. Then the closing write's mark goes.
 */
export async function auditClosing(
  ctx: RequestAuditDeps,
  req: Pick<PrivacyRequest, '_id' | 'ref' | 'type' | 'customerId' | 'history'>,
  events: AuditInput[] = [],
): Promise<void> {
  const steps = req.history.map((h) => historyAudit(req, h));
  await recordAuditMany(ctx, [...steps.slice(0, -1), ...events, ...steps.slice(-1)]);
  await ctx.models.PrivacyRequest.updateOne(
    { _id: req._id },
    { $unset: { auditPending: 1, pendingAudit: 1 } },
  );
}

/** A closed request still marked `auditPending`, as `auditClosed` reads it. */
export type PendingClose = Pick<
  PrivacyRequest,
  | '_id'
  | 'ref'
  | 'type'
  | 'customerId'
  | 'history'
  | 'pendingAudit'
  | 'status'
  | 'channel'
  | 'chatId'
  | 'locale'
>;

/**
 * Closed requests whose audit events may be missing: a process died between a closing status
 * and its events. Every step's event and the kept ones (`pendingAudit`) are written in one
 * insert (those present are skipped), then the marks go in one update. Run by the reconciler;
 * `limit` bounds one pass, the next takes the rest. `beforeClear` finishes what else the
 * closer left undone (the reconciler's notice of its give-up) before the marks go: if it throws,
 * nothing is cleared and the next pass tries again.
 */
export async function auditClosed(
  ctx: RequestAuditDeps,
  now = new Date(),
  options: { limit?: number; beforeClear?: (pending: PendingClose[]) => Promise<void> } = {},
): Promise<number> {
  // Older than a close takes: a live transition writes its own events and clears the mark.
  const settled = new Date(now.getTime() - 30_000);
  const pending = await ctx.models.PrivacyRequest.find(
    { auditPending: true, updatedAt: { $lt: settled } },
    PENDING_AUDIT_FIELDS,
  )
    .limit(options.limit ?? 500)
    .lean<PendingClose[]>();
  if (pending.length > 0) await options.beforeClear?.(pending);
  await writePendingAudit(ctx, pending);
  return pending.length;
}

/** What `auditClosed` reads of a marked request: its events, and where its customer is told. */
const PENDING_AUDIT_FIELDS = {
  ref: 1,
  type: 1,
  customerId: 1,
  history: 1,
  pendingAudit: 1,
  status: 1,
  channel: 1,
  chatId: 1,
  locale: 1,
} as const;

/**
 * Writes the audit events of closed requests still marked `auditPending` (every step's event and
 * the kept ones, those present skipped) in one insert, then clears the marks in one update. Used
 * by the reconciler's pass and by a retried job that finds its request closed but its events not
 * yet in (the close's insert failed: MongoDB went away between the two writes).
 */
export async function writePendingAudit(
  ctx: RequestAuditDeps,
  pending: Pick<PrivacyRequest, '_id' | 'ref' | 'type' | 'customerId' | 'history' | 'pendingAudit'>[],
): Promise<void> {
  if (pending.length === 0) return;
  // A closed request changes no more, so its marks can go once its events are in.
  await insertAuditDocs(
    ctx,
    pending.flatMap((r) => {
      const steps = r.history.map((h) => auditDoc(historyAudit(r, h)));
      return [...steps.slice(0, -1), ...((r.pendingAudit ?? []) as AuditDoc[]), ...steps.slice(-1)];
    }),
  );
  await ctx.models.PrivacyRequest.updateMany(
    { _id: { $in: pending.map((r) => r._id) } },
    { $unset: { auditPending: 1, pendingAudit: 1 } },
  );
}
