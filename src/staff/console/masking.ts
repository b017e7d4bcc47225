import { maskForStaff } from '../../privacy/index.js';

/**
 * How the console shows personal data until a staff member asks to see it (an audited action):
 * the privacy schema's staff view (src/privacy/), `—` where there is nothing.
 */
export function maskValue(field: string, value: unknown): string {
  return maskForStaff(field, value) ?? '—';
}

/** The change an update request asks for, field by field, masked. */
export function maskedChanges(
  changes: Record<string, unknown> | null | undefined,
): { field: string; value: string }[] {
  if (!changes) return [];
  return Object.entries(changes).map(([field, value]) => ({ field, value: maskValue(field, value) }));
}
