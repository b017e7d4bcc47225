import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import type { RedisStore } from '../app/context.js';
import type { RequestSummary } from './api.js';

/**
 * A customer's request list, as the `status` reply shows it, kept in Redis so that a chat asking
 * again and again costs one Redis round trip instead of a MongoDB query each time (on FerretDB a
 * query by customer reads the whole collection).
 *
 * Correct by version, not by TTL: every change of a customer's requests (a new request, any
 * status change) bumps the customer's version, and a cached list counts only if it was read
 * under the current version. A reader that raced a change wrote its list under the old version,
 * so nobody uses it. The TTL only bounds how long an idle list stays in Redis.
 */

const TTL_SECONDS = 300;
/** A version outlives every list cached under it, so an expired version never matches an old list. */
const VERSION_TTL_SECONDS = TTL_SECONDS + 60;

const versionKey = (ctx: Pick<RedisStore, 'key'>, customerId: string) =>
  ctx.key('status', customerId, 'version');
const listKey = (ctx: Pick<RedisStore, 'key'>, customerId: string, limit: number) =>
  ctx.key('status', customerId, 'list', String(limit));

interface Cached {
  version: string;
  list: (Omit<RequestSummary, 'createdAt' | 'dueAt'> & { createdAt: string; dueAt: string })[];
}

/**
 * After any change to a customer's requests. A fresh random version, not a counter: a counter that
 * expired and started again could meet a list cached under its old value.
 */
export async function bumpStatusVersion(
  ctx: RedisStore,
  customerId: string | Types.ObjectId | null | undefined,
): Promise<void> {
  if (!customerId) return;
  const version = `${Date.now().toString(36)}.${randomBytes(4).toString('hex')}`;
  await ctx.redis.set(versionKey(ctx, String(customerId)), version, 'EX', VERSION_TTL_SECONDS);
}

export async function cachedStatusList(
  ctx: RedisStore,
  customerId: string,
  limit: number,
  load: () => Promise<RequestSummary[]>,
): Promise<RequestSummary[]> {
  const [version, raw] = await ctx.redis.mget(versionKey(ctx, customerId), listKey(ctx, customerId, limit));
  const current = version ?? 'none';
  if (raw) {
    const cached = JSON.parse(raw) as Cached;
    if (cached.version === current)
      return cached.list.map((s) => ({ ...s, createdAt: new Date(s.createdAt), dueAt: new Date(s.dueAt) }));
  }
  const list = await load();
  const value: Cached = {
    version: current,
    list: list.map((s) => ({ ...s, createdAt: s.createdAt.toISOString(), dueAt: s.dueAt.toISOString() })),
  };
  await ctx.redis.set(listKey(ctx, customerId, limit), JSON.stringify(value), 'EX', TTL_SECONDS);
  return list;
}
