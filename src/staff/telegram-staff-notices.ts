import { isValidObjectId } from 'mongoose';
import type { OutboundMessage } from '../channels/types.js';
import type { Models } from '../db/index.js';
import { normalizeRef } from '../requests/index.js';
import {
  type CardHeading,
  cardButtons,
  deadLetterCardText,
  loadCardData,
  requestCardText,
  STAFF_BUTTON_LABELS,
  staffCallbackData,
} from './staff-cards.js';

/**
 * The staff chat messages the request lifecycle and the outbound worker ask for, as outbound
 * messages for the outbox (src/requests/staff-notices.ts sends them). Each falls back to a
 * one-line text when MongoDB does not know the ref: a reminder must reach staff regardless.
 */

/** A flagged request or an SLA reminder: the card, with Setujui / Tolak / Detail while it waits. */
export async function requestNotice(
  deps: { models: Pick<Models, 'PrivacyRequest' | 'Customer'> },
  ref: string,
  heading: Exclude<CardHeading, { kind: 'plain' }>,
  now = new Date(),
): Promise<OutboundMessage> {
  const data = await loadCardData(deps, ref);
  if (!data) {
    const text =
      heading.kind === 'flagged'
        ? `Permintaan ${ref} menunggu persetujuan staf.`
        : `Pengingat: permintaan ${ref} (${heading.which}).`;
    return { kind: 'text', text };
  }
  return {
    kind: 'buttons',
    text: requestCardText(data, heading, now),
    buttons: cardButtons(ref, data.request.status),
  };
}

/** A dead letter: what could not go where (masked), with Detail when it belongs to a request. */
export async function deadLetterNotice(
  deps: { models: Pick<Models, 'DeadLetter'> },
  summary: { id: string; channel: string; reason: string },
): Promise<OutboundMessage> {
  const doc = isValidObjectId(summary.id) ? await deps.models.DeadLetter.findById(summary.id).lean() : null;
  if (!doc) {
    return {
      kind: 'text',
      text: `⚠️ Pesan ${summary.id} (${summary.channel}) tidak terkirim: ${summary.reason}`,
    };
  }
  const text = deadLetterCardText({
    id: String(doc._id),
    channel: doc.channel,
    maskedChat: doc.maskedChat,
    reason: doc.reason,
    detail: doc.detail,
    purpose: doc.purpose,
    requestRef: doc.requestRef ?? null,
    attempts: doc.attempts,
    createdAt: doc.createdAt,
  });
  const ref = doc.requestRef ? normalizeRef(doc.requestRef) : undefined;
  if (!ref) return { kind: 'text', text };
  return {
    kind: 'buttons',
    text,
    buttons: [{ label: STAFF_BUTTON_LABELS.detail, value: staffCallbackData('detail', ref) }],
  };
}
