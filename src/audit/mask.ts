import { maskPhone } from '../identity/phone.js';

/**
 * Audit details must hold no raw personal data (DESIGN.md). Callers pass field names, counts and
 * masked values; this is the second line: known personal keys are masked by kind, and any string
 * that looks like a phone number or an email is masked wherever it appears.
 */

const HIDDEN_KEYS = new Set([
  'name',
  'address',
  'paymentMethod',
  'chatId',
  'senderId',
  'userId',
  'text',
  'body',
  'caption',
  'otp',
  'code',
  'token',
  'secret',
  'password',
]);
const PHONE_KEYS = new Set(['phone', 'newPhone', 'oldPhone', 'msisdn']);
const EMAIL_KEYS = new Set(['email', 'newEmail', 'oldEmail']);

// A run that starts like an Indonesian or international number; ids and dates do not.
const PHONE_LIKE = /(?:\+|\b0|\b62)\d[\d\s-]{6,14}\d/g;
const EMAIL_LIKE = /[^\s@]+@[^\s@]+\.[^\s@]+/g;

/** `siti.rahma@gmail.id` → `s***@g***.id`: recognizable to its owner, useless to anyone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${email[0]}***@${domain[0] ?? ''}***${tld}`;
}

function maskPhoneLike(value: string): string {
  const digits = value.replace(/\D/g, '');
  return maskPhone(`+${digits}`);
}

export function maskString(value: string): string {
  return value.replace(EMAIL_LIKE, (m) => maskEmail(m)).replace(PHONE_LIKE, (m) => maskPhoneLike(m));
}

export function maskDetails(value: unknown, key?: string, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  if (depth > 6) return '[deep]';
  if (typeof value === 'string') {
    if (key && HIDDEN_KEYS.has(key)) return value ? '[hidden]' : '';
    if (key && PHONE_KEYS.has(key)) return maskPhoneLike(value);
    if (key && EMAIL_KEYS.has(key)) return maskEmail(value);
    return maskString(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => maskDetails(v, key, depth + 1));
  if (typeof value === 'object') {
    // ObjectIds and other class instances: keep their string form.
    if (Object.getPrototypeOf(value) !== Object.prototype) return String(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      out[k] = maskDetails(v, k, depth + 1);
    return out;
  }
  return '[unsupported]';
}
