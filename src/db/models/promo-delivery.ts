import { Schema, type Types } from 'mongoose';

export const DELIVERY_STATES = ['pending', 'sent', 'failed', 'skipped'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * One customer's fate in one promotion. Written BEFORE the message leaves, and the unique
 * (promoId, customerId) index makes that write the claim: no second process, and no run after a
 * crash, can send the same promotion to the same customer again. A claim is written as `sent`
 * while its batch is listed in the promo's `inFlight` (the promo is marked first): only the rarer
 * outcomes are written again, by key, since on FerretDB every update reads the whole collection.
 * `pending` is what older runs wrote. The platform's message id is in `promomessages`.
 */
export interface PromoDelivery {
  /** `<promoId>:<customerId>`: the claim is a primary-key insert, and every later write finds it by key. */
  _id: string;
  promoId: string;
  customerId: Types.ObjectId;
  state: DeliveryState;
  /** The sender (its lease owner) that wrote the claim: after a batch insert, the claims it won. */
  claimedBy?: string | null;
  /** The claiming batch (random): listed in the promo's `inFlight` until its sends are done. */
  batch?: string | null;
  channel?: string | null;
  /** `direct` (this process called the channel) or `outbox` (queued for the session holder). */
  via?: 'direct' | 'outbox' | null;
  /** Why it was skipped (no_consent, erased, suppressed_phone, …). */
  reason?: string | null;
  /**
   * Why it failed: a channel error code, or INTERRUPTED (a crash while sending; maybe delivered);
   * `platformCode` the platform's own code when a direct send got one (WhatsApp Cloud API `132015`),
   * kept whole as the dead letters keep it, since the detail masks digit runs.
   */
  error?: { code: string; detail?: string | null; platformCode?: string | null } | null;
  attempts: number;
  createdAt: Date;
  sentAt?: Date | null;
}

export const promoDeliverySchema = new Schema<PromoDelivery>(
  {
    _id: { type: String, required: true },
    promoId: { type: String, required: true },
    customerId: { type: Schema.Types.ObjectId, required: true },
    state: { type: String, enum: DELIVERY_STATES, required: true },
    claimedBy: { type: String },
    batch: { type: String },
    channel: { type: String },
    via: { type: String, enum: ['direct', 'outbox'] },
    reason: { type: String },
    error: {
      type: new Schema(
        {
          code: { type: String, required: true },
          detail: { type: String },
          platformCode: { type: String, maxlength: 32 },
        },
        { _id: false },
      ),
      default: undefined,
    },
    attempts: { type: Number, default: 0 },
    createdAt: { type: Date, required: true, default: () => new Date() },
    sentAt: { type: Date },
  },
  { collection: 'promodeliveries', versionKey: false },
);
promoDeliverySchema.index({ promoId: 1, customerId: 1 }, { unique: true });
promoDeliverySchema.index({ promoId: 1, state: 1 });
promoDeliverySchema.index({ customerId: 1 });
