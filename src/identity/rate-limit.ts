import type { Redis } from 'ioredis';

/** At most `limit` events per sliding `windowMs`, counted in a Redis sorted set at `key`. */
export interface WindowLimit {
  key: string;
  limit: number;
  windowMs: number;
}

export type WindowDecision =
  | { allowed: true }
  /** Which limits (by index) refused, and when each frees a slot. */
  | { allowed: false; blocked: { index: number; retryAfterMs: number }[] };

// Checks every window, and only if all have room records the event in all of them: one script,
// so two requests racing cannot both take the last slot. The clock is the caller's (tests use a
// fake one); keys expire after their window in real time, as garbage collection only.
const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local member = ARGV[2]
local blocked = {}
for i = 1, #KEYS do
  local limit = tonumber(ARGV[1 + i * 2])
  local window = tonumber(ARGV[2 + i * 2])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= limit then
    -- the entry whose expiry leaves room for one more
    local entry = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
    table.insert(blocked, i - 1)
    table.insert(blocked, tonumber(entry[2]) + window - now)
  end
end
if #blocked > 0 then return blocked end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, member)
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 + i * 2]))
end
return blocked
`;

/**
 * Takes one slot from every window, or none: the atomic rate-limit step of OTP sends (resend
 * cooldown = a window of 1; codes per phone; codes per chat).
 */
export async function takeFromWindows(
  redis: Redis,
  limits: WindowLimit[],
  nowMs: number,
  eventId: string,
): Promise<WindowDecision> {
  const args: (string | number)[] = [Math.floor(nowMs), eventId];
  for (const l of limits) args.push(l.limit, l.windowMs);
  const reply = (await redis.eval(
    TAKE_SCRIPT,
    limits.length,
    ...limits.map((l) => l.key),
    ...args,
  )) as number[];
  if (reply.length === 0) return { allowed: true };
  const blocked: { index: number; retryAfterMs: number }[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    blocked.push({ index: Number(reply[i]), retryAfterMs: Math.max(1, Number(reply[i + 1])) });
  }
  return { allowed: false, blocked };
}
