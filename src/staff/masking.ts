import { kindOf, maskAnyPhone, maskForStaff, maskName } from '../privacy/index.js';

/**
 * What staff may see of a customer in a shared chat: enough to recognize a case when the
 * customer calls, never enough to use. Staff who need more open the console, where showing a
 * field is itself audited. The masks are the privacy schema's (src/privacy/).
 */

/** The honorific we print: neutral, since guessing a customer's gender from a name goes wrong. */
export const NEUTRAL_HONORIFIC = 'Bpk/Ibu';

/** `Bpk/Ibu S*** W***, +62812****943`; an erased customer shows as such. */
export function maskedIdentity(
  customer: {
    name?: string | null;
    phone?: string | null;
    erasedAt?: Date | null;
    customerNo?: string;
  } | null,
): string {
  if (!customer) return '(pelanggan tidak diketahui)';
  if (customer.erasedAt)
    return customer.customerNo
      ? `(data pelanggan ${customer.customerNo} sudah dihapus)`
      : '(data pelanggan sudah dihapus)';
  const parts = [`${NEUTRAL_HONORIFIC} ${maskName(customer.name)}`];
  if (customer.phone) parts.push(maskAnyPhone(customer.phone));
  return parts.join(', ');
}

/**
 * One changed field of an update request, masked by the schema. A field the schema does not know
 * shows only that it changed: a new field must not leak before someone decides how to mask it.
 */
export function maskChangeValue(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) return '(kosong)';
  if (!kindOf(field)) return '(diubah)';
  // The cards are Indonesian, as the staff group's chat is.
  return maskForStaff(field, value, 'id') ?? '(kosong)';
}
