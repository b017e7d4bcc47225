import type { PrivacyRequest } from '../../db/index.js';
import { RequestError } from '../../requests/index.js';
import { type CardData, cardButtons, decidedCardText, statusLabel } from '../staff-cards.js';
import type { StaffContext } from './context.js';
import { STAFF_CHAT_TEXTS } from './texts.js';

/**
 * The card shows the decision and keeps only Detail. Queued like every staff message; an edit
 * that changes nothing counts as done (the adapter), so a late press may edit again freely.
 */
export async function editCard(c: StaffContext, cardMessageId: string | undefined, data: CardData) {
  if (cardMessageId === undefined) return;
  const { names, now } = c.services;
  await c.edit(
    cardMessageId,
    await decidedCardText(data, names.lookup, now()),
    cardButtons(data.request.ref, data.request.status),
  );
}

/** The card's data as it stands now, with `request` read again after a decision. */
export async function refreshed(c: StaffContext, data: CardData): Promise<CardData> {
  const request = await c.services.models.PrivacyRequest.findOne({
    ref: data.request.ref,
  }).lean<PrivacyRequest>();
  return request ? { ...data, request } : data;
}

/** A decision on a request no longer waiting: nothing changes; the card catches up. */
export async function alreadyDecided(
  c: StaffContext,
  cardMessageId: string | undefined,
  data: CardData,
): Promise<string> {
  await editCard(c, cardMessageId, data);
  const d = data.request.decision;
  if (d?.outcome && d.by) {
    const name = await c.services.names.lookup(d.by);
    const who = name ? `${name} (${d.by})` : d.by;
    return STAFF_CHAT_TEXTS.alreadyDecided(who, d.outcome === 'approved' ? 'disetujui' : 'ditolak');
  }
  return STAFF_CHAT_TEXTS.noDecisionNeeded(data.request.ref, statusLabel(data.request.status));
}

/** Someone else decided first (another press, the console): not an error. */
export const raceLost = (err: unknown) =>
  err instanceof RequestError && (err.code === 'ALREADY_DECIDED' || err.code === 'ILLEGAL_TRANSITION');
