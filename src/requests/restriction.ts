import { z } from 'zod';
import { RESTRICTION_SCOPES } from '../db/index.js';

/**
 * What a `restrict` request asks (UU PDP art. 11), validated when the request is created (from the
 * chat or the console) and again when the worker applies it (from MongoDB).
 *
 * `apply`: restrict processing to `scope`, with the customer's optional reason in their words.
 * `lift`: end it; from the customer (`lanjutkan` / `resume`) or from staff, who must give a reason
 * the customer is told.
 */
export const RESTRICTION_REASON_MAX = 200;
export const STAFF_LIFT_REASON_MAX = 500;

const reason = z
  .string()
  .transform((s) => s.replace(/\s+/g, ' ').trim())
  .pipe(z.string().min(1).max(RESTRICTION_REASON_MAX, `at most ${RESTRICTION_REASON_MAX} characters`));

export const restrictChangesSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('apply'),
    scope: z.enum(RESTRICTION_SCOPES, { message: `scope must be one of ${RESTRICTION_SCOPES.join(', ')}` }),
    reason: reason.optional(),
  }),
  z.strictObject({
    action: z.literal('lift'),
    /** Staff only: why, in a sentence the customer is sent. */
    staffReason: z
      .string()
      .transform((s) => s.replace(/\s+/g, ' ').trim())
      .pipe(z.string().min(3).max(STAFF_LIFT_REASON_MAX))
      .optional(),
  }),
]);
export type RestrictChanges = z.output<typeof restrictChangesSchema>;

/** A lift by anyone but the customer needs a reason for the customer. */
export const isStaffActor = (actor: string) => actor !== 'customer';
