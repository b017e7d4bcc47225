import { z } from 'zod';
import type { PrivacyRequest, RequestType } from '../db/index.js';
import { updateChangesSchema } from './changes.js';
import { restrictChangesSchema } from './restriction.js';

/**
 * What a request carries beyond its type, as one zod discriminated union by request type. The
 * `changes` field is stored as MongoDB's Mixed (the data contract keeps its name and shape); this
 * union is the only way code reads or writes it, at creation and again in the worker, so an
 * update's fields, a restriction's scope and a consent's proof cannot be mistaken for each other.
 */

/**
 * Consent (unsubscribe, subscribe): the proof UU PDP asks for, in the customer's words and the
 * promotion they answered, and whether the chat already told them (then the worker sends nothing).
 */
export const consentChangesSchema = z.strictObject({
  words: z.string().max(200).optional(),
  messageId: z.string().max(128).optional(),
  promoId: z.string().max(64).optional(),
  toldInChat: z.literal(true).optional(),
});
export type ConsentChanges = z.output<typeof consentChangesSchema>;

export const requestPayloadSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('access') }),
  z.strictObject({ type: z.literal('update'), changes: updateChangesSchema }),
  z.strictObject({ type: z.literal('erase') }),
  z.strictObject({ type: z.literal('unsubscribe'), changes: consentChangesSchema.optional() }),
  z.strictObject({ type: z.literal('subscribe'), changes: consentChangesSchema.optional() }),
  z.strictObject({ type: z.literal('restrict'), changes: restrictChangesSchema }),
]);
export type RequestPayload = z.output<typeof requestPayloadSchema>;
export type PayloadOf<T extends RequestType> = Extract<RequestPayload, { type: T }>;

export type PayloadResult<T extends RequestType> =
  | { ok: true; payload: PayloadOf<T> }
  | { ok: false; message: string };

/** Keeps only the values that are there: MongoDB stores no `undefined` keys. */
const present = (changes: object) =>
  Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));

/**
 * A request's payload checked against its type: as given to `create` (raw input) or as stored
 * (a document read back). A type with no payload ignores stray `changes` it never stores.
 */
export function parsePayload<T extends RequestType>(type: T, changes: unknown): PayloadResult<T> {
  const needsChanges = type === 'update' || type === 'restrict';
  const input =
    changes === undefined || changes === null
      ? needsChanges
        ? { type, changes: {} }
        : { type }
      : type === 'access' || type === 'erase'
        ? { type }
        : { type, changes };
  const parsed = requestPayloadSchema.safeParse(input);
  if (!parsed.success) return { ok: false, message: parsed.error.issues[0]?.message ?? 'input' };
  const payload = parsed.data as PayloadOf<T>;
  if ('changes' in payload && payload.changes)
    return { ok: true, payload: { ...payload, changes: present(payload.changes) } as PayloadOf<T> };
  return { ok: true, payload };
}

/** The stored payload of a request, read back by the worker that applies it. */
export function payloadOf<T extends RequestType>(
  request: Pick<PrivacyRequest, 'changes'> & { type: T },
): PayloadResult<T> {
  return parsePayload(request.type, request.changes);
}
