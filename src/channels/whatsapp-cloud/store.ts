import type { AppContext } from '../../app/context.js';
import { keyedHash } from '../../identity/keyed-hash.js';
import type { CloudEvent } from './webhook.js';

/**
 * What the channel keeps in Redis. The admin server's webhook route appends each verified event
 * to a list the gateway's adapter takes off (so the webhook works whichever process serves it,
 * and Meta is answered at once). Ids are hashed in keys: a `wamid…` encodes the customer's number.
 */

/** Redis and its key builder, and the config: ids are hashed under OTP_SECRET. */
export type CloudStore = Pick<AppContext, 'key' | 'redis' | 'config'>;

const NAME = 'whatsapp-cloud';
export const eventsKey = (ctx: Pick<AppContext, 'key'>) => ctx.key(NAME, 'events');
const hashed = (ctx: CloudStore, purpose: string, value: string) =>
  keyedHash(ctx.config.otp.secret, `${NAME}-${purpose}`, value);

/** Meta retries an unanswered webhook for up to 7 days: an event id is remembered that long. */
const SEEN_TTL_SECONDS = 7 * 24 * 3600;
/** Events kept while no gateway takes them. */
export const EVENTS_CAP = 10_000;
/** The customer-service window: 24 hours from the customer's last message (Meta's rule). */
export const WINDOW_MS = 24 * 3600 * 1000;
/** A failed status arrives within minutes; what a send was for is kept three days. */
const SENT_TTL_SECONDS = 3 * 24 * 3600;

// Marks the event seen and queues it in one step: a crash between the two must not leave an
// event marked but never queued (Meta, answered, would not resend it).
const ENQUEUE_ONCE = `if redis.call('SET', KEYS[2], '1', 'EX', ARGV[2], 'NX') then
  redis.call('RPUSH', KEYS[1], ARGV[1])
  redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
  return 1
end
return 0`;

/** The id an event is handled once by: the message's wamid, or the wamid and the status. */
function eventId(event: CloudEvent): string {
  return event.kind === 'message' ? `m:${event.message.id}` : `s:${event.status.id}:${event.status.status}`;
}

/** Queues the event unless it was queued before (a re-delivered webhook); false for a repeat. */
export async function enqueueOnce(ctx: CloudStore, event: CloudEvent): Promise<boolean> {
  const queued = await ctx.redis.eval(
    ENQUEUE_ONCE,
    2,
    eventsKey(ctx),
    ctx.key(NAME, 'seen', hashed(ctx, 'event', eventId(event))),
    JSON.stringify(event),
    SEEN_TTL_SECONDS,
    EVENTS_CAP,
  );
  return queued === 1;
}

/** Opens (or extends) the chat's window from the time the customer wrote. */
export async function openWindow(
  ctx: CloudStore,
  chatId: string,
  writtenAt: Date,
  now = Date.now(),
): Promise<void> {
  const left = writtenAt.getTime() + WINDOW_MS - now;
  if (left <= 0) return;
  const key = ctx.key(NAME, 'window', hashed(ctx, 'window', chatId));
  // A message delivered late must not shorten a window a later message opened.
  const current = await ctx.redis.pttl(key);
  if (current >= left) return;
  await ctx.redis.set(key, String(writtenAt.getTime()), 'PX', left);
}

/** Erasure: the chat's window goes with the customer (it is a keyed hash of their number). */
export async function forgetWindow(ctx: CloudStore, chatId: string): Promise<boolean> {
  return (await ctx.redis.del(ctx.key(NAME, 'window', hashed(ctx, 'window', chatId)))) > 0;
}

export async function windowIsOpen(ctx: CloudStore, chatId: string): Promise<boolean> {
  return (await ctx.redis.exists(ctx.key(NAME, 'window', hashed(ctx, 'window', chatId)))) === 1;
}

/** Why a message was sent (no personal data): a later failed status becomes a dead letter with it. */
export interface SentRecord {
  purpose?: string;
  requestRef?: string;
  promoId?: string;
  kind: string;
}

export async function rememberSent(ctx: CloudStore, wamid: string, record: SentRecord): Promise<void> {
  await ctx.redis.set(
    ctx.key(NAME, 'sent', hashed(ctx, 'sent', wamid)),
    JSON.stringify(record),
    'EX',
    SENT_TTL_SECONDS,
  );
}

export async function sentRecordOf(ctx: CloudStore, wamid: string): Promise<SentRecord | undefined> {
  const raw = await ctx.redis.get(ctx.key(NAME, 'sent', hashed(ctx, 'sent', wamid)));
  return raw ? (JSON.parse(raw) as SentRecord) : undefined;
}
