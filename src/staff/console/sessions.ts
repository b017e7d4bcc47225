import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { RedisStore } from '../../app/context.js';
import { STAFF_ROLES } from '../../db/index.js';

/**
 * Console sessions in Redis. The cookie carries a random id (signed with ADMIN_SECRET); Redis
 * holds only its SHA-256, so a copy of Redis gives no usable cookie. A session without a
 * username is the pre-login one that carries the login form's CSRF token. Each session has its
 * own CSRF token (synchronizer pattern), replaced at login.
 */

/** Idle timeout: each request pushes the expiry this far. */
export const IDLE_SECONDS = 2 * 3600;
/** Absolute limit: a session older than this ends even if used. */
export const MAX_AGE_SECONDS = 12 * 3600;
const ANONYMOUS_SECONDS = 30 * 60;

const sessionSchema = z.object({
  csrf: z.string().min(32),
  createdAt: z.number(),
  username: z.string().optional(),
  role: z.enum(STAFF_ROLES).optional(),
});
export type SessionData = z.infer<typeof sessionSchema>;

export interface ConsoleSession extends SessionData {
  /** The cookie's value (the session id), not stored anywhere. */
  id: string;
}

const storeKey = (store: RedisStore, id: string) =>
  store.key('console', 'session', createHash('sha256').update(id).digest('hex'));

const newToken = () => randomBytes(32).toString('base64url');

export async function createSession(
  store: RedisStore,
  staff?: { username: string; role: SessionData['role'] },
): Promise<ConsoleSession> {
  const id = newToken();
  const data: SessionData = {
    csrf: newToken(),
    createdAt: Date.now(),
    ...(staff ? { username: staff.username, role: staff.role } : {}),
  };
  await store.redis.set(
    storeKey(store, id),
    JSON.stringify(data),
    'EX',
    staff ? IDLE_SECONDS : ANONYMOUS_SECONDS,
  );
  return { id, ...data };
}

/** The live session for this id, its idle expiry pushed on; undefined when gone or too old. */
export async function loadSession(store: RedisStore, id: string): Promise<ConsoleSession | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
  const key = storeKey(store, id);
  const stored = await store.redis.get(key);
  if (!stored) return undefined;
  let parsed: SessionData;
  try {
    const result = sessionSchema.safeParse(JSON.parse(stored));
    if (!result.success) return undefined;
    parsed = result.data;
  } catch {
    return undefined;
  }
  if (Date.now() - parsed.createdAt > MAX_AGE_SECONDS * 1000) {
    await store.redis.del(key);
    return undefined;
  }
  if (parsed.username) await store.redis.expire(key, IDLE_SECONDS);
  return { id, ...parsed };
}

export async function destroySession(store: RedisStore, id: string): Promise<void> {
  await store.redis.del(storeKey(store, id));
}

/**
 * Ends every session signed in as `username` (its password was reset): the next request of each
 * goes to the login page. Redis holds sessions by the hash of their id only, so they are found by
 * a scan of the session keys (a few per staff member); returns how many were ended.
 */
export async function destroySessionsOf(store: RedisStore, username: string): Promise<number> {
  const prefix = store.key('console', 'session', '');
  const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let ended = 0;
  let cursor = '0';
  do {
    const [next, keys] = await store.redis.scan(cursor, 'MATCH', match, 'COUNT', 500);
    cursor = next;
    if (keys.length === 0) continue;
    const values = await store.redis.mget(...keys);
    const mine = keys.filter((_, i) => sessionUsername(values[i] ?? null) === username);
    if (mine.length > 0) ended += await store.redis.del(...mine);
  } while (cursor !== '0');
  return ended;
}

function sessionUsername(stored: string | null): string | undefined {
  if (!stored) return undefined;
  try {
    const result = sessionSchema.safeParse(JSON.parse(stored));
    return result.success ? result.data.username : undefined;
  } catch {
    return undefined;
  }
}

/** Constant-time check of a submitted CSRF token against the session's. */
export function csrfMatches(session: Pick<SessionData, 'csrf'> | undefined, given: unknown): boolean {
  if (!session || typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}
