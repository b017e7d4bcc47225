import type { Locale } from '../catalogue/index.js';

/**
 * One masker per kind of personal datum (schema.ts). Enough for the customer or a staff member
 * on the phone with them to recognize a value, never enough to use it.
 */

/** `+6281287611943` → `+62812****943`: enough for a person to recognize, not to dial. */
export function maskPhone(e164: string): string {
  if (e164.length < 8) return '****';
  return `${e164.slice(0, 6)}****${e164.slice(-3)}`;
}

/**
 * Any phone shape (`0812-8761-1943`, `62812…`, `+62 812 …`) → `+62812****943`; what has too few or
 * too many digits for a phone → `****`. A national number (one leading 0) is Indonesian, as
 * hakdata's customers are; stored phones are E.164 already. No parsing library: masking must not
 * fail, and it needs only where the digits start.
 */
export function maskAnyPhone(value: string | null | undefined): string {
  const trimmed = (value ?? '').trim();
  const digits = trimmed.replace(/\D/g, '');
  if (digits.length < 8 || digits.length > 15) return '****';
  if (trimmed.startsWith('00')) return maskPhone(`+${digits.slice(2)}`);
  if (trimmed.startsWith('0')) return maskPhone(`+62${digits.slice(1)}`);
  return maskPhone(`+${digits}`);
}

/** `siti.rahma@gmail.id` → `s***@g***.id`: recognizable to its owner, useless to anyone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${email[0]}***@${domain[0] ?? ''}***${tld}`;
}

/** `Siti Wulandari` → `S*** W***`. At most four words, so a long name does not spell itself out. */
export function maskName(name: string | null | undefined): string {
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '***';
  const shown = words.slice(0, 4).map((w) => `${initialOf(w)}***`);
  return words.length > 4 ? `${shown.join(' ')} …` : shown.join(' ');
}

const CHARACTERS: Record<Locale, string> = { id: 'karakter', en: 'characters' };

/**
 * A free-text value (address, payment method): word initials and how long it is, the length
 * worded in the reader's language (`J*** M*** N*** … (33 karakter)`).
 */
export function maskFreeText(value: string, lang: Locale): string {
  const words = value.trim().split(/\s+/).filter(Boolean);
  return `${words
    .slice(0, 3)
    .map((w) => `${initialOf(w)}***`)
    .join(' ')}${words.length > 3 ? ' …' : ''} (${value.trim().length} ${CHARACTERS[lang]})`;
}

/** The first letter, never a digit or a punctuation mark that could carry meaning. */
function initialOf(word: string): string {
  const letter = [...word].find((ch) => /\p{L}/u.test(ch));
  return letter ? letter.toLocaleUpperCase('id') : '*';
}

// A run that starts like an Indonesian or international number; ids and dates do not.
const PHONE_LIKE = /(?:\+|\b0|\b62)\d[\d\s-]{6,14}\d/g;
const EMAIL_LIKE = /[^\s@]+@[^\s@]+\.[^\s@]+/g;

/** Any text (an error message, a value of no known field): phones and emails inside it masked. */
export function maskString(value: string): string {
  return value.replace(EMAIL_LIKE, (m) => maskEmail(m)).replace(PHONE_LIKE, (m) => maskAnyPhone(m));
}
