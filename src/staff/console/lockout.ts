import { createHash, randomUUID } from 'node:crypto';
import type { AppContext } from '../../app/context.js';
import { takeFromWindows } from '../../identity/rate-limit.js';

/**
 * Login lockout: 5 wrong passwords for one username within 15 minutes lock it for 15 minutes.
 * Counted per username whether or not the account exists, so the lock reveals nothing about
 * which usernames are real. Kept in Redis with expiry; an admin can lift it early.
 */
export const MAX_FAILURES = 5;
export const LOCK_SECONDS = 15 * 60;
const WINDOW_SECONDS = 15 * 60;

// INCR and the lock in one step, so parallel guesses cannot slip past the fifth failure. The
// count is left to expire with its window (never reset here): guesses already past the lock
// check when it was set keep counting and keep it locked.
const FAIL_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
end
return n
`;

const failKey = (ctx: AppContext, username: string) => ctx.key('console', 'login-fail', username);
const lockKey = (ctx: AppContext, username: string) => ctx.key('console', 'login-lock', username);

/** Seconds until the username may try again; 0 when not locked. */
export async function lockedFor(ctx: AppContext, username: string): Promise<number> {
  const ttl = await ctx.redis.ttl(lockKey(ctx, username));
  return Math.max(ttl, 0);
}

/** Counts one failure; returns the count and whether this one locked the username. */
export async function recordFailure(
  ctx: AppContext,
  username: string,
): Promise<{ failures: number; locked: boolean }> {
  const n = Number(
    await ctx.redis.eval(
      FAIL_SCRIPT,
      2,
      failKey(ctx, username),
      lockKey(ctx, username),
      MAX_FAILURES,
      WINDOW_SECONDS,
      LOCK_SECONDS,
    ),
  );
  return { failures: n, locked: n >= MAX_FAILURES };
}

/** A good login, or an admin lifting the lock: the count starts again. */
export async function clearFailures(ctx: AppContext, username: string): Promise<void> {
  await ctx.redis.del(failKey(ctx, username), lockKey(ctx, username));
}

/** Sign-in attempts one address may make in 15 minutes: bounds the scrypt work a stranger can cause. */
export const ATTEMPTS_PER_ADDRESS = 60;

/** Takes one attempt for this client address; returns seconds to wait when over the limit, else 0. */
export async function takeAddressAttempt(ctx: AppContext, address: string): Promise<number> {
  const tag = createHash('sha256')
    .update(`${ctx.config.admin.secret}:${address}`)
    .digest('base64url')
    .slice(0, 22);
  const decision = await takeFromWindows(
    ctx.redis,
    [
      {
        key: ctx.key('console', 'login-ip', tag),
        limit: ATTEMPTS_PER_ADDRESS,
        windowMs: WINDOW_SECONDS * 1000,
      },
    ],
    Date.now(),
    randomUUID(),
  );
  if (decision.allowed) return 0;
  return Math.ceil(Math.max(...decision.blocked.map((b) => b.retryAfterMs), 1000) / 1000);
}
