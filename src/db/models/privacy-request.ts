import { Schema, type Types } from 'mongoose';

export const REQUEST_TYPES = ['access', 'update', 'erase', 'unsubscribe', 'subscribe', 'restrict'] as const;
export const REQUEST_STATUSES = [
  'pending_approval',
  'queued',
  'processing',
  'completed',
  'rejected',
  'failed',
  'cancelled',
] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export interface HistoryEntry {
  at: Date;
  from: RequestStatus | null;
  to: RequestStatus;
  actor: string;
  note?: string;
}
export interface RequestFlag {
  code: string;
  /** In Indonesian, as written when flagged; readers word it by code and `n` (src/catalogue/). */
  reason: string;
  /** The number the reason states (orders, the daily limit); absent on requests stored before it. */
  n?: number;
}
export interface Decision {
  outcome?: 'approved' | 'rejected';
  by?: string;
  at?: Date;
  reason?: string;
}
export interface PrivacyRequest {
  _id: Types.ObjectId;
  ref: string;
  type: RequestType;
  customerId?: Types.ObjectId | null;
  channel: string;
  chatId: string;
  locale: string;
  status: RequestStatus;
  /** As stored (Mixed); code reads and writes it only through the union in src/requests/payload.ts. */
  changes?: Record<string, unknown> | null;
  flags: RequestFlag[];
  decision?: Decision | null;
  dueAt: Date;
  reminders: string[];
  history: HistoryEntry[];
  result?: Record<string, unknown> | null;
  attempts: number;
  /** Set with a closing status until its audit event is written; the reconciler finishes it. */
  auditPending?: boolean;
  /**
   * Audit events (masked, as stored) that are not derivable from `history`, kept with the closing
   * status until written: the reconciler writes them if the process died first.
   */
  pendingAudit?: Record<string, unknown>[] | null;
  createdAt: Date;
  updatedAt: Date;
}

const historyEntrySchema = new Schema<HistoryEntry>(
  {
    at: { type: Date, required: true },
    from: { type: String, default: null },
    to: { type: String, enum: REQUEST_STATUSES, required: true },
    actor: { type: String, required: true }, // "customer", "staff:<id>", "system:<worker>"
    note: { type: String },
  },
  { _id: false },
);

const flagSchema = new Schema<RequestFlag>(
  {
    code: { type: String, required: true }, // e.g. OPEN_ORDER, UNPAID_ORDER, PHONE_CHANGE, TOO_MANY_REQUESTS
    reason: { type: String, required: true },
    n: { type: Number },
  },
  { _id: false },
);

export const privacyRequestSchema = new Schema<PrivacyRequest>(
  {
    ref: { type: String, required: true, unique: true },
    type: { type: String, enum: REQUEST_TYPES, required: true },
    customerId: { type: Schema.Types.ObjectId, index: true },
    channel: { type: String, required: true },
    chatId: { type: String, required: true },
    locale: { type: String, default: 'id' },
    status: { type: String, enum: REQUEST_STATUSES, required: true },
    /** For update: the validated fields to change. Never logged. */
    changes: { type: Schema.Types.Mixed },
    flags: { type: [flagSchema], default: [] },
    decision: {
      outcome: { type: String, enum: ['approved', 'rejected'] },
      by: { type: String },
      at: { type: Date },
      reason: { type: String },
    },
    dueAt: { type: Date, required: true },
    /** SLA reminders already sent, by name ("24h", "48h", "overdue"), so each goes out once. */
    reminders: { type: [String], default: [] },
    history: { type: [historyEntrySchema], default: [] },
    result: { type: Schema.Types.Mixed },
    attempts: { type: Number, default: 0 },
    auditPending: { type: Boolean },
    pendingAudit: { type: [Schema.Types.Mixed], default: undefined },
  },
  { timestamps: true, collection: 'privacyrequests' },
);
privacyRequestSchema.index({ status: 1, dueAt: 1 });
privacyRequestSchema.index({ customerId: 1, createdAt: -1 });
// A running promo's per-batch read of the requests made since its audience was read (src/promo/opt-out-watch.ts).
privacyRequestSchema.index({ createdAt: 1 });
// The reconciler's look for closed requests whose audit events a dead process left unwritten:
// sparse, so it holds only the few marked ones.
privacyRequestSchema.index({ auditPending: 1, updatedAt: 1 }, { sparse: true });
