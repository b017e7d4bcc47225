import { Schema, type Types } from 'mongoose';

export interface AuditEvent {
  _id: Types.ObjectId;
  at: Date;
  actor: string;
  action: string;
  requestRef?: string | null;
  customerId?: Types.ObjectId | null;
  details?: Record<string, unknown> | null;
  idempotencyKey?: string | null;
}

/**
 * Append-only record of every request, decision and change (UU PDP art. 31).
 * `details` holds masked values only (maskPhone, field names, counts), never raw personal data.
 */
export const auditEventSchema = new Schema<AuditEvent>(
  {
    at: { type: Date, required: true, default: () => new Date() },
    actor: { type: String, required: true }, // "customer", "staff:<id>", "system:<component>"
    action: { type: String, required: true }, // e.g. "request.created", "request.status", "customer.erased"
    requestRef: { type: String, index: true },
    customerId: { type: Schema.Types.ObjectId, index: true },
    details: { type: Schema.Types.Mixed },
    /** Makes a retried write a no-op: same key, same event. */
    idempotencyKey: { type: String, unique: true, sparse: true },
  },
  { collection: 'auditevents', versionKey: false },
);
auditEventSchema.index({ at: -1 });

const refuse = () => {
  throw Object.assign(new Error('audit events are append-only'), { code: 'AUDIT_APPEND_ONLY' });
};
for (const op of [
  'updateOne',
  'updateMany',
  'findOneAndUpdate',
  'replaceOne',
  'deleteOne',
  'deleteMany',
  'findOneAndDelete',
] as const) {
  auditEventSchema.pre(op, refuse);
}
