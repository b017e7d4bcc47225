import type { AppContext } from '../../app/context.js';
import { linkChat, linkedCustomer } from '../../identity/links.js';
import { maskPhone } from '../../identity/phone.js';
import { type ActionResult, defineAction } from './types.js';

/** How long a code entered in a chat counts as "fresh" for delete and phone change. */
const FRESH_SECONDS = 10 * 60;
const freshKey = (app: AppContext, channel: string, chatId: string) =>
  app.key('fresh-verification', channel, chatId);

export const requireVerified = defineAction({
  name: 'identity.require',
  outcomes: ['verified', 'unverified'],
  texts: [],
  async run({ app, inbound, args }): Promise<ActionResult> {
    const [customerId, freshFor] = await Promise.all([
      linkedCustomer(app, inbound.channel, inbound.chatId),
      args.fresh === true ? app.redis.get(freshKey(app, inbound.channel, inbound.chatId)) : undefined,
    ]);
    // Fresh means: this chat entered a code for this very customer in the last few minutes.
    const fresh = args.fresh !== true || (customerId !== undefined && freshFor === customerId);
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

export const sendCode = defineAction({
  name: 'identity.send_code',
  outcomes: ['sent', 'cooldown', 'limited'],
  texts: [],
  async run({ deps, inbound, session, locale, args }): Promise<ActionResult> {
    const phoneVar = String(args.phoneVar ?? 'phone');
    const phone = session.vars[phoneVar];
    if (!phone) throw new Error(`identity.send_code: no ${phoneVar} in session`);
    const purpose = args.purpose === 'new_phone' ? 'new_phone' : 'verify';
    const result = await deps.otp.requestCode({
      phone,
      channel: inbound.channel,
      chatId: inbound.chatId,
      locale,
      purpose,
    });
    return {
      outcome: result.status,
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
    await app.redis.set(freshKey(app, inbound.channel, inbound.chatId), customerId, 'EX', FRESH_SECONDS);
    return { outcome: 'ok', vars: { code: '', customerId } };
  },
});
