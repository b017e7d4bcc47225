import { maskEmail } from '../../audit/mask.js';
import { maskPhone } from '../../identity/phone.js';

/**
 * How the console shows personal data until a staff member asks to see it (an audited action):
 * enough to recognize a customer on the phone, not enough to misuse.
 */

/** `Siti Wulandari` → `S*** W***`. */
export function maskName(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => `${w[0] ?? ''}***`)
    .join(' ');
}

/** `Jl. Melati No. 12, Kebayoran Baru` → `Jl. ***`: the kind of place, not the place. */
export function maskAddress(address: string): string {
  const first = address.trim().split(/\s+/)[0] ?? '';
  return first.length <= 4 ? `${first} ***` : '***';
}

export function maskValue(field: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  const s = String(value);
  switch (field) {
    case 'name':
      return maskName(s);
    case 'phone':
    case 'newPhone':
      return maskPhone(s);
    case 'email':
      return maskEmail(s);
    case 'address':
      return maskAddress(s);
    case 'paymentMethod':
      return `${s[0] ?? ''}***`;
    // Consent proof: ids are ours, the customer's own words are not shown.
    case 'promoId':
    case 'messageId':
    // A restriction's kind and scope are codes; staff's lift reason was written for the customer.
    case 'action':
    case 'scope':
    case 'staffReason':
      return s;
    default:
      return '***';
  }
}

/** The change an update request asks for, field by field, masked. */
export function maskedChanges(
  changes: Record<string, unknown> | null | undefined,
): { field: string; value: string }[] {
  if (!changes) return [];
  return Object.entries(changes).map(([field, value]) => ({ field, value: maskValue(field, value) }));
}
