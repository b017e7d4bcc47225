import { Schema, type Types } from 'mongoose';

export interface ConsentEvent {
  granted: boolean;
  at: Date;
  source: string;
  channel?: string;
  words?: string;
  messageId?: string;
  promoId?: string;
  requestRef?: string;
}

/**
 * `marketing`: no promotions and no profiling; `all`: nothing but services already agreed and
 * legal obligations. Either way: no promotions, no exports but the customer's own access package.
 */
export const RESTRICTION_SCOPES = ['marketing', 'all'] as const;
export type RestrictionScope = (typeof RESTRICTION_SCOPES)[number];
export interface ProcessingRestriction {
  scope: RestrictionScope;
  since: Date;
  /** The customer's own words, optional (at most 200 characters). */
  reason?: string | null;
}

export interface Customer {
  _id: Types.ObjectId;
  customerNo: string;
  name?: string | null;
  phone?: string | null;
  email?: string | null;
  address?: string | null;
  area?: string | null;
  paymentMethod?: string | null;
  marketingConsent: { granted: boolean; updatedAt: Date; source: string };
  consentHistory: ConsentEvent[];
  erasedAt?: Date | null;
  /** UU PDP art. 11: processing restricted at the customer's request (absent or null when none). */
  processingRestriction?: ProcessingRestriction | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One change of marketing consent, kept as proof (UU PDP art. 24): who, when, how, in which words. */
const consentEventSchema = new Schema<ConsentEvent>(
  {
    granted: { type: Boolean, required: true },
    at: { type: Date, required: true },
    source: { type: String, required: true }, // e.g. "telegram:keyword", "seed", "request:PR-7K3M9Q"
    channel: { type: String },
    words: { type: String, maxlength: 200 },
    messageId: { type: String },
    promoId: { type: String },
    requestRef: { type: String },
  },
  { _id: false },
);

export const customerSchema = new Schema<Customer>(
  {
    customerNo: { type: String, required: true, unique: true },
    name: { type: String },
    /** E.164. Sparse so erased customers (phone removed) do not collide. */
    phone: { type: String, unique: true, sparse: true },
    email: { type: String },
    address: { type: String },
    /** Service area (kota/kecamatan) for promotion audiences; not personal on its own. */
    area: { type: String },
    paymentMethod: { type: String },
    marketingConsent: {
      granted: { type: Boolean, required: true, default: false },
      updatedAt: { type: Date, required: true, default: () => new Date() },
      source: { type: String, required: true, default: 'unknown' },
    },
    consentHistory: { type: [consentEventSchema], default: [] },
    erasedAt: { type: Date },
    processingRestriction: {
      type: new Schema<ProcessingRestriction>(
        {
          scope: { type: String, enum: RESTRICTION_SCOPES, required: true },
          since: { type: Date, required: true },
          reason: { type: String, maxlength: 200 },
        },
        { _id: false },
      ),
      default: undefined,
    },
  },
  { timestamps: true, collection: 'customers' },
);
