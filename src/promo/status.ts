import type { Models, Promo, PromoProgress } from '../db/index.js';

/** What the promo list reads: the `promos` collection. */
export interface PromoListDeps {
  models: Pick<Models, 'Promo'>;
}

/** A promo as the staff console lists it. */
export interface PromoSummary {
  promoId: string;
  status: Promo['status'];
  /** Running, but its sender stopped renewing the lease: it crashed; resume it. */
  stalled: boolean;
  channels: string[];
  rates: Record<string, number>;
  progress: PromoProgress;
  skippedByReason: Record<string, number>;
  failedByCode: Record<string, number>;
  runs: number;
  createdAt: Date;
  finishedAt?: Date | null;
}

export function summarize(promo: Promo, now = new Date()): PromoSummary {
  return {
    promoId: promo.promoId,
    status: promo.status,
    stalled: promo.status === 'running' && (!promo.lease || promo.lease.until.getTime() < now.getTime()),
    channels: promo.channels,
    rates: promo.rates ?? {},
    progress: promo.progress,
    skippedByReason: promo.skippedByReason ?? {},
    failedByCode: promo.failedByCode ?? {},
    runs: promo.runs.length,
    createdAt: promo.createdAt,
    finishedAt: promo.finishedAt ?? null,
  };
}

/** The latest promos, newest first (the console's list; progress refreshes about every second). */
export async function listPromos(deps: PromoListDeps, limit = 20): Promise<PromoSummary[]> {
  const rows = await deps.models.Promo.find({}, { message: 0, audience: 0, fileHash: 0 })
    .sort({ createdAt: -1 })
    .limit(Math.min(Math.max(1, limit), 100))
    .lean<Promo[]>();
  return rows.map((p) => summarize(p));
}
