import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { RedisStore } from '../app/context.js';
import { redisScript } from '../queues/redis-script.js';
import { type ChatHashSecret, chatHash } from './dead-letter.js';

/**
 * Crypto-shredding of queued messages. A message waiting in Redis (text, buttons, a document,
 * and the chat id itself: on WhatsApp that is the phone number) is sealed with AES-256-GCM
 * under a random key of its chat, kept beside it in Redis at `outbound-key:<chat hash>`.
 * Erasure deletes the key: every copy of that chat's messages becomes unreadable at once,
 * wherever it sits (waiting, delayed, failed, in an RDB or AOF file written since), without
 * having to find it first. A key is made on the chat's first message and lives a week after its
 * latest one, far longer than any message waits (the worker dead-letters within minutes).
 *
 * Why a key per chat and not per request: the outbox knows chats, not customers, and erasure
 * knows the customer's chats (links, the phone index, the WhatsApp chat of the phone), so the
 * chat is the one unit both sides share. Why not build documents at send time: the texts carry
 * personal data too (a confirmation quotes the new email), and sealing covers every kind alike.
 */

const KEY_TTL_SECONDS = 7 * 24 * 3600;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Redis for the chats' keys, and the secret a chat's hash (the key's name) is keyed with. */
export type SealStore = RedisStore & ChatHashSecret;

const keyName = (ctx: Pick<RedisStore, 'key'>, hash: string) => ctx.key('outbound-key', hash);

// Get the chat's key and renew its lifetime, or store the new one: one round trip, atomic, so two
// producers of one chat never seal with different keys.
const KEY_SCRIPT = redisScript(`local v = redis.call('GET', KEYS[1])
if v then redis.call('EXPIRE', KEYS[1], ARGV[2]) return v end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ARGV[1]`);

/** The chat's sealing key, made when missing, its lifetime renewed. */
export async function sealingKey(ctx: SealStore, channel: string, chatId: string): Promise<Buffer> {
  const value = await KEY_SCRIPT.run(
    ctx.redis,
    [keyName(ctx, chatHash(ctx, channel, chatId))],
    [randomBytes(32).toString('base64'), KEY_TTL_SECONDS],
  );
  return Buffer.from(String(value), 'base64');
}

/** The key a sealed message of this chat needs, or undefined once erasure destroyed it. */
export async function openingKey(ctx: RedisStore, hash: string): Promise<Buffer | undefined> {
  const value = await ctx.redis.get(keyName(ctx, hash));
  return value ? Buffer.from(value, 'base64') : undefined;
}

/** Erasure: the chat's queued messages can no longer be read by anyone. Returns whether a key existed. */
export async function destroySealingKey(ctx: SealStore, channel: string, chatId: string): Promise<boolean> {
  return (await ctx.redis.del(keyName(ctx, chatHash(ctx, channel, chatId)))) > 0;
}

/**
 * `iv | tag | ciphertext` in base64. `context` (channel and chat hash) is bound as
 * associated data, so a sealed payload moved to another chat's job does not open.
 */
export function seal(key: Buffer, value: unknown, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

/** The sealed value, or undefined when the key is not the one it was sealed with (or it was altered). */
export function unseal(key: Buffer, sealed: string, context: string): unknown {
  const raw = Buffer.from(sealed, 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const body = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
