import { createHmac } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';
import { PERSONAL_FIELDS } from '../privacy/index.js';

export type { Logger } from 'pino';

/**
 * Keys whose values are personal data or secrets. They are censored at any of the first six
 * levels of a logged object, so `log.info({ customer })` is as safe as `log.info({ phone })`.
 * Message text is censored too: customers type their email or address into the chat.
 * Every personal field of the privacy schema (src/privacy/schema.ts) but our own ids, and what
 * only a log line carries: a message's addressee and sender, a shared contact, a platform
 * username (the audit names staff by theirs, so it is not a personal field there), HTTP
 * credentials, a whole change set.
 */
const LOG_ONLY_KEYS = ['to', 'from', 'contact', 'username', 'authorization', 'cookie', 'changes'];
export const REDACTED_KEYS: readonly string[] = [
  ...Object.entries(PERSONAL_FIELDS)
    .filter(([, kind]) => kind !== 'reference')
    .map(([key]) => key),
  ...LOG_ONLY_KEYS,
];

function redactPaths(depth: number): string[] {
  const paths: string[] = [];
  for (const key of REDACTED_KEYS) {
    let prefix = '';
    for (let level = 0; level < depth; level++) {
      paths.push(`${prefix}${key}`);
      prefix += '*.';
    }
  }
  // Headers of logged HTTP requests.
  paths.push(
    'req.headers.authorization',
    'req.headers.cookie',
    'req.headers["x-telegram-bot-api-secret-token"]',
  );
  return paths;
}

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stdout by default. Tests pass a stream to read what was written. */
  destination?: DestinationStream;
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: { app: 'hakdata' },
    redact: { paths: redactPaths(6), censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } },
    });
  }
  return pino(base);
}

/**
 * A stable tag for a personal value, so logs can correlate "the same chat" without holding it.
 * Keyed with the installation's secret (OTP_SECRET): an unkeyed hash of a phone number or chat
 * id is reversed by hashing every candidate (Indonesian mobile numbers are ~10^11 of them), so
 * a plain digest in the logs would be the number itself to anyone who tries.
 */
export function logTag(secret: string, value: string): string {
  return createHmac('sha256', secret).update(`hakdata-log\u0000${value}`).digest('hex').slice(0, 12);
}
