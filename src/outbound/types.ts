import type { OutboundMessage } from '../channels/types.js';

/** Why a message is sent, kept with it for the dead-letter view and promo bookkeeping. */
export interface OutboundMeta {
  requestRef?: string;
  promoId?: string;
  /** The customer a promo went to (an ObjectId, no personal data): ties a later STOP reply to them. */
  customerId?: string;
  /** A reply: when its inbound message reached the gateway (ms since epoch), for reply latency. */
  inboundAt?: number;
  /** Same key, same message: a retried producer does not send twice. */
  dedupeKey?: string;
  /**
   * Handed back to the sender's `onSent` hook with the platform's id of the message, so its
   * producer can find it later (the staff chat's question, whose reply answers it). Opaque, no
   * personal data.
   */
  correlation?: string;
  /** 'reply' (to an inbound message), 'notification', 'promo', 'staff'. */
  purpose?: 'reply' | 'notification' | 'promo' | 'staff' | 'otp';
}

/**
 * Every message to a customer or staff goes through here: queued, sent in order per chat,
 * retried on channel errors, dead-lettered when it cannot go. Implemented by `createOutbox` (outbox.ts).
 */
export interface Outbox {
  send(channel: string, chatId: string, messages: OutboundMessage[], meta?: OutboundMeta): Promise<void>;
}
