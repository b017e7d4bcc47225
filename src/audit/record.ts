import { Types } from 'mongoose';
import type { Models } from '../db/index.js';
import { maskDetails } from '../privacy/index.js';

/** What the audit log is handed: its one collection. */
export interface AuditDeps {
  models: Pick<Models, 'AuditEvent'>;
}

export interface AuditInput {
  /** "customer", "staff:<id>", "telegram:<user id>", "system:<component>". */
  actor: string;
  /** e.g. "request.created", "request.status", "customer.erased". */
  action: string;
  ref?: string;
  customerId?: string | Types.ObjectId | null;
  /** Field names, counts, masked values. Masked again here, whatever the caller passed. */
  details?: Record<string, unknown>;
  /**
   * Same key, one event: a retried job or a re-run step writes nothing new. Defaults to
   * `<ref>:<action>` when a ref is given, so per-request actions are once-only unless the caller
   * chooses a finer key.
   */
  idempotencyKey?: string | null;
  at?: Date;
}

const isDuplicateKey = (err: unknown) =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;

/** An event as stored: details masked, key settled. Safe to keep elsewhere until it is written. */
export type AuditDoc = ReturnType<typeof auditDoc>;

export function auditDoc(input: AuditInput) {
  const key = input.idempotencyKey === undefined ? defaultKey(input) : (input.idempotencyKey ?? undefined);
  const customerId =
    input.customerId && Types.ObjectId.isValid(input.customerId)
      ? new Types.ObjectId(String(input.customerId))
      : undefined;
  return {
    at: input.at ?? new Date(),
    actor: input.actor,
    action: input.action,
    ...(input.ref ? { requestRef: input.ref } : {}),
    ...(customerId ? { customerId } : {}),
    details: maskDetails(input.details ?? {}) as Record<string, unknown>,
    ...(key ? { idempotencyKey: key } : {}),
  };
}

const defaultKey = (input: AuditInput) => (input.ref ? `${input.ref}:${input.action}` : undefined);

/**
 * Appends one audit event (UU PDP art. 31). Returns false when an event with the same
 * idempotency key already exists, which is the normal outcome of a retried job.
 */
export async function recordAudit(deps: AuditDeps, input: AuditInput): Promise<boolean> {
  try {
    await deps.models.AuditEvent.create(auditDoc(input));
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** Several events at once, each once-only; duplicates are skipped, the rest written. */
export async function recordAuditMany(deps: AuditDeps, inputs: AuditInput[]): Promise<number> {
  return insertAuditDocs(deps, inputs.map(auditDoc));
}

/**
 * Events already built by `auditDoc` (e.g. kept on a request until written), in one insert and
 * in the given order; duplicates are skipped, the rest written.
 */
export async function insertAuditDocs(deps: AuditDeps, docs: AuditDoc[]): Promise<number> {
  if (docs.length === 0) return 0;
  try {
    const written = await deps.models.AuditEvent.insertMany(docs, { ordered: false });
    return written.length;
  } catch (err) {
    const result = err as {
      code?: number;
      writeErrors?: { code?: number; err?: { code?: number } }[];
      insertedDocs?: unknown[];
    };
    const errors = result.writeErrors ?? [];
    const onlyDuplicates =
      errors.length > 0 ? errors.every((e) => (e.code ?? e.err?.code) === 11000) : isDuplicateKey(err);
    if (onlyDuplicates) return result.insertedDocs?.length ?? 0;
    throw err;
  }
}
