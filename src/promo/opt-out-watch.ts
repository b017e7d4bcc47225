import type { Types } from 'mongoose';
import type { Models, RequestStatus } from '../db/index.js';
import type { SkipReason } from './eligibility.js';
import { withStorageRetry } from './storage.js';

/**
 * What can stop a promotion to a customer after its audience was resolved, read as changes since
 * then instead of customer by customer.
 *
 * When a run starts, the open requests are read (before the audience, see below) and the whole
 * do-not-market list once. Then, for every batch of sends, ONE read each of what was written since:
 * the requests created and the do-not-market entries added. Both are range reads on `createdAt`
 * (an index on MongoDB; on FerretDB 1.24 a scan of two small collections either way), with no
 * `$in`, `$or` or `$exists`. A customer named by a request since is read again in full before
 * the send; everyone else is decided from the audience snapshot.
 *
 * Why nothing is missed:
 * - Every change that stops marketing goes through a request (STOP, erasure, restriction) or
 *   adds a do-not-market entry (an unknown chat's STOP), and the STOP path writes its request to
 *   MongoDB before it answers. A request is open until its worker has applied it to the customer
 *   and closed it, in that order.
 * - The open requests are read BEFORE the audience. A request closed before that read changed the
 *   customer before it closed, so the audience read sees the change; an opt-out or a restriction
 *   still open is held here (its ask counts from the moment it was accepted).
 * - An erasure whose request is older than the run but applied during it first adds the number to
 *   the do-not-market list (dated when applied: the per-batch read finds it) and removes the
 *   customer's chat links, which are looked up at send time (recipients.ts).
 * - Anything written after those reads has a `createdAt` taken just before its write, on whatever
 *   host wrote it. The per-batch reads start MARGIN_MS before the snapshot, which covers a write in
 *   flight across the snapshot and clocks that disagree by less than that.
 * - Nothing is cached outside this process (no copy in Redis): an erasure has no other copy to
 *   reach, and a crash loses only this memory; the resume builds it again from MongoDB.
 */

/** A request not yet applied: what it asks holds already. */
export const OPEN_STATUSES: readonly RequestStatus[] = ['pending_approval', 'queued', 'processing'];

/** How far before the snapshot the per-batch reads look (a write in flight, clock skew). */
export const MARGIN_MS = 10 * 60_000;

export interface RequestFacts {
  customerId?: Types.ObjectId | null;
  type: string;
  status: string;
  changes?: { action?: unknown } | null;
}

/** The fields of a request the check needs; `changes.action` only (never the changed values). */
export const REQUEST_FACTS = { customerId: 1, type: 1, status: 1, 'changes.action': 1 } as const;

/** What an open request asks that stops a promo before it is applied. */
export function heldBy(request: RequestFacts): SkipReason | undefined {
  if (!OPEN_STATUSES.includes(request.status as RequestStatus)) return undefined;
  if (request.type === 'unsubscribe') return 'opt_out_pending';
  // A restriction holds from the moment it is accepted (UU PDP art. 11); a lift only once applied.
  if (request.type === 'restrict' && request.changes?.action === 'apply') return 'restricted';
  return undefined;
}

/** Per customer, the first reason an open request of theirs gives. */
export function heldByCustomer(requests: RequestFacts[]): Map<string, SkipReason> {
  const held = new Map<string, SkipReason>();
  for (const r of requests) {
    const reason = heldBy(r);
    if (reason && r.customerId && !held.has(String(r.customerId))) held.set(String(r.customerId), reason);
  }
  return held;
}

export interface Changes {
  /** Customers named by a request since the snapshot: read again before a send. */
  customers: Set<string>;
  /** Their requests since the snapshot, status as of this read. */
  held: Map<string, SkipReason>;
}

/** What the watch reads: the requests and the do-not-market list. */
export interface OptOutWatchDeps {
  models: Pick<Models, 'PrivacyRequest' | 'Suppression'>;
}

export class OptOutWatch {
  private constructor(
    private readonly deps: OptOutWatchDeps,
    /** Per-batch reads look from here on (the snapshot's start less MARGIN_MS). */
    readonly since: Date,
    /** Held by requests open when the run started. */
    readonly heldAtStart: ReadonlyMap<string, SkipReason>,
    /** The do-not-market list: whole at the start, then what each batch's read adds. */
    readonly suppressed: Set<string>,
  ) {}

  /** Call BEFORE the audience is read (see the comment at the top). */
  static async open(deps: OptOutWatchDeps, now = new Date()): Promise<OptOutWatch> {
    const { PrivacyRequest, Suppression } = deps.models;
    const since = new Date(now.getTime() - MARGIN_MS);
    // One equality read per open status (the `status` index on MongoDB), once per run.
    const [open, list] = await Promise.all([
      Promise.all(
        OPEN_STATUSES.map((status) =>
          withStorageRetry(() => PrivacyRequest.find({ status }, REQUEST_FACTS).lean<RequestFacts[]>()),
        ),
      ),
      // The whole list, once: keyed hashes only.
      withStorageRetry(() => Suppression.find({}, { _id: 0, hash: 1 }).lean()),
    ]);
    return new OptOutWatch(deps, since, heldByCustomer(open.flat()), new Set(list.map((s) => s.hash)));
  }

  /** One read each of the requests and the do-not-market entries written since the snapshot. */
  async changes(): Promise<Changes> {
    const { PrivacyRequest, Suppression } = this.deps.models;
    const range = { createdAt: { $gte: this.since } };
    const [requests, entries] = await Promise.all([
      withStorageRetry(() => PrivacyRequest.find(range, REQUEST_FACTS).lean<RequestFacts[]>()),
      withStorageRetry(() => Suppression.find(range, { _id: 0, hash: 1 }).lean()),
    ]);
    for (const e of entries) this.suppressed.add(e.hash);
    return {
      customers: new Set(requests.flatMap((r) => (r.customerId ? [String(r.customerId)] : []))),
      held: heldByCustomer(requests),
    };
  }
}
