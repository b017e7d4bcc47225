import type { Types } from 'mongoose';
import type { AppContext } from '../app/context.js';
import { type AuditInput, recordAudit, recordAuditMany } from '../audit/record.js';
import type { PrivacyRequest, RequestStatus } from '../db/index.js';
import { RequestError } from './api.js';
import { withRequestLock } from './lock.js';
import { bumpStatusVersion } from './status-cache.js';

/**
 * The privacy-request lifecycle as one table. Every change of status goes through `transition`,
 * which refuses what the table does not allow, applies the change only if the request is still
 * in the expected state (under a per-request lock, so two racing actors cannot both win), appends to `history` and writes
 * the audit event. No transition repeats for a request (the table has no cycles), so
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
}

export async function transition(ctx: AppContext, t: TransitionInput): Promise<PrivacyRequest> {
  assertTransition(t.from, t.to);
  const at = t.at ?? new Date();
  // A closed request is touched by no one again, so a crash between the status and its audit
  // event would lose the event: the mark stays until the event is written (see `auditClosed`).
  const closing = isTerminal(t.to);
  const update: Record<string, unknown> = {
    $set: { status: t.to, ...t.set, ...(closing ? { auditPending: true } : {}) },
    $push: { history: { at, from: t.from, to: t.to, actor: t.actor, ...(t.note ? { note: t.note } : {}) } },
  };
  if (t.unset?.length) update.$unset = Object.fromEntries(t.unset.map((f) => [f, 1]));
  if (t.inc) update.$inc = t.inc;

  const { PrivacyRequest } = ctx.models;
  // Every status change holds this lock, so reading the status and then writing by _id is as
  // safe as one conditional update. It is also what FerretDB 1.24 serves fast: a filter of `_id`
  // alone uses its index, while any other filter reads the whole collection.
  const updated = await withRequestLock(ctx, t.ref, async () => {
    const current = await PrivacyRequest.findOne(t.id ? { _id: t.id } : { ref: t.ref }, {
      ref: 1,
      status: 1,
    }).lean();
    if (!current || current.ref !== t.ref) throw new RequestError('NOT_FOUND', `No request ${t.ref}.`);
    if (current.status !== t.from)
      throw new RequestError(
        'ILLEGAL_TRANSITION',
        `Request ${t.ref} is ${current.status}, so it cannot go from ${t.from} to ${t.to}.`,
      );
    return PrivacyRequest.findOneAndUpdate({ _id: current._id }, update, {
      new: true,
    }).lean<PrivacyRequest>();
  });
  if (!updated) throw new RequestError('NOT_FOUND', `No request ${t.ref}.`);
  // The customer's `status` list is cached by version (requests/status-cache.ts). The change is
  // made: a failed bump is reported, not thrown (the list is then stale for at most its TTL).
  await bumpStatusVersion(ctx, updated.customerId).catch((err: Error) =>
    ctx.logger.warn({ ref: t.ref, err: { message: err.message } }, 'status cache not bumped'),
  );
  await recordAudit(ctx, {
    ...historyAudit(updated, { at, from: t.from, to: t.to, actor: t.actor, note: t.note }),
    details: {
      type: updated.type,
      from: t.from,
      to: t.to,
      ...(t.note ? { note: t.note } : {}),
      ...t.details,
    },
  });
  if (closing)
    await ctx.models.PrivacyRequest.updateOne({ _id: updated._id }, { $unset: { auditPending: 1 } });
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
  ctx: AppContext,
  req: Pick<PrivacyRequest, 'ref' | 'type' | 'customerId' | 'history'>,
): Promise<void> {
  await recordAuditMany(
    ctx,
    req.history.map((h) => historyAudit(req, h)),
  );
}

/**
 * Closed requests whose last audit event may be missing (a process died between the status and
 * the event): their history is audited and the mark removed. Run by the reconciler.
 */
export async function auditClosed(ctx: AppContext, now = new Date()): Promise<number> {
  const { PrivacyRequest } = ctx.models;
  // Older than a transition takes: a live transition writes its own event and clears the mark.
  const settled = new Date(now.getTime() - 30_000);
  const pending = await PrivacyRequest.find(
    { auditPending: true, updatedAt: { $lt: settled } },
    { ref: 1, type: 1, customerId: 1, history: 1 },
  ).lean<PrivacyRequest[]>();
  for (const r of pending) {
    await ensureHistoryAudited(ctx, r);
    await PrivacyRequest.updateOne({ _id: r._id }, { $unset: { auditPending: 1 } });
  }
  return pending.length;
}
