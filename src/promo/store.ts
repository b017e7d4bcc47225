import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { AppContext } from '../app/context.js';
import type { PromoProgress } from '../db/index.js';

/**
 * The `promos` document: who is sending (a lease renewed by a heartbeat), the progress the console
 * shows, and the counts recomputed from `promodeliveries` (the truth) at the end of each run.
 */

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
  ctx: AppContext,
  promoId: string,
  lease: Lease,
  force: boolean,
): Promise<{ ok: true } | { ok: false; holder: Lease }> {
  const { Promo } = ctx.models;
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

/** Renews this sender's lease and writes its progress; a no-op once the lease is gone. */
export async function heartbeat(
  ctx: AppContext,
  promoId: string,
  owner: string,
  leaseMs: number,
  progress: Omit<PromoProgress, 'updatedAt'>,
): Promise<void> {
  await ctx.models.Promo.updateOne(
    { promoId, 'lease.owner': owner },
    {
      $set: {
        'lease.until': new Date(Date.now() + leaseMs),
        progress: { ...progress, updatedAt: new Date() },
      },
    },
  );
}

export interface Tally {
  sent: number;
  skippedByReason: Record<string, number>;
  failedByCode: Record<string, number>;
  pending: number;
  byChannel: Record<string, number>;
}

/** Counts of the deliveries written so far (aggregate $match/$group only: FerretDB has that). */
export async function tallyDeliveries(ctx: AppContext, promoId: string): Promise<Tally> {
  const rows = await ctx.models.PromoDelivery.aggregate<{
    _id: { state: string; reason: string | null; code: string | null; channel: string | null };
    n: number;
  }>([
    { $match: { promoId } },
    {
      $group: {
        _id: { state: '$state', reason: '$reason', code: '$error.code', channel: '$channel' },
        n: { $sum: 1 },
      },
    },
  ]);
  const tally: Tally = { sent: 0, skippedByReason: {}, failedByCode: {}, pending: 0, byChannel: {} };
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
    } else tally.pending += n;
  }
  return tally;
}

export const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
