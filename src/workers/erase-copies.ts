import type { RedisStore } from '../app/context.js';
import { type ChannelStore, channelDefinitions } from '../channels/registry.js';
import {
  chatsHoldingPhone,
  chatsOfCustomer,
  forgetPhoneChats,
  type LinkStore,
  linkKey,
  purgeCustomerChats,
  sessionKey,
} from '../identity/links.js';
import { type OtpKeys, otpKeysOfPhone } from '../identity/otp.js';
import { removeDevOtpEntries } from '../identity/otp-providers/console.js';
import { type OutboundPurgeDeps, type Outbox, purgeChatOutbound } from '../outbound/index.js';
import { chatLastSentKey } from '../sessions/session-store.js';
import type { KeepMessage } from './erase-keeps.js';

export interface Chat {
  channel: string;
  chatId: string;
}

/** What erasure removed from Redis, by kind: the `customer.erased` audit event lists it. */
export interface RedisCopiesErased {
  /** The customer's own chats: linked, named in their requests, or derived from the phone. */
  chats: number;
  /** Other chats whose session held the phone half-way through verification. */
  phoneSessions: number;
  links: number;
  sessions: number;
  chatMeta: number;
  /** When the bot last sent the chat a message other than a promotion (sessions/session-store.ts). */
  chatLastSent: number;
  /**
   * Chats whose channel kept copies of its own there and dropped them (`forgetChat`: the web
   * chat's stored replies, the WhatsApp Cloud API's service window), whatever the channel.
   */
  chatsForgottenByChannel: number;
  outboundKeysDestroyed: number;
  outboundJobsRemoved: number;
  /** Of those, the messages `keep` spared (the erase's acknowledgement not sent yet), queued again. */
  outboundMessagesRequeued: number;
  otpKeys: number;
  devOtpEntries: number;
  dedupeMarkers: number;
  statusCache: number;
}

/**
 * What erasure reaches in Redis: the chat links and sessions (LinkStore), the OTP keys of the phone,
 * what each channel keeps of a chat, the outbound queues and sealing keys; all in Redis, by its keys.
 */
export type RedisCopiesDeps = LinkStore & OtpKeys & ChannelStore & OutboundPurgeDeps;

const chatMetaKey = (ctx: Pick<RedisStore, 'key'>, c: Chat) => ctx.key('chat-meta', c.channel, c.chatId);
const sameChat = (a: Chat, b: Chat) => a.channel === b.channel && a.chatId === b.chatId;

function unique(chats: Chat[]): Chat[] {
  const out: Chat[] = [];
  for (const c of chats) if (c.chatId && !out.some((o) => sameChat(o, c))) out.push(c);
  return out;
}

/**
 * Every copy of a customer's personal data that Redis holds and erasure can reach. Each step
 * is idempotent, so a re-run after a crash repeats it harmlessly; nothing here is the record
 * (MongoDB is), so deleting is always safe.
 *
 * - the customer's chats (verified links, the chats of their requests, the WhatsApp chat of the
 *   phone): link, session, chat meta and last-sent time, what the channel stores of the chat (the web chat's replies,
 *   but those `keep` spares), outbound sealing key and queued jobs;
 * - other chats whose session holds the phone (a stranger or a half-way verification): the
 *   session, only if it still holds the number;
 * - OTP code slots of the phone in all those chats and its send windows; development OTP outbox;
 * - inbound dedupe markers naming the chats (on WhatsApp their key holds the number) and the
 *   cached `status` list.
 */
