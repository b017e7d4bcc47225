import { z } from 'zod';
import type { RedisStore } from '../../app/context.js';

/**
 * A rejection waiting for its reason: staff pressed Tolak, the bot asked "why?" and the next
 * message from that staff member in the staff chat (or their reply to the question) is the
 * reason. Kept in Redis so any gateway process can take the answer, and so a forgotten question
 * lapses by itself.
 *
 * Two keys: one per staff member (their latest open question, for a message that replies to
 * nothing), and one per question once it was sent (a reply to an older question still finds its
 * own request). The question goes through the outbox, so its id arrives later, from the
 * outbound worker's onSent hook (`promptSent`); until then a reply is taken as the latest's.
 */

const pendingSchema = z.object({
  ref: z.string(),
  userId: z.string(),
  chatId: z.string(),
  promptMessageId: z.number().int().optional(),
  cardMessageId: z.number().int().optional(),
  askedAt: z.number(),
  expiresAt: z.number(),
});

export type PendingReason = z.infer<typeof pendingSchema>;

export interface PendingReasonStore {
  save(p: PendingReason): Promise<void>;
  /** The question was sent and got this id: a reply to it now finds it. */
  promptSent(chatId: string, userId: string, ref: string, promptMessageId: number): Promise<void>;
  /** The question this message answers: the one it replies to, else the sender's latest. */
  find(chatId: string, userId: string, replyToMessageId?: string): Promise<PendingReason | undefined>;
  clear(p: PendingReason): Promise<void>;
}

// Replace the member's latest question only if it is still the one read: an answer that cleared
// it meanwhile must not bring it back.
const PROMPT_SENT = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1`;

export function pendingReasonStore(ctx: RedisStore): PendingReasonStore {
  const promptKey = (chatId: string, messageId: number | string) =>
    ctx.key('staff', 'reason', 'prompt', chatId, messageId);
  const userKey = (chatId: string, userId: string) => ctx.key('staff', 'reason', 'user', chatId, userId);

  const parse = (raw: string | null) => {
    if (!raw) return undefined;
    try {
      const parsed = pendingSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  };
  const read = async (key: string) => parse(await ctx.redis.get(key));
  const same = (a: PendingReason, b: PendingReason) => a.ref === b.ref && a.askedAt === b.askedAt;

  return {
    async save(p) {
      const ttl = p.expiresAt - Date.now();
      if (ttl > 0) await ctx.redis.set(userKey(p.chatId, p.userId), JSON.stringify(p), 'PX', ttl);
    },
    async promptSent(chatId, userId, ref, promptMessageId) {
      const raw = await ctx.redis.get(userKey(chatId, userId));
      const latest = parse(raw);
      if (!raw || !latest || latest.ref !== ref || latest.promptMessageId !== undefined) return;
      const ttl = latest.expiresAt - Date.now();
      if (ttl <= 0) return;
      const next = JSON.stringify({ ...latest, promptMessageId });
      await ctx.redis.eval(
        PROMPT_SENT,
        2,
        userKey(chatId, userId),
        promptKey(chatId, promptMessageId),
        raw,
        next,
        ttl,
      );
    },
    async find(chatId, userId, replyToMessageId) {
      const latest = await read(userKey(chatId, userId));
      if (replyToMessageId === undefined) return latest;
      if (/^\d{1,12}$/.test(replyToMessageId)) {
        const answered = await read(promptKey(chatId, replyToMessageId));
        if (answered) return answered.userId === userId ? answered : undefined;
      }
      if (!latest) return undefined;
      // A reply to the card itself answers too, and so does one while the question is on its way.
      if (latest.cardMessageId !== undefined && String(latest.cardMessageId) === replyToMessageId)
        return latest;
      return latest.promptMessageId === undefined ? latest : undefined;
    },
    async clear(p) {
      const uKey = userKey(p.chatId, p.userId);
      const latest = await read(uKey);
      const keys: string[] = [];
      const promptId = p.promptMessageId ?? (latest && same(latest, p) ? latest.promptMessageId : undefined);
      if (promptId !== undefined) keys.push(promptKey(p.chatId, promptId));
      if (latest && same(latest, p)) keys.push(uKey);
      if (keys.length > 0) await ctx.redis.del(...keys);
    },
  };
}
