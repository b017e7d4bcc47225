import { randomBytes } from 'node:crypto';
import type { AppContext } from '../app/context.js';

/**
 * A short per-request mutex in Redis. MongoDB's findOneAndUpdate is atomic, but FerretDB 1.24
 * runs it as a read then a write, so two racing "if still queued, set processing" updates can both
 * win there. Every status change takes this lock around its read-check-write.
 */

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class RequestBusyError extends Error {
  readonly code = 'REQUEST_BUSY';
  constructor(ref: string) {
    super(`Request ${ref} is being changed by someone else; try again.`);
    this.name = 'RequestBusyError';
  }
}

export async function withRequestLock<T>(
  ctx: AppContext,
  ref: string,
  fn: () => Promise<T>,
  options: { ttlMs?: number; waitMs?: number } = {},
): Promise<T> {
  const key = ctx.key('lock', 'request', ref);
  const token = randomBytes(8).toString('hex');
  const ttlMs = options.ttlMs ?? 15_000;
  const deadline = Date.now() + (options.waitMs ?? 5_000);
  while ((await ctx.redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw new RequestBusyError(ref);
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 30));
  }
  try {
    return await fn();
  } finally {
    await ctx.redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}
