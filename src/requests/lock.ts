import { randomBytes } from 'node:crypto';
import type { AppContext } from '../app/context.js';

type LockDeps = Pick<AppContext, 'redis' | 'key'>;
interface LockOptions {
  ttlMs?: number;
  waitMs?: number;
}

/**
 * Short mutexes in Redis. MongoDB's updates and findOneAndUpdate are atomic, but FerretDB 1.24 runs
 * them as a read of the whole document then a write of the whole document, so two racing updates
 * of one document can both "win", and the later write undoes the earlier one's fields.
 * - Per request: every status change takes it around its read-check-write.
 * - Per customer: every write to a customer document takes it, so one customer's requests run by
 *   different jobs at once (an update's new email, an unsubscribe's consent) cannot undo each
 *   other (seen: workers-queue, 1 run in 12, the email change lost). Ids only in the key.
 */

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class RequestBusyError extends Error {
  readonly code = 'REQUEST_BUSY';
  constructor(ref: string) {
    super(`Request ${ref} is being changed by someone else; try again.`);
    this.name = 'RequestBusyError';
  }
}

export function withRequestLock<T>(
  ctx: LockDeps,
  ref: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  return withLock(ctx, ['request', ref], fn, () => new RequestBusyError(ref), options);
}

/** Around every write to one customer's document (see above). */
export function withCustomerLock<T>(
  ctx: LockDeps,
  customerId: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  return withLock(ctx, ['customer', customerId], fn, () => new CustomerBusyError(), options);
}

export class CustomerBusyError extends Error {
  readonly code = 'CUSTOMER_BUSY';
  constructor() {
    super('The customer is being changed by another request; try again.');
    this.name = 'CustomerBusyError';
  }
}

async function withLock<T>(
  ctx: LockDeps,
  scope: [string, string],
  fn: () => Promise<T>,
  busy: () => Error,
  options: LockOptions,
): Promise<T> {
  const key = ctx.key('lock', ...scope);
  const token = randomBytes(8).toString('hex');
  const ttlMs = options.ttlMs ?? 15_000;
  const deadline = Date.now() + (options.waitMs ?? 5_000);
  while ((await ctx.redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw busy();
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 30));
  }
  try {
    return await fn();
  } finally {
    await ctx.redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}
