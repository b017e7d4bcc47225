import { Schema, type Types } from 'mongoose';

export interface Suppression {
  _id: Types.ObjectId;
  hash: string;
  kind: 'phone' | 'chat';
  reason: 'erased' | 'opted_out';
  source?: string | null;
  createdAt: Date;
}

/**
 * Numbers (or chats) never to be sent marketing: erased customers and opted-out senders.
 * Only a keyed hash is kept (see identity/keyed-hash.ts), so the list itself reveals no number.
 */
export const suppressionSchema = new Schema<Suppression>(
  {
    hash: { type: String, required: true, unique: true },
    kind: { type: String, enum: ['phone', 'chat'], required: true },
    reason: { type: String, enum: ['erased', 'opted_out'], required: true },
    source: { type: String },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { collection: 'suppressions', versionKey: false },
);
// A running promo's per-batch read of the entries added since its audience was read (src/promo/opt-out-watch.ts).
suppressionSchema.index({ createdAt: 1 });
