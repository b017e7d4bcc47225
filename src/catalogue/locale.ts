import { z } from 'zod';

/**
 * The languages hakdata speaks, Indonesian first. One type for flows, notices, OTP texts, the
 * console, cards, the access PDF and reports: adding a language is adding it here, and every
 * `Record<Locale, …>` that lacks it becomes a type error.
 */
export const LOCALES = ['id', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** The edge schema for a language arriving from outside (settings, forms, job payloads). */
export const localeSchema = z.enum(LOCALES);

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** A stored or typed language, or Indonesian when it is none we speak. */
export function toLocale(value: unknown): Locale {
  return isLocale(value) ? value : 'id';
}
