import type { PressHandler } from '../press.js';
import { STAFF_CHAT_TEXTS } from '../texts.js';

/** What the question carries to the onSent hook: which member's question about which request. */
export const reasonCorrelation = (ref: string, userId: string) => `staff-reason:${ref}:${userId}`;
const CORRELATION = /^staff-reason:([A-Z0-9-]{1,32}):(\d{1,20})$/;
export function parseReasonCorrelation(
  value: string | undefined,
): { ref: string; userId: string } | undefined {
  const m = value ? CORRELATION.exec(value) : null;
  return m?.[1] && m[2] ? { ref: m[1], userId: m[2] } : undefined;
}

/**
 * Tolak: asks the presser for the reason the customer will read (their reply, or their next
 * message within the TTL; reason.ts takes it). The question waits in Redis from now, so an
 * answer typed before the question arrives is taken too.
 */
export const reject: PressHandler = async (c, press) => {
  const { pending, now, reasonTtlSeconds } = c.services;
  const name = (c.from.first ?? c.from.username ?? 'Staf').slice(0, 64);
  const askedAt = now().getTime();
  await pending.save({
    ref: press.ref,
    userId: c.userId,
    chatId: c.chatId,
    cardMessageId: Number(press.cardMessageId),
    askedAt,
    expiresAt: askedAt + reasonTtlSeconds * 1000,
  });
  await c.ask(
    STAFF_CHAT_TEXTS.askReason(name, press.ref, Math.max(1, Math.round(reasonTtlSeconds / 60))),
    { userId: c.userId, name, placeholder: STAFF_CHAT_TEXTS.reasonPlaceholder },
    {
      replyTo: press.cardMessageId,
      correlation: reasonCorrelation(press.ref, c.userId),
      requestRef: press.ref,
    },
  );
  return STAFF_CHAT_TEXTS.askReasonAnswer(press.ref);
};
