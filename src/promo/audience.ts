import type { Types } from 'mongoose';
import type { Models } from '../db/index.js';
import { STANDING_FIELDS, type Standing } from './eligibility.js';
import type { Audience } from './file.js';

/**
 * Which customers a promo is about, before consent: the service-area and last-order filters.
 * Consent, erasure and the do-not-market list are applied on top (sender.ts, eligibility.ts).
 */
export type CustomerFilter = Record<string, unknown>;

/** What the audience is read from: customers and their orders. */
export interface AudienceDeps {
  models: Pick<Models, 'Customer' | 'ServiceOrder'>;
}

/** Areas as staff type them ("jakarta selatan") matched to the areas customers have. */
async function matchingAreas(deps: AudienceDeps, wanted: string[]): Promise<string[]> {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
  const want = new Set(wanted.map(norm));
  const known = (await deps.models.Customer.distinct('area')) as unknown[];
  return known.filter((a): a is string => typeof a === 'string' && want.has(norm(a)));
}

/** Customers whose latest non-cancelled order is within the window. */
async function lastOrderCustomers(deps: AudienceDeps, since?: Date, until?: Date): Promise<Types.ObjectId[]> {
  const rows = await deps.models.ServiceOrder.aggregate<{ _id: Types.ObjectId | null; last: Date | null }>([
    { $match: { status: { $ne: 'cancelled' } } },
    { $group: { _id: '$customerId', last: { $max: '$scheduledAt' } } },
  ]);
  return rows
    .filter((r) => r._id && r.last)
    .filter((r) => (!since || (r.last as Date) >= since) && (!until || (r.last as Date) < until))
    .map((r) => r._id as Types.ObjectId);
}

export async function audienceFilter(deps: AudienceDeps, audience: Audience): Promise<CustomerFilter> {
  const filter: CustomerFilter = {};
  if (audience.areas) filter.area = { $in: await matchingAreas(deps, audience.areas) };
  if (audience.lastOrderSince || audience.lastOrderUntil)
    filter._id = { $in: await lastOrderCustomers(deps, audience.lastOrderSince, audience.lastOrderUntil) };
  return filter;
}

/** Of the audience: consented and not erased. Everyone else is counted, never considered. */
export const consentedFilter = (base: CustomerFilter): CustomerFilter => ({
  ...base,
  erasedAt: null,
  'marketingConsent.granted': true,
});

/** Why a customer of the audience is never considered. */
export type ExclusionReason = 'erased' | 'no_consent';

export interface AudienceSnapshot {
  /** Customers the area / last-order filters match. */
  size: number;
  /** Of them, those never considered, by reason (`erased`, `no_consent`). */
  excluded: Record<string, number>;
  /**
   * The same customers by id, with their reason: a resume counts those no earlier run decided
   * (plan.ts, assignLanes), where the first run's counts miss whoever opted out since.
   */
  excludedIds: Map<string, ExclusionReason>;
  /** The rest, in a stable order (by id), with what the send-time check needs of them. */
  consented: Standing[];
}

/**
 * The audience, read once with one cursor when a run starts (the size, the exclusions and the
 * consented customers in one pass, where counting each apart read the collection each time).
 * What changes after is read at send time (opt-out-watch.ts: open it BEFORE this read).
 */
export async function readAudience(deps: AudienceDeps, base: CustomerFilter): Promise<AudienceSnapshot> {
  const snapshot: AudienceSnapshot = { size: 0, excluded: {}, excludedIds: new Map(), consented: [] };
  const cursor = deps.models.Customer.find(base, STANDING_FIELDS)
    .sort({ _id: 1 })
    .lean<Standing[]>()
    .cursor();
  for await (const customer of cursor as AsyncIterable<Standing>) {
    snapshot.size += 1;
    const out: ExclusionReason | null = customer.erasedAt
      ? 'erased'
      : customer.marketingConsent?.granted !== true
        ? 'no_consent'
        : null;
    if (out) {
      snapshot.excluded[out] = (snapshot.excluded[out] ?? 0) + 1;
      snapshot.excludedIds.set(String(customer._id), out);
    } else snapshot.consented.push(customer);
  }
  return snapshot;
}
