import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export type PhoneResult = { ok: true; e164: string } | { ok: false; code: 'PHONE_INVALID'; message: string };

/**
 * Normalizes a phone number in any of the shapes customers and platforms send to E.164:
 * `0812-8761-1943`, `+62 812 8761 1943`, `6281287611943` (Telegram's shared contact),
 * `6281287611943@c.us` (a WhatsApp chat id). Indonesia is the default country.
 */
export function normalizePhone(input: string, defaultCountry: 'ID' = 'ID'): PhoneResult {
  const invalid: PhoneResult = {
    ok: false,
    code: 'PHONE_INVALID',
    message: 'not a valid phone number (example: 0812-8761-1943)',
  };
  if (typeof input !== 'string' || input.length > 40) return invalid;
  let s = input.trim().replace(/@c\.us$/, '');
  if (!/^[+\d\s().\-/]+$/.test(s)) return invalid;
  const digits = s.replace(/\D/g, '');
  if (digits.length < 8 || digits.length > 15) return invalid;
  // Telegram and WhatsApp give international numbers without the plus sign.
  const lead = s.replace(/^[\s(]+/, '');
  if (!lead.startsWith('+') && !lead.startsWith('0')) s = `+${digits}`;
  // "00" international prefix.
  if (s.startsWith('00')) s = `+${digits.slice(2)}`;
  const parsed = parsePhoneNumberFromString(s, defaultCountry);
  if (!parsed?.isValid()) return invalid;
  return { ok: true, e164: parsed.number };
}
