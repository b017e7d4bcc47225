import type { Types } from 'mongoose';
import type { Models, RequestStatus } from '../db/index.js';
import type { SkipReason } from './eligibility.js';
import { withStorageRetry } from './storage.js';

/**
 * What can stop a promotion to a customer after its audience was resolved, read as changes since
 * then instead of customer by customer.
 *
 * When a run starts, the open requests are read (before the audience, see below) and the whole
 * do-not-market list once. Then, for every batch of sends, ONE read each of what was written since
 * the previous batch's read (less an overlap, below): the requests created and the do-not-market
 * entries added. Both are range reads on `createdAt`
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
 *   host wrote it. The first per-batch read starts MARGIN_MS before the snapshot, which covers a
 *   write in flight across the snapshot and clocks that disagree by less than that. Each later read
 *   starts OVERLAP_MS (the same margin) before the previous one was sent (not where the previous
 *   range ended): a record dated before that read but committed after it (its writer's clock
 *   behind, its insert waiting on the server or retried, MongoDB/FerretDB committing out of
 *   `createdAt` order) is found by the next one, with the same tolerance as the first read's. A
 *   shorter overlap would hold only the first batch to it: a STOP from a host whose clock is two
 *   minutes behind, said mid-run, would be missed. Re-reading the overlap is harmless: the results
 *   are keyed by customer and by hash. So a batch reads what arrived in the last OVERLAP_MS and the
 *   time since the previous batch, not everything since the run started.
 * - What a read found is kept for the rest of the run, since a later read no longer sees it: the
 *   customers named (read again before each of their sends) and what their requests held when
 *   read (a STOP read while queued still holds after it left the window, though its worker may
 *   not have applied it yet). Like the holds read at the start, such a hold is not let go during
 *   the run (a lift or a refusal after it counts from the next run).
 * - Nothing is cached outside this process (no copy in Redis): an erasure has no other copy to
 *   reach, and a crash loses only this memory; the resume builds it again from MongoDB.
 */

/** A request not yet applied: what it asks holds already. */
export const OPEN_STATUSES: readonly RequestStatus[] = ['pending_approval', 'queued', 'processing'];

/** How far before the snapshot the first per-batch read looks (a write in flight, clock skew). */
export const MARGIN_MS = 10 * 60_000;

/**
 * How far before the previous per-batch read each later one looks again: longer than a record can
 * take from its `createdAt` to its commit, i.e. the writer's clock behind ours plus a write waiting
 * for the server (the driver's 10 s server selection, src/db/connection.ts; a worker's date may
 * precede two such writes) and FerretDB's busy retries (about a second). The first read's margin:
 * the clock skew it allows must hold for every batch, not the first only.
 */
export const OVERLAP_MS = MARGIN_MS;

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
  customers: ReadonlySet<string>;
  /** What their requests held when read (kept for the run: see the comment at the top). */
  held: ReadonlyMap<string, SkipReason>;
}

/** What the watch reads: the requests and the do-not-market list. */
export interface OptOutWatchDeps {
  models: Pick<Models, 'PrivacyRequest' | 'Suppression'>;
}

export class OptOutWatch {
  /** Customers named by a request any per-batch read found. */
  private readonly named = new Set<string>();
  /** What those requests held when read. */
  private readonly held = new Map<string, SkipReason>();

  private constructor(
    private readonly deps: OptOutWatchDeps,
    private readonly clock: () => Date,
    /** Where the next per-batch read starts: the snapshot less MARGIN_MS, then moving forward. */
    private from: Date,
    /** Held by requests open when the run started. */
    readonly heldAtStart: ReadonlyMap<string, SkipReason>,
    /** The do-not-market list: whole at the start, then what each batch's read adds. */
    readonly suppressed: Set<string>,
  ) {}

  /** Call BEFORE the audience is read (see the comment at the top). */
  static async open(deps: OptOutWatchDeps, clock: () => Date = () => new Date()): Promise<OptOutWatch> {
    const { PrivacyRequest, Suppression } = deps.models;
    const since = new Date(clock().getTime() - MARGIN_MS);
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
    return new OptOutWatch(deps, clock, since, heldByCustomer(open.flat()), new Set(list.map((s) => s.hash)));
  }

  /** Where the next per-batch read starts. */
  get since(): Date {
    return this.from;
  }

  /**
   * One read each of the requests and the do-not-market entries written since the previous read
   * (less OVERLAP_MS); what it finds joins what earlier reads found.
   */
  async changes(): Promise<Changes> {
    const { PrivacyRequest, Suppression } = this.deps.models;
    // Taken before the reads are sent: whatever they miss was committed after this moment.
    const sentAt = this.clock().getTime();
    const range = { createdAt: { $gte: this.from } };
    const [requests, entries] = await Promise.all([
      withStorageRetry(() => PrivacyRequest.find(range, REQUEST_FACTS).lean<RequestFacts[]>()),
      withStorageRetry(() => Suppression.find(range, { _id: 0, hash: 1 }).lean()),
    ]);
    for (const e of entries) this.suppressed.add(e.hash);
    for (const r of requests) if (r.customerId) this.named.add(String(r.customerId));
    for (const [id, reason] of heldByCustomer(requests)) if (!this.held.has(id)) this.held.set(id, reason);
    // Only once both reads are done, and only forward: a lane's workers read at once, and a read
    // sent earlier that returns later must not move it back.
    this.from = new Date(Math.max(this.from.getTime(), sentAt - OVERLAP_MS));
    return { customers: this.named, held: this.held };
  }
}
