import { randomBytes } from 'node:crypto';

/**
 * Request refs customers can read aloud and type back: `PR-` and six characters from an
 * alphabet without the look-alikes 0/O and 1/I. 32 symbols, so one random byte masked to five
 * bits picks one without bias; 32^6 ≈ 1.07e9 refs, and a collision is retried on insert.
 */
export const REF_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const REF_PATTERN = /^PR-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}$/;

export function newRef(): string {
  const bytes = randomBytes(6);
  let out = 'PR-';
  for (const b of bytes) out += REF_ALPHABET[b & 31];
  return out;
}

/** What a customer types (`pr-7k3m9q`, `7K3M9Q`, ` PR 7K3M9Q `) → `PR-7K3M9Q`, or undefined. */
export function normalizeRef(input: string): string | undefined {
  const compact = input.trim().toUpperCase().replace(/[\s-]/g, '');
  const body = compact.startsWith('PR') && compact.length === 8 ? compact.slice(2) : compact;
  const ref = `PR-${body}`;
  return REF_PATTERN.test(ref) ? ref : undefined;
}
