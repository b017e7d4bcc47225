import { randomBytes, randomInt } from 'node:crypto';
import { z } from 'zod';
import type { RedisStore } from '../app/context.js';
import { type Locale, localeSchema } from '../catalogue/index.js';
import type { Config } from '../config/index.js';
import type { Models } from '../db/index.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { maskPhone } from '../privacy/index.js';
import { keyedHash, sameHash } from './keyed-hash.js';
import { OtpError } from './otp-errors.js';
import type { OtpProvider } from './otp-providers/types.js';
import { otpMessage } from './otp-text.js';
import { normalizePhone } from './phone.js';
import { takeFromWindows } from './rate-limit.js';

export { OtpError } from './otp-errors.js';

/**
 * One-time codes by phone (DESIGN.md, Identity).
 *
 * Enumeration and SMS abuse: a code is delivered only to a number that belongs to a customer
 * (purpose 'verify'), so nobody can use the bot to send SMS to strangers. Every other step is the
 * same for known and unknown numbers: the same rate limits are taken, a code record is stored
 * (so verifying answers wrong/locked/expired alike), the same status is returned, and delivery
 * runs after the reply in both cases (it is never awaited), so the reply's timing does not
 * depend on the number either. Purpose 'new_phone' (a verified customer proving a new number)
 * delivers to any valid number: the caller only offers it to a chat already verified.
 */

export interface OtpLimits {
  codeTtlSeconds: number;
  /** Wrong tries a code survives; the last one kills it. */
  maxWrongAttempts: number;
  resendCooldownSeconds: number;
  maxCodesPerPhone: number;
  phoneWindowSeconds: number;
  maxCodesPerChat: number;
  chatWindowSeconds: number;
}

export const DEFAULT_OTP_LIMITS: OtpLimits = {
  codeTtlSeconds: 300,
  maxWrongAttempts: 5,
  resendCooldownSeconds: 60,
  maxCodesPerPhone: 3,
  phoneWindowSeconds: 15 * 60,
  maxCodesPerChat: 5,
  chatWindowSeconds: 3600,
};

export interface OtpServiceOptions extends Partial<OtpLimits> {
  /** Milliseconds since the epoch; tests pass a fake clock. */
  now?: () => number;
  /** Whether a number belongs to a customer; default: a `customers` document with that phone. */
  isCustomerPhone?: (e164: string) => Promise<boolean>;
}

export type OtpPurpose = 'verify' | 'new_phone';

export interface RequestCodeInput {
  phone: string;
  channel: string;
  chatId: string;
  locale: Locale;
  purpose?: OtpPurpose;
}

export interface VerifyCodeInput {
  phone: string;
  channel: string;
  chatId: string;
  code: string;
  purpose?: OtpPurpose;
}

export type RequestCodeResult =
  | { status: 'sent' }
  | { status: 'limited'; retryAfterSeconds: number }
  /** `pendingCode`: this chat still holds a usable code for this number (the cooldown is per phone). */
  | { status: 'cooldown'; retryAfterSeconds: number; pendingCode: boolean };

export type VerifyCodeResult =
  | { ok: true }
  | { ok: false; reason: 'wrong' | 'locked'; attemptsLeft: number }
  | { ok: false; reason: 'expired' | 'none' };

export interface OtpService {
  /** 'sent' also for numbers that are not customers (see above): the caller learns nothing. */
  requestCode(input: RequestCodeInput): Promise<RequestCodeResult>;
  /** A code is bound to the phone, the chat and the purpose it was requested for; single use. */
  verifyCode(input: VerifyCodeInput): Promise<VerifyCodeResult>;
  /** Waits for deliveries in flight (tests, graceful shutdown). */
  drain(): Promise<void>;
  readonly limits: OtpLimits;
}

const requestSchema = z.object({
  phone: z.string().min(1).max(40),
  channel: z.string().min(1).max(32),
  chatId: z.string().min(1).max(128),
  locale: localeSchema,
  purpose: z.enum(['verify', 'new_phone']).default('verify'),
});

const verifySchema = z.object({
  phone: z.string().min(1).max(40),
  channel: z.string().min(1).max(32),
  chatId: z.string().min(1).max(128),
  code: z.string().max(100),
  purpose: z.enum(['verify', 'new_phone']).default('verify'),
});

