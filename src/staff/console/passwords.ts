import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Staff passwords, hashed with scrypt (memory-hard, in node:crypto: no native dependency).
 * N = 2^15, r = 8, p = 3 is one of OWASP's equivalent minimums: 32 MiB and a few hundred
 * milliseconds of CPU a guess. The parameters travel in the stored string
 * (`scrypt$N$r$p$salt$hash`), so they can be raised later without breaking old hashes.
 */

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
export const SCRYPT_PARAMS: Readonly<ScryptParams> = { N: 2 ** 15, r: 8, p: 3 };
const KEY_LENGTH = 32;
const SALT_BYTES = 16;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `params` only for fixtures that need many cheap accounts; real accounts take the default. */
export async function hashPassword(password: string, params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

const PARSE = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/** Constant-time comparison; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = PARSE.exec(stored);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Refuse parameters nobody here wrote: a tampered hash must not make us allocate gigabytes.
  if (N > 2 ** 20 || r > 32 || p > 16) return false;
  const expected = Buffer.from(m[5] ?? '', 'base64url');
  const key = await derive(password, Buffer.from(m[4] ?? '', 'base64url'), { N, r, p });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Checked for every new password: a reason in both languages, or undefined when acceptable. */
export function passwordProblem(password: string): { id: string; en: string } | undefined {
  if (password.length < MIN_PASSWORD_LENGTH)
    return {
      id: `Kata sandi minimal ${MIN_PASSWORD_LENGTH} karakter.`,
      en: `The password needs at least ${MIN_PASSWORD_LENGTH} characters.`,
    };
  if (password.length > MAX_PASSWORD_LENGTH)
    return {
      id: `Kata sandi maksimal ${MAX_PASSWORD_LENGTH} karakter.`,
      en: `The password may have at most ${MAX_PASSWORD_LENGTH} characters.`,
    };
  return undefined;
}

/** A hash of a random password, so an unknown username costs as much time as a known one. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(18).toString('base64url'));
  return dummy;
}

/** A password for generated accounts (the demo admin): 24 characters of base64url. */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
