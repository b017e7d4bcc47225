import { Types } from 'mongoose';
import { formatDue } from './requests.js';
import { type ActionResult, defineAction } from './types.js';

/**
 * Whether the verified customer's processing is restricted now (UU PDP art. 11), for `lanjutkan` /
 * `resume`: with nothing to lift the customer is told so and no request is made.
 */
export const currentRestriction = defineAction({
  name: 'restriction.current',
  outcomes: ['restricted', 'none'],
  texts: ['resume.scope_marketing', 'resume.scope_all'],
  async run({ app, session, locale, t }): Promise<ActionResult> {
    const customerId = session.vars.customerId;
    if (!customerId || !Types.ObjectId.isValid(customerId)) return { outcome: 'none' };
    const customer = await app.models.Customer.findById(customerId, {
      processingRestriction: 1,
      erasedAt: 1,
    }).lean();
    const held = customer && !customer.erasedAt ? customer.processingRestriction : undefined;
    if (!held?.scope) {
      app.logger.info({ component: 'conversation' }, 'resume asked with no restriction in place');
      return { outcome: 'none' };
    }
    return {
      outcome: 'restricted',
      vars: { scope: t(`resume.scope_${held.scope}`), since: formatDue(new Date(held.since), locale) },
    };
  },
});
