import { z } from 'zod';
import type { AppContext } from '../app/context.js';

/**
 * A rejection waiting for its reason: staff pressed Tolak, the bot asked "why?" and the next
 * message from that staff member in the staff chat (or their reply to the question) is the
 * reason. Kept in Redis so any gateway process can take the answer, and so a forgotten question
 * lapses by itself.
 *
 * Two keys: one per question (a reply to an older question still finds its own request) and
 * one per staff member (their latest open question, for a message that replies to nothing).
 */

const pendingSchema = z.object({
  ref: z.string(),
  userId: z.string(),
  chatId: z.string(),
  promptMessageId: z.number().int(),
  cardMessageId: z.number().int().optional(),
  askedAt: z.number(),
});

export type PendingReason = z.infer<typeof pendingSchema>;

export interface PendingReasonStore {
  save(p: PendingReason): Promise<void>;
  /** The question this message answers: the one it replies to, else the sender's latest. */
  find(chatId: string, userId: string, replyToMessageId?: number): Promise<PendingReason | undefined>;
  clear(p: PendingReason): Promise<void>;
}

export function pendingReasonStore(ctx: AppContext, ttlSeconds: number): PendingReasonStore {
  const promptKey = (chatId: string, messageId: number) =>
    ctx.key('staff', 'reason', 'prompt', chatId, messageId);
  const userKey = (chatId: string, userId: string) => ctx.key('staff', 'reason', 'user', chatId, userId);

  const read = async (key: string) => {
    const raw = await ctx.redis.get(key);
    if (!raw) return undefined;
    try {
      const parsed = pendingSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  };

  const latestOf = async (chatId: string, userId: string) => {
    const latest = await ctx.redis.get(userKey(chatId, userId));
    return latest && /^\d+$/.test(latest) ? read(promptKey(chatId, Number(latest))) : undefined;
  };

  return {
    async save(p) {
      await ctx.redis
        .multi()
        .set(promptKey(p.chatId, p.promptMessageId), JSON.stringify(p), 'EX', ttlSeconds)
        .set(userKey(p.chatId, p.userId), String(p.promptMessageId), 'EX', ttlSeconds)
        .exec();
    },
    async find(chatId, userId, replyToMessageId) {
      if (replyToMessageId !== undefined) {
        const answered = await read(promptKey(chatId, replyToMessageId));
        if (answered) return answered.userId === userId ? answered : undefined;
        // A reply to the card itself answers too; a reply to anything else is conversation.
        const latest = await latestOf(chatId, userId);
        return latest?.cardMessageId === replyToMessageId ? latest : undefined;
      }
      return latestOf(chatId, userId);
    },
    async clear(p) {
      const uKey = userKey(p.chatId, p.userId);
      const latest = await ctx.redis.get(uKey);
      const keys = [promptKey(p.chatId, p.promptMessageId)];
      if (latest === String(p.promptMessageId)) keys.push(uKey);
      await ctx.redis.del(...keys);
    },
  };
}
