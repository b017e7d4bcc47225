import type { InboundMessage } from '../../channels/types.js';
import { linkedCustomer } from '../../identity/links.js';
import { promoOfReply } from '../../promo/index.js';
import { chatSuppressionHash, suppress } from '../../requests/index.js';
import { type ActionApp, type ActionCall, type ActionResult, defineAction } from './types.js';

/**
 * Who may change marketing consent without a code: on WhatsApp the sender's own number proves
 * it; a reply to a promotion names the customer it was sent to (even once the chat's verified
 * link has expired); otherwise the chat must be linked to a verified customer.
 */
async function provenCustomer(
  app: ActionApp,
  inbound: InboundMessage,
  promo: { customerId: string } | undefined,
): Promise<string | undefined> {
  if (inbound.senderPhone) {
    const customer = await app.models.Customer.findOne(
      { phone: inbound.senderPhone, erasedAt: null },
      { _id: 1 },
    ).lean();
    if (customer) return String(customer._id);
  }
  return promo?.customerId ?? linkedCustomer(app, inbound.channel, inbound.chatId);
}

/** The chat (not a customer) is suppressed: nothing is known about it, and nothing more is asked. */
async function suppressChat(app: ActionApp, inbound: InboundMessage): Promise<void> {
  await suppress(app, {
    hash: chatSuppressionHash(app, inbound.channel, inbound.chatId),
    kind: 'chat',
    reason: 'opted_out',
    source: `${inbound.channel}:keyword`,
    at: new Date(),
  });
}

/**
 * The customer's words and message. After a probable opt-out was asked ("stop dulu" → "ya"), the
 * sentence that asked is the proof; the engine kept it in the session for this answer.
 */
const proof = (call: ActionCall, promo: { promoId: string } | undefined) => {
  const { inbound, session } = call;
  const words = session.vars.optOutWords ?? inbound.text;
  return {
    ...(words ? { words: words.slice(0, 100) } : {}),
    messageId: session.vars.optOutMessageId ?? inbound.messageId,
    ...(promo ? { promoId: promo.promoId } : {}),
  };
};

/** The promotion the message (or, after a question, the sentence that asked) replied to. */
function replyOf(call: ActionCall): Pick<InboundMessage, 'channel' | 'chatId' | 'replyToMessageId'> {
  const { inbound, session } = call;
  const replyTo = inbound.replyToMessageId ?? session.vars.optOutReplyTo;
  return {
    channel: inbound.channel,
    chatId: inbound.chatId,
    ...(replyTo ? { replyToMessageId: replyTo } : {}),
  };
}

/** Consent changes go through a request like every other change: audited, with proof. */
function consentRequest(
  type: 'unsubscribe' | 'subscribe',
  call: ActionCall,
  customerId: string,
  promo: { promoId: string } | undefined,
) {
  const { deps, inbound, locale } = call;
  return deps.requests.create({
    type,
    customerId,
    channel: inbound.channel,
    chatId: inbound.chatId,
    locale,
    proof: proof(call, promo),
    actor: 'customer',
    // The conversation confirms to the customer at once; the worker need not say it again.
    toldInChat: true,
  });
}

export const optOut = defineAction({
  name: 'consent.opt_out',
  outcomes: ['done'],
  texts: [],
  async run(call): Promise<ActionResult> {
    const { app, inbound } = call;
    const promo = call.revokedPromo ?? (await promoOfReply(app, replyOf(call)));
    const customerId = await provenCustomer(app, inbound, promo);
    if (!customerId) {
      await suppressChat(app, inbound);
      return { outcome: 'done' };
    }
    const created = await consentRequest('unsubscribe', call, customerId, promo);
    return { outcome: 'done', vars: { ref: created.ref } };
  },
});

export const optIn = defineAction({
  name: 'consent.opt_in',
  outcomes: ['done', 'need_verify'],
  texts: [],
  async run(call): Promise<ActionResult> {
    const promo = await promoOfReply(call.app, call.inbound);
    const customerId = call.session.vars.customerId ?? (await provenCustomer(call.app, call.inbound, promo));
    if (!customerId) return { outcome: 'need_verify' };
    const created = await consentRequest('subscribe', call, customerId, promo);
    return { outcome: 'done', vars: { ref: created.ref } };
  },
});
