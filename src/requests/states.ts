import type { AppContext } from '../app/context.js';
import { type AuditInput, recordAudit, recordAuditMany } from '../audit/record.js';
import type { PrivacyRequest, RequestStatus } from '../db/index.js';
import { RequestError } from './api.js';
import { withRequestLock } from './lock.js';

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
  const update: Record<string, unknown> = {
    $set: { status: t.to, ...t.set },
    $push: { history: { at, from: t.from, to: t.to, actor: t.actor, ...(t.note ? { note: t.note } : {}) } },
  };
  if (t.unset?.length) update.$unset = Object.fromEntries(t.unset.map((f) => [f, 1]));
  if (t.inc) update.$inc = t.inc;

  const updated = await withRequestLock(ctx, t.ref, () =>
    ctx.models.PrivacyRequest.findOneAndUpdate({ ref: t.ref, status: t.from }, update, {
      new: true,
    }).lean<PrivacyRequest>(),
  );
  if (!updated) {
    const current = await ctx.models.PrivacyRequest.findOne({ ref: t.ref }, { status: 1 }).lean();
    if (!current) throw new RequestError('NOT_FOUND', `No request ${t.ref}.`);
    throw new RequestError(
      'ILLEGAL_TRANSITION',
      `Request ${t.ref} is ${current.status}, so it cannot go from ${t.from} to ${t.to}.`,
    );
  }
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
