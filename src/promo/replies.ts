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
