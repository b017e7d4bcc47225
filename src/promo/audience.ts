import type { Types } from 'mongoose';
import type { AppContext } from '../app/context.js';
import type { Audience } from './file.js';

/**
 * Which customers a promo is about, before consent: the service-area and last-order filters.
 * Consent, erasure and the do-not-market list are applied on top (sender.ts, eligibility.ts).
 */
export type CustomerFilter = Record<string, unknown>;

/** Areas as staff type them ("jakarta selatan") matched to the areas customers have. */
async function matchingAreas(ctx: AppContext, wanted: string[]): Promise<string[]> {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
  const want = new Set(wanted.map(norm));
  const known = (await ctx.models.Customer.distinct('area')) as unknown[];
  return known.filter((a): a is string => typeof a === 'string' && want.has(norm(a)));
}

/** Customers whose latest non-cancelled order is within the window. */
async function lastOrderCustomers(ctx: AppContext, since?: Date, until?: Date): Promise<Types.ObjectId[]> {
  const rows = await ctx.models.ServiceOrder.aggregate<{ _id: Types.ObjectId | null; last: Date | null }>([
    { $match: { status: { $ne: 'cancelled' } } },
    { $group: { _id: '$customerId', last: { $max: '$scheduledAt' } } },
  ]);
  return rows
    .filter((r) => r._id && r.last)
    .filter((r) => (!since || (r.last as Date) >= since) && (!until || (r.last as Date) < until))
    .map((r) => r._id as Types.ObjectId);
}

export async function audienceFilter(ctx: AppContext, audience: Audience): Promise<CustomerFilter> {
  const filter: CustomerFilter = {};
  if (audience.areas) filter.area = { $in: await matchingAreas(ctx, audience.areas) };
  if (audience.lastOrderSince || audience.lastOrderUntil)
    filter._id = { $in: await lastOrderCustomers(ctx, audience.lastOrderSince, audience.lastOrderUntil) };
  return filter;
}

/** Of the audience: consented and not erased. Everyone else is counted, never considered. */
export const consentedFilter = (base: CustomerFilter): CustomerFilter => ({
  ...base,
  erasedAt: null,
  'marketingConsent.granted': true,
});

export async function countExcluded(ctx: AppContext, base: CustomerFilter): Promise<Record<string, number>> {
  const { Customer } = ctx.models;
  const [erased, noConsent] = await Promise.all([
    Customer.countDocuments({ ...base, erasedAt: { $ne: null } }),
    Customer.countDocuments({ ...base, erasedAt: null, 'marketingConsent.granted': { $ne: true } }),
  ]);
  return { ...(noConsent ? { no_consent: noConsent } : {}), ...(erased ? { erased } : {}) };
}
