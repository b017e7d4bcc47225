import { recordAudit } from '../../../audit/record.js';
import { requestDetailText } from '../../staff-cards.js';
import type { PressHandler } from '../press.js';
import { STAFF_CHAT_TEXTS } from '../texts.js';

/** Detail: the request's masked facts as a reply to the card; the viewing is audited once per press. */
export const detail: PressHandler = async (c, press, data) => {
  const { now } = c.services;
  await c.reply(await requestDetailText(c.services, data, now()), press.cardMessageId);
  await recordAudit(c.services, {
    actor: c.actor,
    action: 'staff.viewed_detail',
    ref: press.ref,
    customerId: data.request.customerId ?? null,
    idempotencyKey: `staff:detail:${press.id}`,
    details: { via: c.message.channel, masked: true },
  });
  return STAFF_CHAT_TEXTS.detailSent(press.ref);
};