export async function eraseRedisCopies(
  ctx: RedisCopiesDeps,
  input: {
    customerId: string;
    phone?: string;
    requestChats: Chat[];
    /**
     * Messages kept anyway: the erase request's own acknowledgement (erase-keeps.ts), whether a
     * channel has stored it (the web chat's replies) or it still waits in the outbound queue.
     */
    keep?: KeepMessage;
    /** Where a spared queued message is queued again, under the chat's next key. */
    outbox?: Outbox;
  },
): Promise<RedisCopiesErased> {
  const { customerId, phone } = input;
  const phoneOwnChats: Chat[] = phone
    ? channelDefinitions.flatMap((d) =>
        d.chatOfPhone ? [{ channel: d.name, chatId: d.chatOfPhone(phone) }] : [],
      )
    : [];
  const own = unique([...(await chatsOfCustomer(ctx, customerId)), ...input.requestChats, ...phoneOwnChats]);
  const holding = phone
    ? (await chatsHoldingPhone(ctx, phone)).filter((c) => !own.some((o) => sameChat(o, c)))
    : [];

  const counts: RedisCopiesErased = {
    chats: own.length,
    phoneSessions: 0,
    links: 0,
    sessions: 0,
    chatMeta: 0,
    chatLastSent: 0,
    chatsForgottenByChannel: 0,
    outboundKeysDestroyed: 0,
    outboundJobsRemoved: 0,
    outboundMessagesRequeued: 0,
    otpKeys: 0,
    devOtpEntries: 0,
    dedupeMarkers: 0,
    statusCache: 0,
  };

  // Queued messages first: once the keys are gone nothing of them can be sent or read. What
  // `keep` spares goes again, in its order, sealed under a new key: nothing of it is personal.
  const outbound = await purgeChatOutbound(ctx, own, undefined, input.outbox ? input.keep : undefined);
  counts.outboundKeysDestroyed = outbound.keysDestroyed;
  counts.outboundJobsRemoved = outbound.jobsRemoved;
  for (const spared of outbound.spared) {
    await input.outbox?.send(spared.channel, spared.chatId, [spared.message], spared.meta);
    counts.outboundMessagesRequeued += 1;
  }

  for (const chat of own) {
    const [link, session, meta, lastSent] = await Promise.all([
      ctx.redis.del(linkKey(ctx, chat.channel, chat.chatId)),
      ctx.redis.del(sessionKey(ctx, chat.channel, chat.chatId)),
      ctx.redis.del(chatMetaKey(ctx, chat)),
      ctx.redis.del(chatLastSentKey(ctx, chat.channel, chat.chatId)),
    ]);
    counts.links += link;
    counts.sessions += session;
    counts.chatMeta += meta;
    counts.chatLastSent += lastSent;
    const forget = channelDefinitions.find((d) => d.name === chat.channel)?.forgetChat;
    if (forget && (await forget(ctx, chat.chatId, input.keep))) counts.chatsForgottenByChannel += 1;
  }
  await purgeCustomerChats(ctx, customerId);

  if (phone) {
    for (const chat of holding) {
      const key = sessionKey(ctx, chat.channel, chat.chatId);
      const raw = await ctx.redis.get(key);
      // Another person's chat: their conversation is reset only if it still holds this number.
      if (raw && sessionHolds(raw, phone)) counts.phoneSessions += await ctx.redis.del(key);
    }
    counts.otpKeys = await ctx.redis.del(...otpKeysOfPhone(ctx, phone, [...own, ...holding]));
    counts.devOtpEntries = await removeDevOtpEntries(ctx, phone);
    await forgetPhoneChats(ctx, phone);
  }

  const scanned = await deleteByScan(ctx, customerId, own);
  counts.dedupeMarkers = scanned.dedupeMarkers;
  counts.statusCache = scanned.statusCache;
  return counts;
}

function sessionHolds(raw: string, phone: string): boolean {
  try {
    const vars = (JSON.parse(raw) as { vars?: Record<string, unknown> }).vars ?? {};
    return Object.values(vars).some((v) => v === phone);
  } catch {
    return true; // unreadable: dropping it is the safe side
  }
}

/**
 * Keys that can only be found by their names: inbound dedupe markers (`seen:<channel>:…`, the
 * message key contains the chat id, on WhatsApp the number) and the status cache of the customer
 * (`status:<customerId>:…`). One SCAN of the installation's keys.
 */
async function deleteByScan(
  ctx: RedisStore,
  customerId: string,
  chats: Chat[],
): Promise<{ dedupeMarkers: number; statusCache: number }> {
  const seenPrefix = ctx.key('seen', '');
  const statusPrefix = ctx.key('status', customerId, '');
  // A chat id counts only as a whole token: Telegram's `7001` must not match `17001`.
  const patterns = chats.map((c) => ({
    prefix: ctx.key('seen', c.channel, ''),
    token: new RegExp(`(^|[^0-9A-Za-z])${escapeRegExp(c.chatId)}([^0-9A-Za-z]|$)`),
  }));
  let dedupeMarkers = 0;
  let statusCache = 0;
  let cursor = '0';
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', ctx.key('*'), 'COUNT', 1000);
    cursor = next;
    const doomed: string[] = [];
    for (const key of keys) {
      if (key.startsWith(statusPrefix)) {
        doomed.push(key);
        statusCache += 1;
      } else if (
        key.startsWith(seenPrefix) &&
        patterns.some((p) => key.startsWith(p.prefix) && p.token.test(key.slice(p.prefix.length)))
      ) {
        doomed.push(key);
        dedupeMarkers += 1;
      }
    }
    if (doomed.length > 0) await ctx.redis.unlink(...doomed);
  } while (cursor !== '0');
  return { dedupeMarkers, statusCache };
}

const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
