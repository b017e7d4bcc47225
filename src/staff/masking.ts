import { maskEmail } from '../audit/mask.js';
import { maskPhone, normalizePhone } from '../identity/phone.js';

/**
 * What staff may see of a customer in a shared chat: enough to recognize a case when the
 * customer calls, never enough to use. Staff who need more open the console, where showing a
 * field is itself audited.
 */

/** The honorific we print: neutral, since guessing a customer's gender from a name goes wrong. */
export const NEUTRAL_HONORIFIC = 'Bpk/Ibu';

/** `Siti Wulandari` → `S*** W***`. At most four words, so a long name does not spell itself out. */
export function maskName(name: string | null | undefined): string {
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '***';
  const shown = words.slice(0, 4).map((w) => `${initialOf(w)}***`);
  return words.length > 4 ? `${shown.join(' ')} …` : shown.join(' ');
}

/** The first letter, never a digit or a punctuation mark that could carry meaning. */
function initialOf(word: string): string {
  const letter = [...word].find((ch) => /\p{L}/u.test(ch));
  return letter ? letter.toLocaleUpperCase('id') : '*';
}

/** Any phone shape → `+62812****943`; what is not a phone at all → `****`. */
export function maskAnyPhone(value: string | null | undefined): string {
  if (!value) return '****';
  const normalized = normalizePhone(value);
  return maskPhone(normalized.ok ? normalized.e164 : value);
}

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

/** A free-text value (address, payment method): word initials and how long it is. */
export function maskFreeText(value: string): string {
  const words = value.trim().split(/\s+/).filter(Boolean);
  return `${words
    .slice(0, 3)
    .map((w) => `${initialOf(w)}***`)
    .join(' ')}${words.length > 3 ? ' …' : ''} (${value.trim().length} karakter)`;
}

/**
 * One changed field of an update request, masked by kind. Unknown fields show only that they
 * changed: a new field in the change schema must not leak before someone decides how to mask it.
 */
export function maskChangeValue(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) return '(kosong)';
  switch (field) {
    case 'name':
      return maskName(value);
    case 'phone':
      return maskAnyPhone(value);
    case 'email':
      return maskEmail(value);
    case 'address':
    case 'paymentMethod':
      return maskFreeText(value);
    default:
      return '(diubah)';
  }
}
