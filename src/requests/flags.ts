import { flagReason } from '../catalogue/index.js';
import type { Config } from '../config/index.js';
import type { Customer, Models, RequestFlag, RequestType } from '../db/index.js';
import { unfinishedOrderFilter } from './order-obligations.js';

/**
 * Rules that send a request to staff (`pending_approval`) instead of the queue. One module, one
 * list: a tenant with other rules passes its own list to createRequestService. A flag is its code
 * and the number its reason states; the words are the catalogue's (src/catalogue/flags.ts), in
 * the reader's language, and the Indonesian sentence is stored beside them. Reasons hold no
 * personal data (they end up in the audit trail).
 */

/** What the default rules read: the daily request limit, the customer's orders and requests. */
export interface FlagDeps {
  config: { flags: Config['flags'] };
  models: Pick<Models, 'ServiceOrder' | 'PrivacyRequest'>;
}

export interface FlagInput {
  ctx: FlagDeps;
  type: RequestType;
  customer: Pick<Customer, '_id' | 'phone'> | null;
  changes?: Record<string, string>;
  now: Date;
  /**
   * The customer's orders that still bind the business, read once for every rule that asks
   * (evaluateFlags provides it; a rule called alone reads them itself).
   */
  obligations?: () => Promise<OrderObligations>;
}

/** How many of a customer's orders are still open, and how many unpaid (an order can be both). */
export interface OrderObligations {
  open: number;
  unpaid: number;
}

const isOpen = (o: { status?: string }) => o.status === 'scheduled' || o.status === 'in_progress';
const isUnpaid = (o: { status?: string; paymentStatus?: string }) =>
  o.paymentStatus === 'unpaid' && o.status !== 'cancelled';

/**
 * One query for both erase rules: the orders that are not finished (requests/order-obligations.ts),
 * counted in code. Finished orders, however many, are not returned.
 */
export async function loadObligations(
  ctx: { models: Pick<Models, 'ServiceOrder'> },
  customerId: unknown,
): Promise<OrderObligations> {
  const rows = await ctx.models.ServiceOrder.find(
    { customerId, ...unfinishedOrderFilter },
    { _id: 0, status: 1, paymentStatus: 1 },
  ).lean();
  return { open: rows.filter(isOpen).length, unpaid: rows.filter(isUnpaid).length };
}

const obligationsOf = (input: FlagInput) =>
  input.obligations ? input.obligations() : loadObligations(input.ctx, input.customer?._id);

/** A rule that applies: the number its reason states, if it states one; `reason` for a code the catalogue does not know. */
export interface FlagHit {
  n?: number;
  reason?: string;
}

export interface FlagRule {
  code: string;
  /** What the reason says, when the rule applies; undefined otherwise. */
  check(input: FlagInput): Promise<FlagHit | undefined>;
}

export const openOrderRule: FlagRule = {
  code: 'OPEN_ORDER',
  async check(input) {
    if (input.type !== 'erase' || !input.customer) return undefined;
    const n = (await obligationsOf(input)).open;
    return n > 0 ? { n } : undefined;
  },
};

export const unpaidOrderRule: FlagRule = {
  code: 'UNPAID_ORDER',
  async check(input) {
    if (input.type !== 'erase' || !input.customer) return undefined;
    const n = (await obligationsOf(input)).unpaid;
    return n > 0 ? { n } : undefined;
  },
};

export const phoneChangeRule: FlagRule = {
  code: 'PHONE_CHANGE',
  async check({ type, customer, changes }) {
    if (type !== 'update' || !changes?.phone || changes.phone === customer?.phone) return undefined;
    return {};
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
    return n >= max ? { n: max } : undefined;
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
  let obligations: Promise<OrderObligations> | undefined;
  const shared: FlagInput = {
    ...input,
    obligations:
      input.obligations ?? (() => (obligations ??= loadObligations(input.ctx, input.customer?._id))),
  };
  for (const rule of rules) {
    const hit = await rule.check(shared);
    if (!hit) continue;
    const flag = { code: rule.code, ...(hit.n === undefined ? {} : { n: hit.n }) };
    flags.push({ ...flag, reason: flagReason({ ...flag, reason: hit.reason ?? rule.code }, 'id') });
  }
  return flags;
}
