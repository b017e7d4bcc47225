import { Schema, type Types } from 'mongoose';

/**
 * Which promotion a platform message was, so a reply to it (STOP quoting the promo) names the
 * promotion in the consent proof. Insert-only; the key is what a reply carries.
 */
export interface PromoMessage {
  /** `<chatHash>:<platform message id>`; chatHash as in requests/suppression.ts (no chat id in clear). */
  _id: string;
  promoId: string;
  customerId: Types.ObjectId;
  channel: string;
  sentAt: Date;
}

export const promoMessageSchema = new Schema<PromoMessage>(
  {
    _id: { type: String, required: true },
    promoId: { type: String, required: true },
    customerId: { type: Schema.Types.ObjectId, required: true },
    channel: { type: String, required: true },
    sentAt: { type: Date, required: true },
  },
  { collection: 'promomessages', versionKey: false },
);
promoMessageSchema.index({ promoId: 1 });
// Erasure deletes a customer's records.
promoMessageSchema.index({ customerId: 1 });
