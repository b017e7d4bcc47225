import { Schema, type Types } from 'mongoose';

export const DEAD_LETTER_REASONS = [
  'RATE_LIMITED',
  'UNAVAILABLE',
  'CHAT_BLOCKED',
  'BAD_REQUEST',
  // Outside a platform's customer-service window, and not an approved template.
  'WINDOW_CLOSED',
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export interface DeadLetter {
  _id: Types.ObjectId;
  /** `<queue>/<job id>/<job timestamp>`: writing the same dead letter twice is a no-op. */
  key: string;
  channel: string;
  /** e.g. `62****43` or `+62812****943@c.us`: enough for staff to recognize, never the chat id. */
  maskedChat: string;
  /** Keyed hash of channel and chat id: finds every dead letter of a chat without storing it. */
  chatHash: string;
  reason: DeadLetterReason;
  /** The channel's sentence, long digit runs masked. */
  detail: string;
  /** The platform's own error code (WhatsApp Cloud API `131047`), whole: what staff look up. */
  platformCode?: string | null;
  purpose: string;
  requestRef?: string | null;
  promoId?: string | null;
  /** 'text', 'buttons', 'contact_request', 'document': never the message itself. */
  messageKind: string;
  /** Sends tried, including rounds with no adapter and rate-limit rounds. */
  attempts: number;
  status: 'open' | 'resolved';
  resolvedAt?: Date | null;
  resolvedBy?: string | null;
  createdAt: Date;
}

/**
 * A message that could not be delivered, for staff to see and act on (call the customer, fix
 * the configuration). Holds no message text and no chat id in clear (DESIGN.md: no raw personal
 * data outside the customer's own documents).
 */
export const deadLetterSchema = new Schema<DeadLetter>(
  {
    key: { type: String, required: true, unique: true },
    channel: { type: String, required: true },
    maskedChat: { type: String, required: true },
    chatHash: { type: String, required: true, index: true },
    reason: { type: String, enum: DEAD_LETTER_REASONS, required: true },
    detail: { type: String, required: true, maxlength: 300 },
    platformCode: { type: String, maxlength: 32 },
    purpose: { type: String, required: true },
    requestRef: { type: String, index: true },
    promoId: { type: String },
    messageKind: { type: String, required: true },
    attempts: { type: Number, required: true, min: 0 },
    status: { type: String, enum: ['open', 'resolved'], required: true, default: 'open' },
    resolvedAt: { type: Date },
    resolvedBy: { type: String },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { collection: 'deadletters', versionKey: false },
);
deadLetterSchema.index({ status: 1, createdAt: -1 });
