import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HMAC-SHA256 under the installation's OTP_SECRET. Used where a value must be recognizable
 * later but not readable: OTP codes in Redis, suppressed phone numbers in MongoDB.
 */
export function keyedHash(secret: string, purpose: string, value: string): string {
  return createHmac('sha256', secret).update(`${purpose}\u0000${value}`).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
