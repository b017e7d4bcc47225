import { linkChat, linkedCustomer, notePhoneInChat } from '../../identity/links.js';
import { maskPhone } from '../../privacy/index.js';
import { type ActionResult, defineAction } from './types.js';

export const requireVerified = defineAction({
  name: 'identity.require',
  outcomes: ['verified', 'unverified'],
  texts: [],
  async run({ app, inbound, session, args }): Promise<ActionResult> {
    const customerId = await linkedCustomer(app, inbound.channel, inbound.chatId);
    // Fresh means: a code for this very customer was entered in this flow (delete, phone change),
    // not merely earlier in a chat that stays linked. Flows start with fresh variables.
    const fresh = args.fresh !== true || (customerId !== undefined && session.vars.freshCode === customerId);
    if (customerId && fresh) return { outcome: 'verified', vars: { customerId } };
    return { outcome: 'unverified' };
  },
});

/** WhatsApp proves the sender's number: offer it instead of asking. */
export const senderPhone = defineAction({
  name: 'identity.sender_phone',
  outcomes: ['found', 'none'],
  texts: [],
  async run({ inbound }): Promise<ActionResult> {
    if (!inbound.senderPhone) return { outcome: 'none' };
    return {
      outcome: 'found',
      vars: { phone: inbound.senderPhone, maskedPhone: maskPhone(inbound.senderPhone) },
    };
  },
});

/**
 * Outcomes: `sent`; `cooldown` (too soon, and this chat's previous code still works); `wait` (too
 * soon, and no code works here: it was used, or asked for from another chat); `limited`.
 */
export const sendCode = defineAction({
  name: 'identity.send_code',
  outcomes: ['sent', 'cooldown', 'wait', 'limited'],
  texts: [],
  async run({ app, deps, inbound, session, locale, args }): Promise<ActionResult> {
    const phoneVar = String(args.phoneVar ?? 'phone');
    const phone = session.vars[phoneVar];
    if (!phone) throw new Error(`identity.send_code: no ${phoneVar} in session`);
    const purpose = args.purpose === 'new_phone' ? 'new_phone' : 'verify';
    // This session now holds the number: erasure of its owner must find it, verified or not.
    await notePhoneInChat(app, phone, inbound.channel, inbound.chatId);
    const result = await deps.otp.requestCode({
      phone,
      channel: inbound.channel,
      chatId: inbound.chatId,
      locale,
      purpose,
    });
    return {
      outcome: result.status === 'cooldown' && result.pendingCode === false ? 'wait' : result.status,
      vars: { maskedPhone: maskPhone(phone), retryAfter: String(result.retryAfterSeconds ?? 60) },
    };
  },
});

export const checkCode = defineAction({
  name: 'identity.check_code',
  outcomes: ['ok', 'wrong', 'expired', 'locked'],
  texts: [],
  async run({ app, deps, inbound, session, args }): Promise<ActionResult> {
    const phoneVar = String(args.phoneVar ?? 'phone');
    const phone = session.vars[phoneVar];
    const code = session.vars.code;
    if (!phone || !code) return { outcome: 'wrong' };
    const purpose = args.purpose === 'new_phone' ? 'new_phone' : 'verify';
    const result = await deps.otp.verifyCode({
      phone,
      channel: inbound.channel,
      chatId: inbound.chatId,
      code,
      purpose,
    });
    if (!result.ok) {
      // "none" (no code for this number, e.g. not a customer) reads exactly like a wrong code.
      const outcome = result.reason === 'none' ? 'wrong' : result.reason;
      return { outcome, vars: { attemptsLeft: String(result.attemptsLeft ?? 0), code: '' } };
    }
    if (purpose === 'new_phone') return { outcome: 'ok', vars: { code: '', [`${phoneVar}Verified`]: '1' } };
    const customer = await app.models.Customer.findOne({ phone, erasedAt: null }, { _id: 1 }).lean();
    if (!customer) return { outcome: 'wrong', vars: { code: '' } };
    const customerId = String(customer._id);
    await linkChat(app, inbound.channel, inbound.chatId, customerId);
    return { outcome: 'ok', vars: { code: '', customerId, freshCode: customerId } };
  },
});
