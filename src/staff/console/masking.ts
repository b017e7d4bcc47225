import { maskForStaff } from '../../privacy/index.js';
import type { Lang } from './i18n.js';

/**
 * How the console shows personal data until a staff member asks to see it (an audited action):
 * the privacy schema's staff view (src/privacy/) in the console's language, `—` where there is
 * nothing.
 */
export function maskValue(field: string, value: unknown, lang: Lang): string {
  return maskForStaff(field, value, lang) ?? '—';
}

/** The change an update request asks for, field by field, masked. */
export function maskedChanges(
  changes: Record<string, unknown> | null | undefined,
  lang: Lang,
): { field: string; value: string }[] {
  if (!changes) return [];
  return Object.entries(changes).map(([field, value]) => ({ field, value: maskValue(field, value, lang) }));
}
