import type { RedisStore } from '../app/context.js';
import type { Locale } from '../catalogue/index.js';
import type { InboundMessage } from '../channels/types.js';
import type { Config } from '../config/index.js';
import { sessionKey } from '../identity/links.js';
import { redisScript } from '../queues/redis-script.js';

/** Where a conversation stands. Lives in Redis with an idle TTL (SESSION_TTL_SECONDS). */
export interface Session {
  flow: string;
  step: string;
  /** Answers and action results: phone typed, chosen field, request ref… Personal: never logged. */
  vars: Record<string, string>;
  /** Flows to return to when a called flow ends (e.g. verify inside access). */
  stack: { flow: string; next: string }[];
  /** Id of the prompt the chat is answering; buttons carry it so old ones are recognised. */
  prompt: string;
}

/**
 * What outlives a session: language, whether the chat was mid-flow (to say it expired), and when
 * the conversation last answered it (a promotion sent since is the bot's latest message).
 */
export interface ChatMeta {
  locale: Locale;
  inFlow: boolean;
  /** Epoch ms of the last turn that replied; absent in metas written before it was kept. */
  repliedAt?: number;
}

const META_TTL_SECONDS = 30 * 24 * 3600;
/**
 * How long the time of the bot's last non-promotion message to a chat is kept: a promotion's reply
 * window (promo/replies.ts PROMO_REPLY_WINDOW_MS, 24 h); an older one is outside it anyway.
 */
const LAST_SENT_TTL_SECONDS = 24 * 3600;
const DEDUPE_TTL_SECONDS = 24 * 3600;

// Session (or its removal) and meta together, atomically. One script rather than MULTI…EXEC: an
// ioredis transaction cost about three times the CPU of the rest of a turn (bench/inbound.ts).
const SAVE_SCRIPT = redisScript(`if ARGV[1] == '' then redis.call('DEL', KEYS[1])
else redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
return 1`);

function parseLoaded([session, meta, lastSent]: (string | null | undefined)[] = []): {
  session?: Session;
  meta?: ChatMeta;
  lastSentAt?: number;
} {
  const sentAt = Number(lastSent);
  return {
    ...(session ? { session: JSON.parse(session) as Session } : {}),
    ...(meta ? { meta: JSON.parse(meta) as ChatMeta } : {}),
    ...(lastSent && Number.isFinite(sentAt) ? { lastSentAt: sentAt } : {}),
  };
}

/**
 * When the bot last sent the chat a message that was not a promotion (epoch ms): written by the
 * outbound worker as each one is sent (a reply, a request's outcome, an SLA or staff notice, a
 * code), so a promotion sent before it is not the bot's latest message. Beside the chat meta, with
 * the same key parts; erasure removes both (workers/erase-copies.ts).
 */
export const chatLastSentKey = (store: Pick<RedisStore, 'key'>, channel: string, chatId: string) =>
  store.key('chat-sent', channel, chatId);

const chatMetaKey = (store: Pick<RedisStore, 'key'>, channel: string, chatId: string) =>
  store.key('chat-meta', channel, chatId);

// Only beside a chat meta: a chat the conversation knows. One erasure emptied keeps none when a
// message is sent after it (the erase's own acknowledgement), so nothing naming the chat outlives it.
const MARK_SENT_SCRIPT = redisScript(`if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
return 1`);

/**
 * Records that a non-promotion message was just sent to the chat: one script call (a SET, expiring
 * after a day), and only when the chat has a meta. Whether it was written.
 */
export async function markChatSent(
  store: Pick<RedisStore, 'key' | 'redis'>,
  channel: string,
  chatId: string,
  at = Date.now(),
): Promise<boolean> {
  const written = await MARK_SENT_SCRIPT.run(
    store.redis,
    [chatMetaKey(store, channel, chatId), chatLastSentKey(store, channel, chatId)],
    [String(at), LAST_SENT_TTL_SECONDS],
  );
  return written === 1;
}

/** What the session store is handed: Redis, its key builder and the sessions' idle TTL. */
export interface SessionStoreDeps extends RedisStore {
  config: { conversation: Pick<Config['conversation'], 'sessionTtlSeconds'> };
}

export class SessionStore {
  constructor(private readonly ctx: SessionStoreDeps) {}

  private metaKey(channel: string, chatId: string) {
    return chatMetaKey(this.ctx, channel, chatId);
  }

  /**
   * The start of a turn: whether the message is new (platforms redeliver), then the session and
   * meta. Marked by the adapter's `messageKey`, unique across chats (a Telegram message_id is
   * unique only in its chat). Two plain commands: an ioredis pipeline of the two measured slower
   * (bench/inbound.ts: 4,300 against 7,300 msg/s).
   */
  async begin(
    inbound: Pick<InboundMessage, 'channel' | 'chatId' | 'messageKey'>,
  ): Promise<{ first: boolean; session?: Session; meta?: ChatMeta; lastSentAt?: number }> {
    const { channel, chatId } = inbound;
    const seen = await this.ctx.redis.set(
      this.ctx.key('seen', channel, inbound.messageKey),
      '1',
      'EX',
      DEDUPE_TTL_SECONDS,
      'NX',
    );
    if (seen !== 'OK') return { first: false };
    return { first: true, ...(await this.load(channel, chatId)) };
  }

  /** The session, the meta and when the bot last sent the chat a non-promotion message, in one MGET. */
  async load(
    channel: string,
    chatId: string,
  ): Promise<{ session?: Session; meta?: ChatMeta; lastSentAt?: number }> {
    return parseLoaded(
      await this.ctx.redis.mget(
        sessionKey(this.ctx, channel, chatId),
        this.metaKey(channel, chatId),
        chatLastSentKey(this.ctx, channel, chatId),
      ),
    );
  }

  async save(channel: string, chatId: string, session: Session | undefined, meta: ChatMeta): Promise<void> {
    // By hash: the script's text crosses the wire only when Redis has not seen it (after a restart).
    await SAVE_SCRIPT.run(
      this.ctx.redis,
      [sessionKey(this.ctx, channel, chatId), this.metaKey(channel, chatId)],
      [
        session ? JSON.stringify(session) : '',
        this.ctx.config.conversation.sessionTtlSeconds,
        JSON.stringify(meta),
        META_TTL_SECONDS,
      ],
    );
  }
}