// Increment tries only while the record exists (it may expire between read and write).
const COUNT_TRY = `if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[1], 'tries', 1)`;
// Single use: only the request that deletes the record it checked gets { ok: true }.
const CONSUME = `if redis.call('HGET', KEYS[1], 'h') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OtpError('INVALID_INPUT', `Invalid OTP call: ${issue?.path.join('.')} ${issue?.message}`);
  }
  return parsed.data;
}

const otpTag = (secret: string, purpose: string, value: string) =>
  keyedHash(secret, purpose, value).slice(0, 32);

/** Codes and windows live in Redis under keys hashed with the OTP secret. */
export type OtpKeys = Pick<RedisStore, 'key'> & { config: { otp: Pick<Config['otp'], 'secret'> } };

/**
 * What the service is handed: Redis, the secret and the business name its messages carry, the
 * customers (whether a number is one), a logger and the OTP metrics.
 */
export type OtpServiceDeps = RedisStore &
  OtpKeys & {
    config: { business: Pick<Config['business'], 'name'> };
    models: Pick<Models, 'Customer'>;
    logger: Logger;
    metrics?: Pick<Metrics, 'otpDeliveries' | 'otpRefused' | 'otpIssued' | 'otpVerified'> | undefined;
  };

const otpCodeKey = (ctx: OtpKeys, purpose: OtpPurpose, channel: string, chatId: string, e164: string) =>
  ctx.key(
    'otp',
    'code',
    otpTag(ctx.config.otp.secret, 'otp-slot', [purpose, channel, chatId, e164].join('\u0000')),
  );

/**
 * Erasure: every OTP key of a phone that can be named — its code slots in the given chats (both
 * purposes) and its send windows. Keys are keyed hashes, so they can be named, never listed.
 */
export function otpKeysOfPhone(
  ctx: OtpKeys,
  e164: string,
  chats: { channel: string; chatId: string }[],
): string[] {
  const phoneTag = otpTag(ctx.config.otp.secret, 'otp-phone', e164);
  const purposes: OtpPurpose[] = ['verify', 'new_phone'];
  return [
    ctx.key('otp', 'limit', 'phone', phoneTag),
    ctx.key('otp', 'limit', 'cooldown', phoneTag),
    ...chats.flatMap((c) => purposes.map((p) => otpCodeKey(ctx, p, c.channel, c.chatId, e164))),
  ];
}

export function createOtpService(
  ctx: OtpServiceDeps,
  provider: OtpProvider,
  options: OtpServiceOptions = {},
): OtpService {
  const limits: OtpLimits = {
    codeTtlSeconds: options.codeTtlSeconds ?? DEFAULT_OTP_LIMITS.codeTtlSeconds,
    maxWrongAttempts: options.maxWrongAttempts ?? DEFAULT_OTP_LIMITS.maxWrongAttempts,
    resendCooldownSeconds: options.resendCooldownSeconds ?? DEFAULT_OTP_LIMITS.resendCooldownSeconds,
    maxCodesPerPhone: options.maxCodesPerPhone ?? DEFAULT_OTP_LIMITS.maxCodesPerPhone,
    phoneWindowSeconds: options.phoneWindowSeconds ?? DEFAULT_OTP_LIMITS.phoneWindowSeconds,
    maxCodesPerChat: options.maxCodesPerChat ?? DEFAULT_OTP_LIMITS.maxCodesPerChat,
    chatWindowSeconds: options.chatWindowSeconds ?? DEFAULT_OTP_LIMITS.chatWindowSeconds,
  };
  const now = options.now ?? Date.now;
  const secret = ctx.config.otp.secret;
  const isCustomerPhone =
    options.isCustomerPhone ??
    (async (e164: string) => (await ctx.models.Customer.exists({ phone: e164 })) !== null);
  const logger = ctx.logger.child({ component: 'otp' });
  const inFlight = new Set<Promise<void>>();
  // Both series from the start, so the first failures show in the alert's increase().
  for (const result of ['delivered', 'failed'] as const)
    ctx.metrics?.otpDeliveries.inc({ provider: provider.name, result }, 0);

  // Redis keys carry keyed hashes, never the number or the chat id.
  const tag = (purpose: string, value: string) => otpTag(secret, purpose, value);
  const codeKey = (purpose: OtpPurpose, channel: string, chatId: string, e164: string) =>
    otpCodeKey(ctx, purpose, channel, chatId, e164);

  const phoneOf = (input: string): string => {
    const phone = normalizePhone(input);
    if (!phone.ok) throw new OtpError('PHONE_INVALID', 'Not a valid phone number (example: 0812-8761-1943)');
    return phone.e164;
  };

  function deliverLater(e164: string, code: string, locale: Locale) {
    const text = otpMessage({
      businessName: ctx.config.business.name,
      code,
      validMinutes: Math.round(limits.codeTtlSeconds / 60),
      locale,
    });
    const job = provider
      .deliver(e164, text, locale, { code })
      .then(() => {
        ctx.metrics?.otpDeliveries.inc({ provider: provider.name, result: 'delivered' });
        logger.info({ provider: provider.name, maskedPhone: maskPhone(e164) }, 'code delivered');
      })
      .catch((err: unknown) => {
        ctx.metrics?.otpDeliveries.inc({ provider: provider.name, result: 'failed' });
        logger.error(
          {
            provider: provider.name,
            maskedPhone: maskPhone(e164),
            errorCode: err instanceof OtpError ? err.code : 'UNKNOWN',
            reason: err instanceof OtpError ? err.message : 'delivery threw',
          },
          'code delivery failed',
        );
      })
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
  }

  async function checkCode(raw: unknown): Promise<VerifyCodeResult> {
    const input = parseOrThrow(verifySchema, raw);
    const e164 = phoneOf(input.phone);
    const key = codeKey(input.purpose, input.channel, input.chatId, e164);
    const record = await ctx.redis.hgetall(key);
    if (!record.h || !record.n) return { ok: false, reason: 'none' };
    if (now() >= Number(record.exp)) return { ok: false, reason: 'expired' };
    if (Number(record.tries) >= limits.maxWrongAttempts)
      return { ok: false, reason: 'locked', attemptsLeft: 0 };

    const tries = Number(await ctx.redis.eval(COUNT_TRY, 1, key));
    if (tries < 0) return { ok: false, reason: 'expired' };
    if (tries > limits.maxWrongAttempts) return { ok: false, reason: 'locked', attemptsLeft: 0 };

    // Customers type "123 456" or "123-456"; anything else simply does not match.
    const typed = input.code.replace(/[\s-]/g, '');
    const candidate = keyedHash(secret, 'otp-code', `${record.n}\u0000${typed}`);
    if (sameHash(candidate, record.h)) {
      const consumed = Number(await ctx.redis.eval(CONSUME, 1, key, record.h));
      if (consumed === 1) {
        logger.info({ purpose: input.purpose }, 'code verified');
        return { ok: true };
      }
      return { ok: false, reason: 'none' };
    }
    const attemptsLeft = limits.maxWrongAttempts - tries;
    logger.info({ purpose: input.purpose, attemptsLeft }, 'wrong code');
    return attemptsLeft > 0
      ? { ok: false, reason: 'wrong', attemptsLeft }
      : { ok: false, reason: 'locked', attemptsLeft: 0 };
  }

  return {
    limits,

    async requestCode(raw) {
      const input = parseOrThrow(requestSchema, raw);
      const e164 = phoneOf(input.phone);
      const at = now();
      const phoneTag = tag('otp-phone', e164);
      const decision = await takeFromWindows(
        ctx.redis,
        [
          {
            key: ctx.key('otp', 'limit', 'chat', tag('otp-chat', `${input.channel}\u0000${input.chatId}`)),
            limit: limits.maxCodesPerChat,
            windowMs: limits.chatWindowSeconds * 1000,
          },
          {
            key: ctx.key('otp', 'limit', 'phone', phoneTag),
            limit: limits.maxCodesPerPhone,
            windowMs: limits.phoneWindowSeconds * 1000,
          },
          {
            key: ctx.key('otp', 'limit', 'cooldown', phoneTag),
            limit: 1,
            windowMs: limits.resendCooldownSeconds * 1000,
          },
        ],
        at,
        `${at}-${randomBytes(6).toString('hex')}`,
      );
      if (!decision.allowed) {
        // A window cap outranks the cooldown: it is the longer wait and the truer answer.
        const capped = decision.blocked.filter((b) => b.index !== 2);
        const retryAfterMs = Math.max(...decision.blocked.map((b) => b.retryAfterMs));
        const status = capped.length > 0 ? 'limited' : 'cooldown';
        logger.info({ status, purpose: input.purpose }, 'code request refused by rate limit');
        ctx.metrics?.otpRefused.inc({ reason: status === 'limited' ? 'rate_limited' : 'cooldown' });
        const retryAfterSeconds = Math.ceil(retryAfterMs / 1000);
        if (status === 'limited') return { status, retryAfterSeconds };
        // The cooldown is per phone, but "the previous code still works" is only true of a code
        // this chat holds for this number and purpose: not used, not expired, not killed by
        // wrong tries. A code used a moment ago, or asked for in another chat, is not one.
        const slot = codeKey(input.purpose, input.channel, input.chatId, e164);
        const [exp, tries] = await ctx.redis.hmget(slot, 'exp', 'tries');
        const pendingCode =
          exp !== null && at < Number(exp) && Number(tries ?? Number.NaN) < limits.maxWrongAttempts;
        return { status, retryAfterSeconds, pendingCode };
      }

      // Same work for known and unknown numbers; only the delivery differs, and it is not awaited.
      const deliver = input.purpose === 'new_phone' || (await isCustomerPhone(e164));
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const nonce = randomBytes(16).toString('hex');
      const key = codeKey(input.purpose, input.channel, input.chatId, e164);
      const ttlMs = limits.codeTtlSeconds * 1000;
      await ctx.redis
        .multi()
        .del(key)
        .hset(key, {
          h: keyedHash(secret, 'otp-code', `${nonce}\u0000${code}`),
          n: nonce,
          tries: 0,
          exp: at + ttlMs,
        })
        // Redis forgets the record a minute after it stops mattering; `exp` decides validity.
        .pexpire(key, ttlMs + 60_000)
        .exec();
      if (deliver) deliverLater(e164, code, input.locale);
      logger.info({ purpose: input.purpose, provider: provider.name }, 'code issued');
      ctx.metrics?.otpIssued.inc({ purpose: input.purpose });
      return { status: 'sent' };
    },

    async verifyCode(raw) {
      const result = await checkCode(raw);
      if (result.ok) ctx.metrics?.otpVerified.inc({ purpose: parseOrThrow(verifySchema, raw).purpose });
      else ctx.metrics?.otpRefused.inc({ reason: result.reason });
      return result;
    },

    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
