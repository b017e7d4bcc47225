import { alreadyDecided, editCard, raceLost, refreshed } from '../card.js';
import type { PressHandler } from '../press.js';
import { STAFF_CHAT_TEXTS } from '../texts.js';

/** Setujui: the request service records the decision, queues the work and tells the customer. */
export const approve: PressHandler = async (c, press, data) => {
  try {
    await c.services.requests.decide({ ref: press.ref, outcome: 'approved', staff: c.actor });
  } catch (err) {
    if (raceLost(err)) return alreadyDecided(c, press.cardMessageId, await refreshed(c, data));
    throw err;
  }
  c.services.log.info(
    { ref: press.ref, staffTag: c.services.tag(c.actor) },
    'request approved in the staff chat',
  );
  await editCard(c, press.cardMessageId, await refreshed(c, data));
  return STAFF_CHAT_TEXTS.approved(press.ref);
};
