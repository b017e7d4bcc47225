import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Models, PromoProgress } from '../db/index.js';
import { withStorageRetry } from './storage.js';

/**
 * The `promos` document: who is sending (a lease renewed by a heartbeat), the progress the console
 * shows, and the counts recomputed from `promodeliveries` (the truth) at the end of each run.
 */

/** What the promo's own records are kept in: the promo document and its deliveries. */
export interface PromoStoreDeps {
  models: Pick<Models, 'Promo' | 'PromoDelivery'>;
}

export interface Lease {
  owner: string;
  host: string;
  pid: number;
  until: Date;
}

export function newLease(leaseMs: number, now = new Date()): Lease {
  return {
    // Short: every claim carries it.
    owner: randomBytes(6).toString('hex'),
    host: hostname(),
    pid: process.pid,
    until: new Date(now.getTime() + leaseMs),
  };
}

/** A sender on this machine whose process is gone holds nothing, whatever its lease says. */
export function holderIsDead(lease: Lease): boolean {
  if (lease.host !== hostname()) return false;
  try {
    process.kill(lease.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  // A killed process nobody reaped yet (a zombie) still answers signal 0.
  try {
    const stat = readFileSync(`/proc/${lease.pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

/**
 * Takes the promo for this process. Succeeds when no live sender holds it: no lease, an expired
 * one, a dead holder on this machine, or `force`.
 */
export async function takeLease(
  deps: PromoStoreDeps,
  promoId: string,
  lease: Lease,
  force: boolean,
): Promise<{ ok: true } | { ok: false; holder: Lease }> {
  const { Promo } = deps.models;
  const current = await Promo.findOne({ promoId }, { lease: 1 }).lean();
  const held = current?.lease ?? undefined;
  const free = !held || held.until.getTime() < Date.now() || holderIsDead(held) || force;
  if (!free && held) return { ok: false, holder: held };
  // Compare-and-set on the lease we saw: two resumes at once cannot both win.
  const updated = await Promo.updateOne(
    { promoId, ...(held ? { 'lease.owner': held.owner } : { lease: null }) },
    { $set: { lease, status: 'running' } },
  );
  if (updated.modifiedCount === 1) return { ok: true };
  const now = await Promo.findOne({ promoId }, { lease: 1 }).lean();
  return { ok: false, holder: now?.lease ?? lease };
}

/**
 * Every write this sender makes to its `promos` document while it sends, one at a time: FerretDB
 * 1.24 applies an update by reading the document and writing it whole, so two updates at once can
 * undo each other (a heartbeat could put back a batch just taken off the in-flight list, or drop
 * one just put on). Writes are conditional on the lease: once another sender holds it, they
 * change nothing.
 *
 * The in-flight list: a batch is listed BEFORE its claims are written (as `sent`), and a crash
 * leaves listed batches for the resume to close as INTERRUPTED (sender.ts, recoverInterrupted).
 * Listing waits for a write that started after it; batches listed meanwhile share that write.
 * Taking a batch off is written with the next write (a listing, or the heartbeat every second):
 * a crash in between closes a batch that was in fact sent, never the other way round.
 */
export class PromoWriter {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly inFlight = new Set<string>();
  private queued: Promise<boolean> | undefined;

  constructor(
    private readonly deps: PromoStoreDeps,
    private readonly promoId: string,
    private readonly owner: string,
  ) {}

  private write(update: () => Record<string, unknown>): Promise<boolean> {
    const run = this.chain.then(async () => {
      const result = await withStorageRetry(() =>
        this.deps.models.Promo.updateOne({ promoId: this.promoId, 'lease.owner': this.owner }, update()),
      );
      return result.matchedCount === 1;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Lists the batch as in flight; false when this sender no longer holds the lease. */
  mark(batch: string): Promise<boolean> {
    this.inFlight.add(batch);
    if (this.queued) return this.queued;
    const queued = this.write(() => {
      // Started: a batch listed from now on needs a write of its own.
      this.queued = undefined;
      return { $set: { inFlight: [...this.inFlight] } };
    });
    this.queued = queued;
    return queued;
  }

  /** The batch's outcomes are written: off the list with the next write. */
  settle(batch: string): void {
    this.inFlight.delete(batch);
  }

  /** Batches listed and not settled (their outcomes could not be written). */
  get unsettled(): string[] {
    return [...this.inFlight];
  }

  /** Renews the lease, writes the progress and the in-flight list; a no-op once the lease is gone. */
  async heartbeat(leaseMs: number, progress: Omit<PromoProgress, 'updatedAt'>): Promise<void> {
    await this.write(() => ({
      $set: {
        'lease.until': new Date(Date.now() + leaseMs),
        progress: { ...progress, updatedAt: new Date() },
        inFlight: [...this.inFlight],
      },
    }));
  }

  /** Waits for the writes queued so far. */
  async idle(): Promise<void> {
    await this.chain;
  }
}

export interface Tally {
  sent: number;
  skippedByReason: Record<string, number>;
  failedByCode: Record<string, number>;
  /** Failures that carry the platform's own code, by failure code then platform code. */
  failedByPlatformCode: Record<string, Record<string, number>>;
  pending: number;
  byChannel: Record<string, number>;
}

/** Counts of the deliveries written so far (aggregate $match/$group only: FerretDB has that). */
export async function tallyDeliveries(deps: PromoStoreDeps, promoId: string): Promise<Tally> {
  const rows = await deps.models.PromoDelivery.aggregate<{
    _id: {
      state: string;
      reason: string | null;
      code: string | null;
      platformCode: string | null;
      channel: string | null;
    };
    n: number;
  }>([
    { $match: { promoId } },
    {
      $group: {
        _id: {
          state: '$state',
          reason: '$reason',
          code: '$error.code',
          platformCode: '$error.platformCode',
          channel: '$channel',
        },
        n: { $sum: 1 },
      },
    },
  ]);
  const tally: Tally = {
    sent: 0,
    skippedByReason: {},
    failedByCode: {},
    failedByPlatformCode: {},
    pending: 0,
    byChannel: {},
  };
  for (const { _id, n } of rows) {
    if (_id.state === 'sent') {
      tally.sent += n;
      const channel = _id.channel ?? 'unknown';
      tally.byChannel[channel] = (tally.byChannel[channel] ?? 0) + n;
    } else if (_id.state === 'skipped') {
      const reason = _id.reason ?? 'unknown';
      tally.skippedByReason[reason] = (tally.skippedByReason[reason] ?? 0) + n;
    } else if (_id.state === 'failed') {
      const code = _id.code ?? 'UNKNOWN';
      tally.failedByCode[code] = (tally.failedByCode[code] ?? 0) + n;
      if (_id.platformCode) {
        const byPlatform = tally.failedByPlatformCode[code] ?? {};
        byPlatform[_id.platformCode] = (byPlatform[_id.platformCode] ?? 0) + n;
        tally.failedByPlatformCode[code] = byPlatform;
      }
    } else tally.pending += n;
  }
  return tally;
}

export const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
