import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { defaultPromoChannels } from '../channels/registry.js';

/**
 * The promo file (YAML), checked field by field so a typo stops the send before anyone gets a
 * message. See examples/promo.yaml.
 */

/** Telegram's 4096 characters, less room for the stop footer. */
export const MAX_MESSAGE_LENGTH = 3900;

const DAY_MS = 24 * 3600_000;
/** Bare dates are days in Jakarta (WIB, UTC+7, no daylight saving). */
const WIB_OFFSET = '+07:00';

const dateSchema = z.union([
  z.date(),
  z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}(T.+)?$/, 'must be a date like 2025-01-31')
    .transform((s, ctx) => {
      const d = new Date(s.length === 10 ? `${s}T00:00:00${WIB_OFFSET}` : s);
      if (Number.isNaN(d.getTime())) {
        ctx.addIssue({ code: 'custom', message: `is not a real date (got "${s}")` });
        return z.NEVER;
      }
      return d;
    }),
]);

const required = (what: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? 'is required' : what;

const text = z
  .string({ error: required('must be text') })
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_MESSAGE_LENGTH, `must be at most ${MAX_MESSAGE_LENGTH} characters (the stop footer is added)`);

const channelName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be a channel name such as telegram');

export const promoFileSchema = z
  .strictObject({
    id: z
      .string({ error: required('must be text: a short name such as diskon-agustus-2025') })
      .regex(
        /^[a-z0-9][a-z0-9-]{2,47}$/,
        'must be 3-48 lowercase letters, digits and dashes (e.g. diskon-agustus-2025)',
      ),
    message: z.strictObject(
      { id: text, en: text },
      { error: 'needs the text in Indonesian (id) and English (en)' },
    ),
    audience: z
      .strictObject({
        /** Service area(s) (customers.area), compared without regard to case. */
        area: z
          .union([z.string().trim().min(1), z.array(z.string().trim().min(1)).min(1)])
          .transform((a) => (Array.isArray(a) ? a : [a]))
          .optional(),
        lastOrder: z
          .strictObject({
            since: dateSchema.optional(),
            until: dateSchema.optional(),
            withinDays: z.number().int().positive().max(3650).optional(),
          })
          .refine((o) => o.since || o.until || o.withinDays, 'needs since, until or withinDays')
          .refine((o) => !(o.since && o.withinDays), 'use since or withinDays, not both')
          .optional(),
      })
      .default({}),
    /** Preference order: each customer gets the promo once, on the first channel that reaches them. */
    channels: z
      .array(channelName)
      .min(1, 'needs at least one channel')
      .refine((c) => new Set(c).size === c.length, 'lists a channel twice')
      // The channels' own preference (ChannelCapabilities.promo): WhatsApp Web, then Telegram.
      .default(defaultPromoChannels),
    /** Messages per second per channel; defaults in promo/rates.ts. */
    rate: z.record(channelName, z.number().positive().max(1000)).default({}),
  })
  .superRefine((f, ctx) => {
    const o = f.audience.lastOrder;
    if (o?.since && o.until && o.since.getTime() > o.until.getTime())
      ctx.addIssue({ code: 'custom', path: ['audience', 'lastOrder'], message: 'since is after until' });
  });

export type PromoFile = z.output<typeof promoFileSchema>;

/** The audience as the sender applies it: absolute dates, `until` exclusive. */
export interface Audience {
  areas?: string[];
  lastOrderSince?: Date;
  lastOrderUntil?: Date;
}

export function audienceOf(file: PromoFile, now = new Date()): Audience {
  const o = file.audience.lastOrder;
  const since = o?.withinDays ? new Date(now.getTime() - o.withinDays * DAY_MS) : o?.since;
  // A bare `until` date includes that whole day.
  const until = o?.until ? new Date(o.until.getTime() + (isMidnightWib(o.until) ? DAY_MS : 0)) : undefined;
  return {
    ...(file.audience.area ? { areas: file.audience.area } : {}),
    ...(since ? { lastOrderSince: since } : {}),
    ...(until ? { lastOrderUntil: until } : {}),
  };
}

const isMidnightWib = (d: Date) => (d.getTime() + 7 * 3600_000) % DAY_MS === 0;

export class PromoFileError extends Error {
  readonly code = 'PROMO_FILE_INVALID';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a valid promo file:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'PromoFileError';
  }
}

/** Checks an already-parsed value (the console posts JSON). */
export function parsePromo(raw: unknown, source = 'promo'): PromoFile {
  const parsed = promoFileSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new PromoFileError(
    source,
    parsed.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`),
  );
}

export function loadPromoFile(path: string): PromoFile {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PromoFileError(path, [`cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`]);
  }
  let raw: unknown;
  try {
    raw = parse(content);
  } catch (err) {
    throw new PromoFileError(path, [`is not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new PromoFileError(path, ['must be a mapping with id, message, audience and channels']);
  return parsePromo(raw, path);
}

/** Same content, same hash, whatever the YAML's layout: a resume checks the file did not change. */
export function promoFileHash(file: PromoFile): string {
  const canonical = JSON.stringify({
    id: file.id,
    message: file.message,
    audience: {
      area: file.audience.area ?? null,
      lastOrder: file.audience.lastOrder
        ? {
            since: file.audience.lastOrder.since?.toISOString() ?? null,
            until: file.audience.lastOrder.until?.toISOString() ?? null,
            withinDays: file.audience.lastOrder.withinDays ?? null,
          }
        : null,
    },
    channels: file.channels,
  });
  return createHash('sha256').update(canonical).digest('hex');
}
