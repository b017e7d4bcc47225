import { z } from 'zod';
import { normalizePhone } from '../identity/phone.js';
import { RESTRICTION_REASON_MAX } from '../requests/index.js';
import type { InputKind } from './flow-schema.js';

/** A code is looked for in a sentence this long at most: "kode verifikasinya 123456 kak". */
const OTP_SENTENCE_MAX = 60;

export type InputResult = { ok: true; value: string } | { ok: false; reason: string };

const email = z.email().max(254);
const name = z
  .string()
  .min(2)
  .max(100)
  .regex(/^[\p{L}][\p{L} .'-]*$/u);

/**
 * Validates what a customer typed for one kind of question. The value is only ever a string
 * stored or compared as such, never a query: `{"$ne": null}` is just an invalid email.
 */
export function validateInput(kind: InputKind, raw: string): InputResult {
  const text = raw.trim();
  switch (kind) {
    case 'phone': {
      const result = normalizePhone(text);
      return result.ok ? { ok: true, value: result.e164 } : { ok: false, reason: 'input.invalid_phone' };
    }
    case 'otp': {
      const digits = text.replace(/[\s-]/g, '');
      if (/^\d{6}$/.test(digits)) return { ok: true, value: digits };
      // "kodenya 123456", "the code is 123 456": six digits, the only ones of a short message.
      const groups = text.length <= OTP_SENTENCE_MAX ? (text.match(/\d(?:[\s-]?\d)*/g) ?? []) : [];
      const only = groups.length === 1 ? (groups[0] ?? '').replace(/[\s-]/g, '') : '';
      return /^\d{6}$/.test(only) ? { ok: true, value: only } : { ok: false, reason: 'input.invalid_otp' };
    }
    case 'email': {
      const value = text.toLowerCase();
      return email.safeParse(value).success
        ? { ok: true, value }
        : { ok: false, reason: 'input.invalid_email' };
    }
    case 'name': {
      const value = text.replace(/\s+/g, ' ');
      return name.safeParse(value).success
        ? { ok: true, value }
        : { ok: false, reason: 'input.invalid_name' };
    }
    case 'address': {
      const value = text.replace(/\s+/g, ' ');
      return value.length >= 10 && value.length <= 300 && /\p{L}/u.test(value)
        ? { ok: true, value }
        : { ok: false, reason: 'input.invalid_address' };
    }
    case 'ref': {
      const value = text.toUpperCase().replace(/\s+/g, '');
      return /^PR-[A-Z0-9]{6}$/.test(value)
        ? { ok: true, value }
        : { ok: false, reason: 'input.invalid_ref' };
    }
    case 'reason': {
      // A reason the customer gives for a request (restriction), kept in their words: short.
      const value = text.replace(/\s+/g, ' ');
      return value.length > 0 && value.length <= RESTRICTION_REASON_MAX
        ? { ok: true, value }
        : { ok: false, reason: 'input.invalid_reason' };
    }
    case 'text':
      return text.length > 0 && text.length <= 500
        ? { ok: true, value: text }
        : { ok: false, reason: 'input.invalid_text' };
  }
}

export const INPUT_TEXTS = [
  'input.invalid_phone',
  'input.invalid_otp',
  'input.invalid_email',
  'input.invalid_name',
  'input.invalid_address',
  'input.invalid_ref',
  'input.invalid_text',
  'input.invalid_reason',
] as const;
