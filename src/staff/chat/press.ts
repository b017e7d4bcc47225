import { recordAudit } from '../../audit/record.js';
import { type CardData, loadCardData, parseStaffCallbackData, type StaffAction } from '../staff-cards.js';
import { approve } from './buttons/approve.js';
import { detail } from './buttons/detail.js';
import { reject } from './buttons/reject.js';
import { alreadyDecided } from './card.js';
import { compose, type Middleware } from './composer.js';
import type { Press, StaffContext } from './context.js';
import { STAFF_CHAT_TEXTS } from './texts.js';

/** One button's handler: returns what the pressed button shows. */
export type PressHandler = (c: StaffContext, press: Press, data: CardData) => Promise<string>;

type Pressed = StaffContext & { press: Press };

/** A press on a staff card (callback data `st:<a|r|d>:<ref>`); other presses are not ours. */
export function isCardPress(c: StaffContext): c is Pressed {
  const action = c.message.action;
  if (!action?.sourceMessageId) return false;
  const parsed = parseStaffCallbackData(action.value);
  if (!parsed) return false;
  c.press = {
    id: c.message.messageId.replace(/^cb:/, ''),
    ...parsed,
    cardMessageId: action.sourceMessageId,
  };
  return true;
}

/**
 * Who pressed, not where: only allowlisted members decide or see details. Anyone else is told
 * so, and the attempt is audited once per press (a redelivered press writes nothing new).
 */
const allowlisted: Middleware<Pressed> = async (c, next) => {
  const { models, allowlist, log } = c.services;
  if (await allowlist.allows(c.userId)) {
    await c.services.names.remember(c.userId, {
      ...(c.from.first ? { first_name: c.from.first } : {}),
      ...(c.from.last ? { last_name: c.from.last } : {}),
      ...(c.from.username ? { username: c.from.username } : {}),
    });
    return next();
  }
  const request = await models.PrivacyRequest.findOne(
    { ref: c.press.ref },
    { customerId: 1, status: 1 },
  ).lean();
  await recordAudit(c.services, {
    actor: c.actor,
    action: 'staff.denied',
    ref: c.press.ref,
    customerId: request?.customerId ?? null,
    idempotencyKey: `staff:denied:${c.press.id}`,
    details: { via: c.message.channel, button: c.press.action, status: request?.status ?? 'unknown' },
  });
  log.warn(
    { ref: c.press.ref, action: c.press.action, userTag: c.services.tag(c.actor) },
    'staff chat press refused: not on the allowlist',
  );
  c.answer(STAFF_CHAT_TEXTS.notAllowed);
};

const BUTTONS: Record<StaffAction, PressHandler> = { approve, reject, detail };

/** The card's request, then its button's handler; a decision on a decided request changes nothing. */
const route: Middleware<Pressed> = async (c) => {
  const data = await loadCardData(c.services, c.press.ref);
  if (!data) return c.answer(STAFF_CHAT_TEXTS.notFound(c.press.ref));
  if (c.press.action !== 'detail' && data.request.status !== 'pending_approval')
    return c.answer(await alreadyDecided(c, c.press.cardMessageId, data));
  c.answer(await BUTTONS[c.press.action](c, c.press, data));
};

export const cardPresses: Middleware<Pressed> = compose(allowlisted, route);
