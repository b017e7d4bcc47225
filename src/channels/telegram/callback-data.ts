import { createHash } from 'node:crypto';
import type { AppContext } from '../../app/context.js';

/** Telegram's limit on callback_data. */
export const MAX_CALLBACK_BYTES = 64;

/** Marks callback data that is a reference to a value kept in Redis. */
const REF_PREFIX = '~r:';

/** How long a mapped value is kept. A press after that reaches the engine as an unknown value: "menu expired". */
export const CALLBACK_REF_TTL_SECONDS = 7 * 24 * 3600;

type Store = Pick<AppContext, 'redis' | 'key'>;

const refKey = (store: Store, ref: string) => store.key('telegram', 'cb', ref);

function needsRef(value: string): boolean {
  const bytes = Buffer.byteLength(value, 'utf8');
  // Values that look like a reference are mapped too, so decoding is never ambiguous.
  return bytes === 0 || bytes > MAX_CALLBACK_BYTES || value.startsWith(REF_PREFIX);
}

/**
 * A button value as Telegram callback data: itself when it fits in 64 bytes, else a short
 * reference to the value stored in Redis. The reference is a hash of the value, so the same
 * menu sent many times keeps one key.
 */
export async function encodeCallbackData(store: Store, value: string): Promise<string> {
  if (!needsRef(value)) return value;
  const ref = createHash('sha256').update(value).digest('base64url').slice(0, 22);
  await store.redis.set(refKey(store, ref), value, 'EX', CALLBACK_REF_TTL_SECONDS);
  return `${REF_PREFIX}${ref}`;
}

/**
 * Callback data back to the button value. A reference whose value has expired is returned as
 * it is: no menu knows it, so the engine answers that the menu has expired.
 */
export async function decodeCallbackData(store: Store, data: string): Promise<string> {
  if (!data.startsWith(REF_PREFIX)) return data;
  return (await store.redis.get(refKey(store, data.slice(REF_PREFIX.length)))) ?? data;
}
