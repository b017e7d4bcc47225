import type { Locale } from '../catalogue/index.js';
import { maskAnyPhone, maskEmail, maskFreeText, maskName, maskString } from './maskers.js';
import { kindOf, type MaskKind } from './schema.js';

/**
 * The two ways a personal field is shown, both from the one schema. Staff (cards, console) see
 * enough to recognize a customer on the phone; the record (audit events, reports, kept for
 * years) keeps only what proves what happened: names and words customers wrote are hidden.
 */
const FOR_STAFF: Record<MaskKind, (value: string, lang: Locale) => string> = {
  name: maskName,
  phone: maskAnyPhone,
  email: maskEmail,
  freeText: maskFreeText,
  secret: () => '***',
  reference: (value) => value,
};

const FOR_RECORD: Record<MaskKind, (value: string) => string> = {
  name: (value) => (value ? '[hidden]' : ''),
  phone: maskAnyPhone,
  email: maskEmail,
  freeText: (value) => (value ? '[hidden]' : ''),
  secret: (value) => (value ? '[hidden]' : ''),
  reference: maskString,
};

/**
 * A field as staff may see it, in the language of the page or card it goes on (a free text's
 * length is worded); `undefined` when there is no value. A field the schema does not know shows
 * as `***`: a new field must not leak before someone decides how to mask it.
 */
export function maskForStaff(field: string, value: unknown, lang: Locale): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const kind = kindOf(field);
  return kind ? FOR_STAFF[kind](String(value), lang) : '***';
}

/** Audit details at any depth: known fields by kind, every other string with phones and emails masked. */
export function maskDetails(value: unknown, key?: string, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  if (depth > 6) return '[deep]';
  if (typeof value === 'string') {
    const kind = key === undefined ? undefined : kindOf(key);
    return kind ? FOR_RECORD[kind](value) : maskString(value);
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
