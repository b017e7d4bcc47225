import type { Redis } from 'ioredis';
import type { AppContext } from '../../app/context.js';
import type {
  ChannelAdapter,
  ChannelHealth,
  InboundHandler,
  InboundMessage,
  OutboundMessage,
  SendResult,
} from '../types.js';
import { appendReply, inboxKey } from './store.js';

/** What the adapter reads: a logger, and Redis and its key builder (the inbox and reply lists). */
export type WebchatAdapterDeps = Pick<AppContext, 'logger' | 'redis' | 'key'>;

/**
 * The local web chat as a channel: receives what the page posted (a Redis list, read with a
 * blocking pop on its own connection) and "sends" by appending to the chat's reply list.
 */
export class WebchatAdapter implements ChannelAdapter {
  readonly name = 'webchat';
  private reader: Redis | undefined;
  private loop: Promise<void> | undefined;
  private running = false;

  constructor(private readonly ctx: WebchatAdapterDeps) {}

  async start(onInbound: InboundHandler): Promise<void> {
    this.running = true;
    this.reader = this.ctx.redis.duplicate();
    const reader = this.reader;
    this.loop = (async () => {
      while (this.running) {
        let popped: [string, string] | null = null;
        try {
          popped = await reader.blpop(inboxKey(this.ctx), 1);
        } catch (err) {
          if (!this.running) return;
          this.ctx.logger.warn({ err: { message: (err as Error).message } }, 'webchat inbox read failed');
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        if (!popped) continue;
        const message = JSON.parse(popped[1]) as InboundMessage;
        message.receivedAt = new Date(message.receivedAt);
        // One chat at a time in arrival order; the engine serializes per chat anyway.
        await onInbound(message).catch((err: unknown) =>
          this.ctx.logger.error({ err: { message: (err as Error).message } }, 'webchat message failed'),
        );
      }
    })();
  }

  async send(chatId: string, message: OutboundMessage): Promise<SendResult> {
    return { messageId: `w${await appendReply(this.ctx, chatId, message)}` };
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.reader?.disconnect();
  }

  health(): ChannelHealth {
    return { ok: true, state: this.running ? 'listening' : 'send-only' };
  }
}
