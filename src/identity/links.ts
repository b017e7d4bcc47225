import type { AppContext } from '../app/context.js';
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
export const linkKey = (ctx: AppContext, channel: string, chatId: string) => ctx.key('link', channel, chatId);
export const sessionKey = (ctx: AppContext, channel: string, chatId: string) =>
  ctx.key('session', channel, chatId);
const chatsKey = (ctx: AppContext, customerId: string) => ctx.key('customer-chats', customerId);
const phoneChatsKey = (ctx: AppContext, e164: string) =>
  ctx.key('phone-chats', keyedHash(ctx.config.otp.secret, 'phone-chats', e164).slice(0, 32));

const member = (channel: string, chatId: string) => `${channel}\n${chatId}`;
const parseMembers = (members: string[]) =>
  members.map((m) => {
    const [channel = '', chatId = ''] = m.split('\n');
    return { channel, chatId };
  });

export async function linkChat(
  ctx: AppContext,
  channel: string,
  chatId: string,
  customerId: string,
): Promise<void> {
  const ttl = ctx.config.conversation.verifiedLinkTtlSeconds;
  await ctx.redis
    .multi()
    .set(linkKey(ctx, channel, chatId), customerId, 'EX', ttl)
    .sadd(chatsKey(ctx, customerId), member(channel, chatId))
    .expire(chatsKey(ctx, customerId), ttl)
    .exec();
}

export async function linkedCustomer(
  ctx: AppContext,
  channel: string,
  chatId: string,
): Promise<string | undefined> {
  return (await ctx.redis.get(linkKey(ctx, channel, chatId))) ?? undefined;
}

export async function unlinkChat(ctx: AppContext, channel: string, chatId: string): Promise<void> {
  const customerId = await linkedCustomer(ctx, channel, chatId);
  const tx = ctx.redis.multi().del(linkKey(ctx, channel, chatId));
  if (customerId) tx.srem(chatsKey(ctx, customerId), member(channel, chatId));
  await tx.exec();
}

/** The chats linked to a customer (for notifications and erasure). */
export async function chatsOfCustomer(
  ctx: AppContext,
  customerId: string,
): Promise<{ channel: string; chatId: string }[]> {
  return parseMembers(await ctx.redis.smembers(chatsKey(ctx, customerId)));
}

/**
 * A chat is about to hold `e164` in its session (a code is asked for it). Remembered for as long
 * as a verified link lasts, which outlives any idle session that could still hold the number.
 */
export async function notePhoneInChat(
  ctx: AppContext,
  e164: string,
  channel: string,
  chatId: string,
): Promise<void> {
  const key = phoneChatsKey(ctx, e164);
  await ctx.redis
    .multi()
    .sadd(key, member(channel, chatId))
    .expire(
      key,
      Math.max(ctx.config.conversation.verifiedLinkTtlSeconds, ctx.config.conversation.sessionTtlSeconds),
    )
    .exec();
}

/** Chats that asked for a code to `e164` lately (any of them may still hold it in a session). */
export async function chatsHoldingPhone(
  ctx: AppContext,
  e164: string,
): Promise<{ channel: string; chatId: string }[]> {
  return parseMembers(await ctx.redis.smembers(phoneChatsKey(ctx, e164)));
}

/** Erasure: forget which chats asked for this phone. */
export async function forgetPhoneChats(ctx: AppContext, e164: string): Promise<number> {
  return ctx.redis.del(phoneChatsKey(ctx, e164));
}

/** Erasure: drop every link and conversation session of the customer. Idempotent. */
export async function purgeCustomerChats(ctx: AppContext, customerId: string): Promise<number> {
  const chats = await chatsOfCustomer(ctx, customerId);
  const tx = ctx.redis.multi();
  for (const { channel, chatId } of chats) {
    tx.del(linkKey(ctx, channel, chatId), sessionKey(ctx, channel, chatId));
  }
  tx.del(chatsKey(ctx, customerId));
  await tx.exec();
  return chats.length;
}
