import { Schema, type Types } from 'mongoose';

export const PROMO_STATUSES = ['running', 'interrupted', 'completed'] as const;
export type PromoStatus = (typeof PROMO_STATUSES)[number];

/** Counts as the console shows them; the deliveries are the truth, this is their running sum. */
export interface PromoProgress {
  /** Customers the run has to decide on (sent + skipped + failed when done). */
  total: number;
  sent: number;
  skipped: number;
  failed: number;
  /** Messages per second over the current run. */
  perSecond: number;
  updatedAt: Date;
}

/** One `promo send` (or resume) of the promotion. */
export interface PromoRun {
  startedAt: Date;
  endedAt?: Date | null;
  outcome?: 'completed' | 'interrupted' | null;
  by: string;
  sent: number;
  /** Deliveries a crashed run left in flight, closed as failed (INTERRUPTED) at this start. */
  recovered: number;
}

export interface Promo {
  _id: Types.ObjectId;
  /** From the promo file; also the outbound meta's promoId and part of every dedupe key. */
  promoId: string;
  /** SHA-256 of the validated file content: a resume with a changed file is refused. */
  fileHash: string;
  message: { id: string; en: string };
  audience: { areas?: string[] | null; lastOrderSince?: Date | null; lastOrderUntil?: Date | null };
  channels: string[];
  /** Messages per second per channel, as applied. */
  rates: Record<string, number>;
  status: PromoStatus;
  /** Who may send right now: a live sender renews `until`; a resume waits for it or its death. */
  lease?: { owner: string; host: string; pid: number; until: Date } | null;
  /** Customers of the audience never considered: no consent, erased (counted when the run starts). */
  excluded: Record<string, number>;
  progress: PromoProgress;
  skippedByReason: Record<string, number>;
  failedByCode: Record<string, number>;
  runs: PromoRun[];
  /**
   * Batches whose deliveries are written (as `sent`, before the send) but not yet confirmed: what
   * a crash left uncertain. Random batch ids only, never a recipient (src/promo/lane.ts).
   */
  inFlight?: string[];
  createdAt: Date;
  updatedAt: Date;
  finishedAt?: Date | null;
}

const runSchema = new Schema<PromoRun>(
  {
    startedAt: { type: Date, required: true },
    endedAt: { type: Date },
    outcome: { type: String, enum: ['completed', 'interrupted'] },
    by: { type: String, required: true },
    sent: { type: Number, default: 0 },
    recovered: { type: Number, default: 0 },
  },
  { _id: false },
);

/**
 * A promotion (broadcast) and its progress, for the terminal report and the staff console.
 * Holds the message and the audience rule, never a recipient: those are in `promodeliveries`.
 */
export const promoSchema = new Schema<Promo>(
  {
    promoId: { type: String, required: true, unique: true },
    fileHash: { type: String, required: true },
    message: { id: { type: String, required: true }, en: { type: String, required: true } },
    audience: {
      areas: { type: [String], default: undefined },
      lastOrderSince: { type: Date },
      lastOrderUntil: { type: Date },
    },
    channels: { type: [String], required: true },
    rates: { type: Schema.Types.Mixed, default: {} },
    status: { type: String, enum: PROMO_STATUSES, required: true },
    lease: {
      type: new Schema(
        {
          owner: { type: String, required: true },
          host: { type: String, required: true },
          pid: { type: Number, required: true },
          until: { type: Date, required: true },
        },
        { _id: false },
      ),
      default: null,
    },
    excluded: { type: Schema.Types.Mixed, default: {} },
    progress: {
      total: { type: Number, default: 0 },
      sent: { type: Number, default: 0 },
      skipped: { type: Number, default: 0 },
      failed: { type: Number, default: 0 },
      perSecond: { type: Number, default: 0 },
      updatedAt: { type: Date, default: () => new Date() },
    },
    skippedByReason: { type: Schema.Types.Mixed, default: {} },
    failedByCode: { type: Schema.Types.Mixed, default: {} },
    runs: { type: [runSchema], default: [] },
    inFlight: { type: [String], default: [] },
    finishedAt: { type: Date },
  },
  { collection: 'promos', timestamps: true, minimize: false },
);
promoSchema.index({ status: 1, createdAt: -1 });
