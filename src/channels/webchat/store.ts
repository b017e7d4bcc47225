import type { RedisStore } from '../../app/context.js';
import type { InboundMessage, OutboundMessage } from '../types.js';

/**
 * The web chat's mailbox in Redis: the page posts inbound messages to a list the gateway reads
 * (so the admin server and the gateway may be different processes), and the bot's replies are
 * appended to a per-chat list the page polls. Development only; everything expires in a day.
 */
const TTL_SECONDS = 24 * 3600;
const MAX_PER_CHAT = 500;

export const inboxKey = (ctx: Pick<RedisStore, 'key'>) => ctx.key('webchat', 'inbox');
const repliesKey = (ctx: Pick<RedisStore, 'key'>, chatId: string) => ctx.key('webchat', 'replies', chatId);

export async function postInbound(ctx: RedisStore, message: InboundMessage): Promise<void> {
  await ctx.redis.rpush(inboxKey(ctx), JSON.stringify(message));
}

export interface StoredReply {
  seq: number;
  at: string;
  message: OutboundMessage;
}

const parseReply = (line: string) => JSON.parse(line) as StoredReply;

export async function appendReply(
  ctx: RedisStore,
  chatId: string,
  message: OutboundMessage,
): Promise<number> {
  const key = repliesKey(ctx, chatId);
  const seqKey = `${key}:seq`;
  const seq = await ctx.redis.incr(seqKey);
  const entry: StoredReply = { seq, at: new Date().toISOString(), message };
  await ctx.redis
    .multi()
    .rpush(key, JSON.stringify(entry))
    .ltrim(key, -MAX_PER_CHAT, -1)
    .expire(key, TTL_SECONDS)
    .expire(seqKey, TTL_SECONDS)
    .exec();
  return seq;
}

export async function repliesAfter(ctx: RedisStore, chatId: string, after: number): Promise<StoredReply[]> {
  const raw = await ctx.redis.lrange(repliesKey(ctx, chatId), 0, -1);
  return raw.map(parseReply).filter((r) => r.seq > after);
}

/**
 * Erasure: the chat's replies, documents included, except those `keep` spares (the erase's own
 * acknowledgement, which the page may not have read yet: src/workers/erase-keeps.ts). Each doomed
 * entry is removed by its exact value, so a reply appended meanwhile (the acknowledgement reaching
 * the list while the erase runs) is never lost to a rewrite of the list. The sequence counter
 * stays (a number, nothing personal): the page asks for replies after the last one it saw, so a
 * counter starting again would hide the replies that follow, the erasure's own confirmation first.
 * Returns whether anything was removed.
 */
export async function deleteReplies(
  ctx: RedisStore,
  chatId: string,
  keep: (message: OutboundMessage) => boolean = () => false,
): Promise<boolean> {
  const key = repliesKey(ctx, chatId);
  const doomed = (await ctx.redis.lrange(key, 0, -1)).filter((line) => !kept(line, keep));
  if (doomed.length === 0) return false;
  const pipeline = ctx.redis.pipeline();
  for (const line of doomed) pipeline.lrem(key, 1, line);
  const removed = (await pipeline.exec()) ?? [];
  return removed.some(([, count]) => Number(count) > 0);
}

function kept(line: string, keep: (message: OutboundMessage) => boolean): boolean {
  try {
    return keep(parseReply(line).message);
  } catch {
    return false; // unreadable: dropping it is the safe side
  }
}
