import { createHash, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { RedisStore } from '../../app/context.js';
import type { Config } from '../../config/index.js';
import { takeFromWindows } from '../../identity/rate-limit.js';

/**
 * Login lockout, built so that a stranger cannot lock a staff member out:
 *
 * - **Per account and client address**: 5 wrong passwords for one username from one address
 *   within 15 minutes lock that pair for 15 minutes. Someone guessing from elsewhere locks only
 *   themselves; the owner signs in from their own address as usual.
 * - **Account-wide backoff**, for guessing spread over many addresses: past
 *   `ACCOUNT_FREE_FAILURES` failures in 15 minutes every further failure makes the whole account
 *   wait, 30 s doubling up to 15 minutes. The free allowance is more than one address can reach
 *   (at most 4 + 5 failures around its own 15-minute window, then 15 minutes locked), so one
 *   stranger never triggers it. Addresses that signed in to the account before are exempt: the
 *   owner is not slowed down by a crowd of strangers.
 *
 * Counted per username whether or not the account exists, so a lock reveals nothing about which
 * usernames are real. Addresses are kept only as keyed hashes (IPv6 by its /64, which one
 * subscriber holds whole). Kept in Redis with expiry; an admin can lift every lock early.
 */
/** The counters and locks live in Redis; address tags are keyed with the admin secret. */
export interface LockoutDeps extends RedisStore {
  config: { admin: Pick<Config['admin'], 'secret'> };
}

export const MAX_FAILURES = 5;
export const LOCK_SECONDS = 15 * 60;
const WINDOW_SECONDS = 15 * 60;
export const ACCOUNT_FREE_FAILURES = 10;
const ACCOUNT_WINDOW_SECONDS = 15 * 60;
export const BACKOFF_FIRST_SECONDS = 30;
const BACKOFF_MAX_SECONDS = LOCK_SECONDS;
const KNOWN_ADDRESS_SECONDS = 30 * 24 * 3600;

/** The address a limit counts: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 by its /64. */
export function clientAddressKey(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped?.[1]) return mapped[1];
  if (isIP(bare) !== 6) return bare;
  const [head = '', tail] = bare.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':') : []).flatMap(ipv4AsGroups);
  const front = groups(head);
  const back = groups(tail);
  const zeros = tail === undefined ? [] : Array(8 - front.length - back.length).fill('0');
  const all = [...front, ...zeros, ...back].map((g) => Number.parseInt(g, 16).toString(16));
  return `${all.slice(0, 4).join(':')}::/64`;
}

/** `1.2.3.4` at the end of an IPv6 address is its last two groups. */
function ipv4AsGroups(part: string): string[] {
  if (!part.includes('.')) return [part];
  const [a = 0, b = 0, c = 0, d = 0] = part.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

/** A keyed hash of the address, so Redis never holds a client's address. */
export function addressTag(deps: LockoutDeps, address: string): string {
  return createHash('sha256')
    .update(`${deps.config.admin.secret}:${clientAddressKey(address)}`)
    .digest('base64url')
    .slice(0, 22);
}

const keys = (deps: LockoutDeps, username: string, tag = '') => ({
  pairFail: deps.key('console', 'login-fail', username, tag),
  pairLock: deps.key('console', 'login-lock', username, tag),
  /** Tags of the addresses with failures on this account, so an unlock and the staff page find them. */
  addresses: deps.key('console', 'login-addrs', username),
  accountFail: deps.key('console', 'login-account-fail', username),
  backoff: deps.key('console', 'login-backoff', username),
  known: deps.key('console', 'login-known', username),
});

// Both counts and both locks in one step, so parallel guesses cannot slip past a limit. Counts
// are left to expire with their window (never reset here): guesses already past the lock check
// when it was set keep counting and keep it locked.
const FAIL_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[2]) + tonumber(ARGV[3]))
local locked = 0
if n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
  locked = 1
end
local m = redis.call('INCR', KEYS[4])
if m == 1 then redis.call('EXPIRE', KEYS[4], ARGV[6]) end
local backoff = 0
local over = m - tonumber(ARGV[5])
if over > 0 then
  backoff = math.floor(math.min(tonumber(ARGV[7]) * 2 ^ math.min(over - 1, 20), tonumber(ARGV[8])))
  redis.call('SET', KEYS[5], '1', 'EX', backoff)
