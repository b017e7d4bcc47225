import { Types } from 'mongoose';
import type { AppContext } from '../app/context.js';
import type { InboundMessage } from '../channels/types.js';
import type { OutboundMeta } from '../outbound/index.js';
import { chatSuppressionHash } from '../requests/index.js';

/**
 * The promotion a message replies to (a STOP quoting the promo), from the platform message id
 * the sender recorded. Also names the customer the promo went to, which still holds when the
 * chat's verified link has expired since.
 */
export async function promoOfReply(
  ctx: AppContext,
  inbound: Pick<InboundMessage, 'channel' | 'chatId' | 'replyToMessageId'>,
): Promise<{ promoId: string; customerId: string } | undefined> {
  if (!inbound.replyToMessageId) return undefined;
  const key = `${chatSuppressionHash(ctx, inbound.channel, inbound.chatId)}:${inbound.replyToMessageId}`;
  const message = await ctx.models.PromoMessage.findById(key, { promoId: 1, customerId: 1 }).lean();
  return message ? { promoId: message.promoId, customerId: String(message.customerId) } : undefined;
}

/**
 * For the outbound worker's `onSent` hook: remembers which promo a queued message (WhatsApp, sent
 * by the gateway) was, once the platform gave it an id. Other messages are ignored.
 */
export async function recordPromoMessage(
  ctx: AppContext,
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
    await ctx.models.PromoMessage.create({
      _id: `${chatSuppressionHash(ctx, sent.channel, sent.chatId)}:${sent.messageId}`,
      promoId,
      customerId: new Types.ObjectId(customerId),
      channel: sent.channel,
      sentAt: new Date(),
    });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 11000) throw err;
  }
}
