import { Types } from 'mongoose';
import type { InboundMessage } from '../channels/types.js';
import type { Config } from '../config/index.js';
import type { Models } from '../db/index.js';
import type { OutboundMeta } from '../outbound/index.js';
import { chatSuppressionHash } from '../requests/index.js';

/** Where a promo's platform message ids are kept, by the keyed hash of the chat (OTP secret). */
export interface PromoMessageDeps {
  config: { otp: Pick<Config['otp'], 'secret'> };
  models: Pick<Models, 'PromoMessage'>;
}

/**
 * The promotion a message replies to (a STOP quoting the promo), from the platform message id
 * the sender recorded. Also names the customer the promo went to, which still holds when the
 * chat's verified link has expired since.
 */
export async function promoOfReply(
  deps: PromoMessageDeps,
  inbound: Pick<InboundMessage, 'channel' | 'chatId' | 'replyToMessageId'>,
): Promise<{ promoId: string; customerId: string } | undefined> {
  if (!inbound.replyToMessageId) return undefined;
  const key = `${chatSuppressionHash(deps, inbound.channel, inbound.chatId)}:${inbound.replyToMessageId}`;
  const message = await deps.models.PromoMessage.findById(key, { promoId: 1, customerId: 1 }).lean();
  return message ? { promoId: message.promoId, customerId: String(message.customerId) } : undefined;
}

/**
 * How long after a promotion a message that quotes nothing can still be an answer to it: the
 * customer-service day (WhatsApp's 24 hours), the time in which a reply is read as a reply.
 */
export const PROMO_REPLY_WINDOW_MS = 24 * 3600 * 1000;

/**
 * The latest promotion sent to the chat after `after`, if any: what a "cancel" quoting nothing
 * answers when the promotion is the bot's latest message (WhatsApp and Telegram users rarely quote).
 * By the range of keys that start with the chat's hash, so the key's index serves it.
 */
export async function latestPromoOfChat(
  deps: PromoMessageDeps,
  chat: Pick<InboundMessage, 'channel' | 'chatId'>,
  after: Date,
): Promise<{ promoId: string; customerId: string; sentAt: Date } | undefined> {
  const hash = chatSuppressionHash(deps, chat.channel, chat.chatId);
  // Keys are `<hash>:<message id>`; ';' is the character after ':'.
  const [message] = await deps.models.PromoMessage.find(
    { _id: { $gt: `${hash}:`, $lt: `${hash};` }, sentAt: { $gt: after } },
    { promoId: 1, customerId: 1, sentAt: 1 },
  )
    .sort({ sentAt: -1 })
    .limit(1)
    .lean();
  return message
    ? { promoId: message.promoId, customerId: String(message.customerId), sentAt: message.sentAt }
    : undefined;
}

/**
 * For the outbound worker's `onSent` hook: remembers which promo a queued message (WhatsApp, sent
 * by the gateway) was, once the platform gave it an id. Other messages are ignored.
 */
export async function recordPromoMessage(
  deps: PromoMessageDeps,
  sent: { channel: string; chatId: string; messageId?: string; meta: OutboundMeta },
): Promise<void> {
  // From the meta's own field: the dedupe key is kept only as a hash once queued.
  const { promoId, customerId, purpose } = sent.meta;
  if (
    purpose !== 'promo' ||
    !promoId ||
    !sent.messageId ||
    !customerId ||
    !Types.ObjectId.isValid(customerId)
  )
    return;
  try {
    await deps.models.PromoMessage.create({
      _id: `${chatSuppressionHash(deps, sent.channel, sent.chatId)}:${sent.messageId}`,
      promoId,
      customerId: new Types.ObjectId(customerId),
      channel: sent.channel,
      sentAt: new Date(),
    });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 11000) throw err;
  }
}
