import { z } from 'zod';
import { normalizePhone } from '../identity/phone.js';

/**
 * The customer fields an update request may change, validated the same way when the request is
 * created (from the chat) and when the worker applies it (from MongoDB).
 */
export const UPDATABLE_FIELDS = ['name', 'address', 'email', 'paymentMethod', 'phone'] as const;
export type UpdatableField = (typeof UPDATABLE_FIELDS)[number];

const text = (min: number, max: number) =>
  z
    .string()
    .transform((s) => s.replace(/\s+/g, ' ').trim())
    .pipe(z.string().min(min).max(max));

export const updateChangesSchema = z
  .object({
    name: text(2, 100).optional(),
    address: text(8, 300).optional(),
    email: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.email({ message: 'not a valid email address' }))
      .optional(),
    paymentMethod: text(2, 60).optional(),
    phone: z
      .string()
      .transform((s, c) => {
        const r = normalizePhone(s);
        if (r.ok) return r.e164;
        c.addIssue({ code: 'custom', message: r.message });
        return z.NEVER;
      })
      .optional(),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'nothing to change' });

export type UpdateChanges = z.output<typeof updateChangesSchema>;

/** Field names present in a change set, in a stable order. */
export function changedFields(changes: UpdateChanges): UpdatableField[] {
  return UPDATABLE_FIELDS.filter((f) => changes[f] !== undefined);
}