end
return {n, locked, m, backoff}
`;

export interface LockState {
  /** Seconds until this address may try this username again; 0 when it may now. */
  seconds: number;
  /** What holds it: this address's own failures, or the account-wide backoff. */
  scope: 'address' | 'account' | null;
}

/** Whether `address` may try `username` now. */
export async function lockedFor(deps: LockoutDeps, username: string, address: string): Promise<LockState> {
  const tag = addressTag(deps, address);
  const k = keys(deps, username, tag);
  const [pair, backoff, known] = (await deps.redis
    .multi()
    .ttl(k.pairLock)
    .ttl(k.backoff)
    .sismember(k.known, tag)
    .exec()) as [Error | null, number][];
  const pairSeconds = Math.max(pair?.[1] ?? 0, 0);
  const accountSeconds = known?.[1] === 1 ? 0 : Math.max(backoff?.[1] ?? 0, 0);
  if (pairSeconds === 0 && accountSeconds === 0) return { seconds: 0, scope: null };
  return pairSeconds >= accountSeconds
    ? { seconds: pairSeconds, scope: 'address' }
    : { seconds: accountSeconds, scope: 'account' };
}

/** What the staff page shows of an account's locks. */
export interface AccountLockView {
  /** Seconds until the account-wide backoff ends: the account's own lock (0: not locked). */
  accountSeconds: number;
  /**
   * Addresses locked out of the account by their own failures, and seconds until the last of
   * them may try again. Told apart from the account's lock: the owner signs in from elsewhere.
   */
  lockedAddresses: number;
  addressSeconds: number;
}

/** For the staff page: the account's own lock, and apart from it the addresses locked out of it. */
export async function accountLockedFor(deps: LockoutDeps, username: string): Promise<AccountLockView> {
  const k = keys(deps, username);
  const [backoff, tags] = await Promise.all([deps.redis.ttl(k.backoff), deps.redis.smembers(k.addresses)]);
  const pairTtls = tags.length
    ? await Promise.all(tags.map((tag) => deps.redis.ttl(keys(deps, username, tag).pairLock)))
    : [];
  const locked = pairTtls.filter((ttl) => ttl > 0);
  return {
    accountSeconds: Math.max(backoff, 0),
    lockedAddresses: locked.length,
    addressSeconds: Math.max(0, ...locked),
  };
}

export interface FailureCount {
  /** Failures of this username from this address in the window. */
  failures: number;
  /** Whether this one locked the address out of the username. */
  locked: boolean;
  /** Failures of this username from every address in the window. */
  accountFailures: number;
  /** The account-wide wait this failure set (0: under the free allowance). */
  backoffSeconds: number;
}

/** Counts one failure of `username` from `address`. */
export async function recordFailure(
  deps: LockoutDeps,
  username: string,
  address: string,
): Promise<FailureCount> {
  const tag = addressTag(deps, address);
  const k = keys(deps, username, tag);
  const [n, locked, m, backoff] = (await deps.redis.eval(
    FAIL_SCRIPT,
    5,
    k.pairFail,
    k.pairLock,
    k.addresses,
    k.accountFail,
    k.backoff,
    MAX_FAILURES,
    WINDOW_SECONDS,
    LOCK_SECONDS,
    tag,
    ACCOUNT_FREE_FAILURES,
    ACCOUNT_WINDOW_SECONDS,
    BACKOFF_FIRST_SECONDS,
    BACKOFF_MAX_SECONDS,
  )) as number[];
  return {
    failures: Number(n),
    locked: Number(locked) === 1,
    accountFailures: Number(m),
    backoffSeconds: Number(backoff),
  };
}

/** A good login: this address starts again, and is known to the account from now on. */
export async function recordSuccess(deps: LockoutDeps, username: string, address: string): Promise<void> {
  const tag = addressTag(deps, address);
  const k = keys(deps, username, tag);
  await deps.redis
    .multi()
    .del(k.pairFail, k.pairLock)
    .srem(k.addresses, tag)
    .sadd(k.known, tag)
    .expire(k.known, KNOWN_ADDRESS_SECONDS)
    .exec();
}

/** An admin lifting the lock (or the demo resetting its admin): every address starts again. */
export async function clearFailures(deps: LockoutDeps, username: string): Promise<void> {
  const k = keys(deps, username);
  const tags = await deps.redis.smembers(k.addresses);
  const pairKeys = tags.flatMap((tag) => {
    const p = keys(deps, username, tag);
    return [p.pairFail, p.pairLock];
  });
  await deps.redis.del(...pairKeys, k.addresses, k.accountFail, k.backoff);
}

/** Sign-in attempts one address may make in 15 minutes: bounds the scrypt work a stranger can cause. */
export const ATTEMPTS_PER_ADDRESS = 60;

/** Takes one attempt for this client address; returns seconds to wait when over the limit, else 0. */
export async function takeAddressAttempt(deps: LockoutDeps, address: string): Promise<number> {
  const decision = await takeFromWindows(
    deps.redis,
    [
      {
        key: deps.key('console', 'login-ip', addressTag(deps, address)),
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
