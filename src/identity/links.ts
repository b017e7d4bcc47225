import type { AppContext } from '../app/context.js';

/**
 * Which customer a verified chat belongs to, in Redis with a TTL
 * (VERIFIED_LINK_TTL_SECONDS). A reverse set per customer lets erasure purge every link.
 *
 * Keys: `link:<channel>:<chatId>` → customerId; `customer-chats:<customerId>` → set of
 * `<channel>\n<chatId>`; conversation sessions live at `session:<channel>:<chatId>`.
 */
export const linkKey = (ctx: AppContext, channel: string, chatId: string) => ctx.key('link', channel, chatId);
export const sessionKey = (ctx: AppContext, channel: string, chatId: string) =>
  ctx.key('session', channel, chatId);
const chatsKey = (ctx: AppContext, customerId: string) => ctx.key('customer-chats', customerId);

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
    .sadd(chatsKey(ctx, customerId), `${channel}\n${chatId}`)
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
  if (customerId) tx.srem(chatsKey(ctx, customerId), `${channel}\n${chatId}`);
  await tx.exec();
}

/** The chats linked to a customer (for notifications and erasure). */
export async function chatsOfCustomer(
  ctx: AppContext,
  customerId: string,
): Promise<{ channel: string; chatId: string }[]> {
  const members = await ctx.redis.smembers(chatsKey(ctx, customerId));
  return members.map((m) => {
    const [channel = '', chatId = ''] = m.split('\n');
    return { channel, chatId };
  });
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
