import type { AppContext } from '../app/context.js';
import { sessionKey } from '../identity/links.js';
import type { Locale } from './locales.js';

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

/** What outlives a session: language, and whether the chat was mid-flow (to say it expired). */
export interface ChatMeta {
  locale: Locale;
  inFlow: boolean;
}

const META_TTL_SECONDS = 30 * 24 * 3600;
const DEDUPE_TTL_SECONDS = 24 * 3600;

export class SessionStore {
  constructor(private readonly ctx: AppContext) {}

  private metaKey(channel: string, chatId: string) {
    return this.ctx.key('chat-meta', channel, chatId);
  }

  /** True the first time a platform message id is seen in a chat (platforms redeliver). */
  async firstDelivery(channel: string, chatId: string, messageId: string): Promise<boolean> {
    const key = this.ctx.key('seen', channel, chatId, messageId);
    return (await this.ctx.redis.set(key, '1', 'EX', DEDUPE_TTL_SECONDS, 'NX')) === 'OK';
  }

  async load(channel: string, chatId: string): Promise<{ session?: Session; meta?: ChatMeta }> {
    const [session, meta] = await this.ctx.redis.mget(
      sessionKey(this.ctx, channel, chatId),
      this.metaKey(channel, chatId),
    );
    return {
      ...(session ? { session: JSON.parse(session) as Session } : {}),
      ...(meta ? { meta: JSON.parse(meta) as ChatMeta } : {}),
    };
  }

  async save(channel: string, chatId: string, session: Session | undefined, meta: ChatMeta): Promise<void> {
    const tx = this.ctx.redis.multi();
    if (session) {
      tx.set(
        sessionKey(this.ctx, channel, chatId),
        JSON.stringify(session),
        'EX',
        this.ctx.config.conversation.sessionTtlSeconds,
      );
    } else {
      tx.del(sessionKey(this.ctx, channel, chatId));
    }
    tx.set(this.metaKey(channel, chatId), JSON.stringify(meta), 'EX', META_TTL_SECONDS);
    await tx.exec();
  }
}
