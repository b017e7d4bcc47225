import type { RedisStore } from '../app/context.js';
import type { Config } from '../config/index.js';
import { keyedHash } from './keyed-hash.js';

/**
 * Which customer a verified chat belongs to, in Redis with a TTL
 * (VERIFIED_LINK_TTL_SECONDS). A reverse set per customer lets erasure purge every link.
 *
 * Keys: `link:<channel>:<chatId>` → customerId; `customer-chats:<customerId>` → set of
 * `<channel>\n<chatId>`; conversation sessions live at `session:<channel>:<chatId>`.
 * `phone-chats:<keyed hash of the phone>` → set of `<channel>\n<chatId>`: the chats that asked
 * for a code to that phone, verified or not, so erasure finds a session half-way through
 * verification that still holds the number.
 */
/** Redis, and the settings links are kept by: how long links and sessions last, the phone-hash secret. */
export interface LinkStore extends RedisStore {
  config: {
    otp: Pick<Config['otp'], 'secret'>;
    conversation: Pick<Config['conversation'], 'verifiedLinkTtlSeconds' | 'sessionTtlSeconds'>;
  };
}
type Keys = Pick<RedisStore, 'key'>;

export const linkKey = (store: Keys, channel: string, chatId: string) => store.key('link', channel, chatId);
export const sessionKey = (store: Keys, channel: string, chatId: string) =>
  store.key('session', channel, chatId);
const chatsKey = (store: Keys, customerId: string) => store.key('customer-chats', customerId);
const phoneChatsKey = (store: Keys & Pick<LinkStore, 'config'>, e164: string) =>
  store.key('phone-chats', keyedHash(store.config.otp.secret, 'phone-chats', e164).slice(0, 32));

const member = (channel: string, chatId: string) => `${channel}\n${chatId}`;
const parseMembers = (members: string[]) =>
  members.map((m) => {
    const [channel = '', chatId = ''] = m.split('\n');
    return { channel, chatId };
  });

export async function linkChat(
  store: LinkStore,
  channel: string,
  chatId: string,
  customerId: string,
): Promise<void> {
  const ttl = store.config.conversation.verifiedLinkTtlSeconds;
  await store.redis
    .multi()
    .set(linkKey(store, channel, chatId), customerId, 'EX', ttl)
    .sadd(chatsKey(store, customerId), member(channel, chatId))
    .expire(chatsKey(store, customerId), ttl)
    .exec();
}

export async function linkedCustomer(
  store: LinkStore,
  channel: string,
  chatId: string,
): Promise<string | undefined> {
  return (await store.redis.get(linkKey(store, channel, chatId))) ?? undefined;
}

export async function unlinkChat(store: LinkStore, channel: string, chatId: string): Promise<void> {
  const customerId = await linkedCustomer(store, channel, chatId);
  const tx = store.redis.multi().del(linkKey(store, channel, chatId));
  if (customerId) tx.srem(chatsKey(store, customerId), member(channel, chatId));
  await tx.exec();
}

/** The chats linked to a customer (for notifications and erasure). */
export async function chatsOfCustomer(
  store: LinkStore,
  customerId: string,
): Promise<{ channel: string; chatId: string }[]> {
  return parseMembers(await store.redis.smembers(chatsKey(store, customerId)));
}

/**
 * A chat is about to hold `e164` in its session (a code is asked for it). Remembered for as long
 * as a verified link lasts, which outlives any idle session that could still hold the number.
 */
export async function notePhoneInChat(
  store: LinkStore,
  e164: string,
  channel: string,
  chatId: string,
): Promise<void> {
  const key = phoneChatsKey(store, e164);
  await store.redis
    .multi()
    .sadd(key, member(channel, chatId))
    .expire(
      key,
      Math.max(store.config.conversation.verifiedLinkTtlSeconds, store.config.conversation.sessionTtlSeconds),
    )
    .exec();
}

/** Chats that asked for a code to `e164` lately (any of them may still hold it in a session). */
export async function chatsHoldingPhone(
  store: LinkStore,
  e164: string,
): Promise<{ channel: string; chatId: string }[]> {
  return parseMembers(await store.redis.smembers(phoneChatsKey(store, e164)));
}

/** Erasure: forget which chats asked for this phone. */
export async function forgetPhoneChats(store: LinkStore, e164: string): Promise<number> {
  return store.redis.del(phoneChatsKey(store, e164));
}

/** Erasure: drop every link and conversation session of the customer. Idempotent. */
export async function purgeCustomerChats(store: LinkStore, customerId: string): Promise<number> {
  const chats = await chatsOfCustomer(store, customerId);
  const tx = store.redis.multi();
  for (const { channel, chatId } of chats) {
    tx.del(linkKey(store, channel, chatId), sessionKey(store, channel, chatId));
  }
  tx.del(chatsKey(store, customerId));
  await tx.exec();
  return chats.length;
}
