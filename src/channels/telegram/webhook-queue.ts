import type { Redis } from 'ioredis';
import type { AppContext } from '../../app/context.js';
import type { Logger } from '../../logging/logger.js';
import { handleInChatLanes, updateChatLane } from './chat-lanes.js';
import { errorMessage } from './errors.js';

/**
 * Webhook mode: the admin server's route (webhook-route.ts) appends each verified update to a
 * Redis list and answers Telegram at once; the gateway's adapter takes them off in order here.
 * So the webhook works whichever process runs the admin server, and a slow engine never makes
 * Telegram time out and resend.
 */
export const webhookQueueKey = (ctx: Pick<AppContext, 'key'>) => ctx.key('telegram', 'webhook-updates');

/** Updates kept while no gateway consumes them (Telegram itself keeps undelivered updates 24 h). */
export const WEBHOOK_QUEUE_CAP = 10_000;

/** How long an update_id is remembered: Telegram keeps (and retries) an update at most 24 h. */
const SEEN_UPDATE_TTL_SECONDS = 24 * 3600;

// Marks the update seen and queues it in one step: a crash between the two must not leave an
// update marked but never queued (Telegram, unanswered, would resend it only to be ignored).
const ENQUEUE_ONCE = `if redis.call('SET', KEYS[2], '1', 'EX', ARGV[2], 'NX') then
  redis.call('RPUSH', KEYS[1], ARGV[1])
  redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
  return 1
end
return 0`;

/**
 * Queues an update unless this bot's update with that `update_id` was queued already (Telegram
 * resends an update whose POST got no 2xx in time: "update_id … allows you to ignore repeated
 * updates"). An update_id is unique per bot only, so the key carries the bot id (the token's
 * public first part). Resolves false for a repeat.
 */
export async function enqueueWebhookUpdate(
  ctx: Pick<AppContext, 'key' | 'redis'>,
  update: { update_id: number },
  botId: string,
): Promise<boolean> {
  const queued = await ctx.redis.eval(
    ENQUEUE_ONCE,
    2,
    webhookQueueKey(ctx),
    ctx.key('telegram', 'update-seen', botId, update.update_id),
    JSON.stringify(update),
    SEEN_UPDATE_TTL_SECONDS,
    WEBHOOK_QUEUE_CAP,
  );
  return queued === 1;
}

export interface WebhookConsumerOptions {
  maxHandlerAttempts: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Chats whose updates are handled at the same time (each chat's own stay in order). */
  concurrency: number;
}

/**
 * Takes queued updates off in batches (what is waiting, up to `concurrency`) and hands them to
 * `onUpdate` chat by chat, the chats side by side (chat-lanes.ts), so a burst of new customers
 * is not answered one after another. An update whose handling fails goes back to the head of
 * the list with its chat's later ones, in order, and is tried again after a wait, up to
 * `maxHandlerAttempts`, then skipped.
 */
export class WebhookQueueConsumer {
  private readonly redis: Redis;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly ctx: Pick<AppContext, 'key' | 'redis'>,
    private readonly onUpdate: (update: unknown) => Promise<void>,
    private readonly logger: Logger,
    private readonly options: WebhookConsumerOptions,
  ) {
    // BLPOP blocks its connection: never on the shared one.
    this.redis = ctx.redis.duplicate();
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Waits for the updates in hand (at most one BLPOP second more), then closes the connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    this.redis.disconnect();
  }

  private async run(): Promise<void> {
    const key = webhookQueueKey(this.ctx);
    while (!this.stopping) {
      let batch: string[];
      try {
        batch = await this.take(key);
      } catch (err) {
        if (this.stopping) break;
        this.logger.warn({ err: { message: errorMessage(err) } }, 'telegram webhook queue read failed');
        await sleep(this.options.minBackoffMs);
        continue;
      }
      if (batch.length === 0) continue;
      const retryInMs = await this.handle(key, batch);
      if (retryInMs !== undefined) await sleep(retryInMs);
    }
  }

  /** Waits (up to a second) for the first update, then takes what else is waiting behind it. */
  private async take(key: string): Promise<string[]> {
    const first = await this.redis.blpop(key, 1);
    if (!first) return [];
    const more = Math.max(0, this.options.concurrency - 1);
    if (more === 0) return [first[1]];
    // One MULTI: the updates leave the list together, in order.
    const taken = await this.redis
      .multi()
      .lrange(key, 0, more - 1)
      .ltrim(key, more, -1)
      .exec();
    const rest = (taken?.[0]?.[1] as string[] | undefined) ?? [];
    return [first[1], ...rest];
  }

  /** Returns a wait (ms) when an update failed and went back to the head of the list. */
  private async handle(key: string, batch: string[]): Promise<number | undefined> {
    const items: { raw: string; update: unknown }[] = [];
    for (const raw of batch) {
      try {
        items.push({ raw, update: JSON.parse(raw) });
      } catch {
        this.logger.warn('telegram webhook queue: unreadable item dropped');
      }
    }
    const outcomes = await handleInChatLanes(items, {
      laneOf: (item) => updateChatLane(item.update),
      handle: (item) => this.onUpdate(item.update),
      concurrency: this.options.concurrency,
      // Stopping: what was not tried goes back to the list for the next start.
      stopping: () => this.stopping,
    });
    const again: string[] = [];
    let retryInMs: number | undefined;
    items.forEach(({ raw }, i) => {
      const outcome = outcomes[i];
      if (outcome?.kind === 'done') {
        this.attempts.delete(raw);
        return;
      }
      if (outcome?.kind !== 'failed') {
        again.push(raw);
        return;
      }
      const attempt = (this.attempts.get(raw) ?? 0) + 1;
      if (attempt >= this.options.maxHandlerAttempts) {
        this.attempts.delete(raw);
        this.logger.error(
          { err: { message: errorMessage(outcome.error) }, attempt },
          'telegram update skipped after repeated failures',
        );
        return;
      }
      this.attempts.set(raw, attempt);
      this.logger.warn(
        { err: { message: errorMessage(outcome.error) }, attempt },
        'telegram update failed; will retry',
      );
      again.push(raw);
      const wait = Math.min(this.options.minBackoffMs * 2 ** (attempt - 1), this.options.maxBackoffMs);
      retryInMs = Math.max(retryInMs ?? 0, wait);
    });
    if (again.length === 0) return retryInMs;
    // LPUSH puts each value at the head in turn: reversed, they keep their order there.
    await this.ctx.redis.lpush(key, ...again.reverse()).catch((pushErr: unknown) => {
      this.logger.error(
        { err: { message: errorMessage(pushErr) }, updates: again.length },
        'telegram updates lost: could not requeue',
      );
    });
    return retryInMs;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
