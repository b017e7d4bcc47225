import type { AppContext } from '../app/context.js';
import type { InboundMessage } from '../channels/types.js';
import { chatSuppressionHash } from '../requests/suppression.js';

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
