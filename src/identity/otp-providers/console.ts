import { z } from 'zod';
import type { RedisStore } from '../../app/context.js';
import type { Logger } from '../../logging/logger.js';
import { maskPhone } from '../../privacy/index.js';
import { OtpError } from '../otp-errors.js';
import type { OtpProvider } from './types.js';

const OUTBOX_SIZE = 50;

export interface DevOtpEntry {
  maskedPhone: string;
  phoneLast4: string;
  code: string;
  locale: string;
  /** ISO time of delivery. */
  at: string;
}

const entrySchema = z.object({
  maskedPhone: z.string(),
  phoneLast4: z.string(),
  code: z.string(),
  locale: z.string(),
  at: z.string(),
});

const outboxKey = (deps: Pick<RedisStore, 'key'>) => deps.key('dev-otp-outbox');

/**
 * Development only: instead of an SMS, the code goes to a short Redis list that the local web
 * chat shows beside the conversation. Nothing personal is logged; the list keeps the last 50.
 * Refused in production (the configuration refuses OTP_PROVIDER=console there too).
 */
/** The development outbox lives in Redis; refused in production. */
export type ConsoleOtpDeps = RedisStore & { config: { isProduction: boolean }; logger: Logger };

export function createConsoleOtpProvider(deps: ConsoleOtpDeps): OtpProvider {
  if (deps.config.isProduction) {
    throw new OtpError(
      'PROVIDER_REFUSED',
      'The console OTP provider is for development and is refused in production',
    );
  }
  const logger = deps.logger.child({ component: 'otp-console' });
  return {
    name: 'console',
    async deliver(phone, _text, locale, details) {
      const entry: DevOtpEntry = {
        maskedPhone: maskPhone(phone),
        phoneLast4: phone.slice(-4),
        code: details?.code ?? '',
        locale,
        at: new Date().toISOString(),
      };
      await deps.redis
        .multi()
        .lpush(outboxKey(deps), JSON.stringify(entry))
        .ltrim(outboxKey(deps), 0, OUTBOX_SIZE - 1)
        .expire(outboxKey(deps), 24 * 3600)
        .exec();
      logger.info({ maskedPhone: entry.maskedPhone }, 'development code written to the dev OTP outbox');
    },
  };
}

/** The development OTP outbox, newest first (what the local web chat shows). */
export async function readDevOtpOutbox(deps: RedisStore): Promise<DevOtpEntry[]> {
  const raw = await deps.redis.lrange(outboxKey(deps), 0, OUTBOX_SIZE - 1);
  const entries: DevOtpEntry[] = [];
  for (const line of raw) {
    try {
      const parsed = entrySchema.safeParse(JSON.parse(line));
      if (parsed.success) entries.push(parsed.data);
    } catch {
      // a foreign value in the list: skip it
    }
  }
  return entries;
}

/** Erasure: the phone's entries of the development OTP outbox. Returns how many went. */
export async function removeDevOtpEntries(deps: RedisStore, e164: string): Promise<number> {
  const masked = maskPhone(e164);
  const last4 = e164.slice(-4);
  let removed = 0;
  for (const line of await deps.redis.lrange(outboxKey(deps), 0, -1)) {
    const parsed = entrySchema.safeParse(safeJson(line));
    if (parsed.success && parsed.data.maskedPhone === masked && parsed.data.phoneLast4 === last4)
      removed += await deps.redis.lrem(outboxKey(deps), 0, line);
  }
  return removed;
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
