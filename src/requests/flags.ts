import type { AppContext } from '../app/context.js';
import type { Customer, RequestType } from '../db/index.js';
import type { RequestFlag } from '../db/models/privacy-request.js';
import { openOrderFilter, unpaidOrderFilter } from './order-obligations.js';

/**
 * Rules that send a request to staff (`pending_approval`) instead of the queue. One module, one
 * list: a tenant with other rules passes its own list to createRequestService. Reasons are
 * written for staff and hold no personal data (they end up in the audit trail).
 */

export interface FlagInput {
  ctx: AppContext;
  type: RequestType;
  customer: Pick<Customer, '_id' | 'phone'> | null;
  changes?: Record<string, string>;
  now: Date;
}

export interface FlagRule {
  code: string;
  /** The reason, when the rule applies; undefined otherwise. */
  check(input: FlagInput): Promise<string | undefined>;
}

export const openOrderRule: FlagRule = {
  code: 'OPEN_ORDER',
  async check({ ctx, type, customer }) {
    if (type !== 'erase' || !customer) return undefined;
    const n = await ctx.models.ServiceOrder.countDocuments({ customerId: customer._id, ...openOrderFilter });
    return n > 0 ? `${n} pesanan masih terjadwal atau sedang dikerjakan` : undefined;
  },
};

export const unpaidOrderRule: FlagRule = {
  code: 'UNPAID_ORDER',
  async check({ ctx, type, customer }) {
    if (type !== 'erase' || !customer) return undefined;
    const n = await ctx.models.ServiceOrder.countDocuments({
      customerId: customer._id,
      ...unpaidOrderFilter,
    });
    return n > 0 ? `${n} pesanan belum dibayar` : undefined;
  },
};

export const phoneChangeRule: FlagRule = {
  code: 'PHONE_CHANGE',
  async check({ type, customer, changes }) {
    if (type !== 'update' || !changes?.phone || changes.phone === customer?.phone) return undefined;
    return 'perubahan nomor telepon perlu persetujuan staf';
  },
};

/** Consent changes are never held back: withdrawing consent must take effect at once. */
const RATE_LIMITED_TYPES: readonly RequestType[] = ['access', 'update', 'erase'];

export const tooManyRequestsRule: FlagRule = {
  code: 'TOO_MANY_REQUESTS',
  async check({ ctx, type, customer, now }) {
    if (!customer || !RATE_LIMITED_TYPES.includes(type)) return undefined;
    const max = ctx.config.flags.maxRequestsPerDay;
    const since = new Date(now.getTime() - 24 * 3600_000);
    const n = await ctx.models.PrivacyRequest.countDocuments({
      customerId: customer._id,
      createdAt: { $gte: since },
    });
    return n >= max ? `lebih dari ${max} permintaan dalam 24 jam` : undefined;
  },
};

export const defaultFlagRules: readonly FlagRule[] = [
  openOrderRule,
  unpaidOrderRule,
  phoneChangeRule,
  tooManyRequestsRule,
];

export async function evaluateFlags(
  input: FlagInput,
  rules: readonly FlagRule[] = defaultFlagRules,
): Promise<RequestFlag[]> {
  const flags: RequestFlag[] = [];
  for (const rule of rules) {
    const reason = await rule.check(input);
    if (reason) flags.push({ code: rule.code, reason });
  }
  return flags;
}
