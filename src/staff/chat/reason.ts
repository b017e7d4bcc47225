import { loadCardData } from '../staff-cards.js';
import { alreadyDecided, editCard, raceLost, refreshed } from './card.js';
import type { Middleware } from './composer.js';
import type { StaffContext } from './context.js';
import type { PendingReason } from './pending-reason.js';
import { STAFF_CHAT_TEXTS } from './texts.js';

const MAX_REASON = 500;

/** A message (not a press) in the staff chat. */
export const isMessage = (c: StaffContext) => c.message.action === undefined;

/**
 * A member's message that answers their open Tolak question (a reply to it or to the card, or
 * their next message): the reason the customer reads. Anything else is staff talking: ignored.
 */
export const reasonAnswer: Middleware<StaffContext> = async (c, next) => {
  const { pending, allowlist, names, log } = c.services;
  const p = await pending.find(c.chatId, c.userId, c.message.replyToMessageId);
  if (!p) return next();
  // Checked again: the allowlist may have changed since the question (a console link removed).
  if (!(await allowlist.allows(c.userId))) {
    await pending.clear(p);
    log.warn(
      { ref: p.ref, userTag: c.services.tag(c.actor) },
      'staff chat reason dropped: the member is no longer on the allowlist',
    );
    return;
  }
  await names.remember(c.userId, {
    ...(c.from.first ? { first_name: c.from.first } : {}),
    ...(c.from.last ? { last_name: c.from.last } : {}),
    ...(c.from.username ? { username: c.from.username } : {}),
  });
  await rejectWithReason(c, p);
};

async function rejectWithReason(c: StaffContext, p: PendingReason): Promise<void> {
  const { pending, requests, log } = c.services;
  const text = (c.message.text ?? '').trim();
  const answer = (t: string) => c.reply(t, c.message.messageId);
  if (/^\/?(batal|cancel)(@\w+)?$/i.test(text)) {
    await pending.clear(p);
    return answer(STAFF_CHAT_TEXTS.reasonCancelled(p.ref));
  }
  if (!text || text.startsWith('/')) return answer(STAFF_CHAT_TEXTS.reasonNotText);
  if (text.length > MAX_REASON) return answer(STAFF_CHAT_TEXTS.reasonTooLong(text.length, MAX_REASON));
  const data = await loadCardData(c.services, p.ref);
  if (!data) {
    await pending.clear(p);
    return answer(STAFF_CHAT_TEXTS.notFound(p.ref));
  }
  const card = p.cardMessageId !== undefined ? String(p.cardMessageId) : undefined;
  try {
    await requests.decide({ ref: p.ref, outcome: 'rejected', staff: c.actor, reason: text });
  } catch (err) {
    if (!raceLost(err)) throw err;
    await pending.clear(p);
    return answer(await alreadyDecided(c, card, await refreshed(c, data)));
  }
  await pending.clear(p);
  log.info(
    { ref: p.ref, staffTag: c.services.tag(c.actor), reasonLength: text.length },
    'request rejected in the staff chat',
  );
  await editCard(c, card, await refreshed(c, data));
  await answer(STAFF_CHAT_TEXTS.rejected(p.ref));
}
