import type { Redis } from 'ioredis';
import type { AppContext } from '../../app/context.js';
import type { Logger } from '../../logging/logger.js';
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
}

/**
 * Pops queued updates one at a time and hands them to `onUpdate`. An update whose handling
 * fails goes back to the head of the list and is tried again after a wait, up to
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

  /** Waits for the update in hand (at most one BLPOP second more), then closes the connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    this.redis.disconnect();
  }

  private async run(): Promise<void> {
    const key = webhookQueueKey(this.ctx);
    while (!this.stopping) {
      let item: [string, string] | null;
      try {
        item = await this.redis.blpop(key, 1);
      } catch (err) {
        if (this.stopping) break;
        this.logger.warn({ err: { message: errorMessage(err) } }, 'telegram webhook queue read failed');
        await sleep(this.options.minBackoffMs);
        continue;
      }
      if (!item) continue;
      await this.handle(key, item[1]);
    }
  }

  private async handle(key: string, raw: string): Promise<void> {
    let update: unknown;
    try {
      update = JSON.parse(raw);
    } catch {
      this.logger.warn('telegram webhook queue: unreadable item dropped');
      return;
    }
    try {
      await this.onUpdate(update);
      this.attempts.delete(raw);
    } catch (err) {
      const attempt = (this.attempts.get(raw) ?? 0) + 1;
      if (attempt >= this.options.maxHandlerAttempts) {
        this.attempts.delete(raw);
        this.logger.error(
          { err: { message: errorMessage(err) }, attempt },
          'telegram update skipped after repeated failures',
        );
        return;
      }
      this.attempts.set(raw, attempt);
      this.logger.warn(
        { err: { message: errorMessage(err) }, attempt },
        'telegram update failed; will retry',
      );
      await this.ctx.redis.lpush(key, raw).catch((pushErr: unknown) => {
        this.logger.error(
          { err: { message: errorMessage(pushErr) } },
          'telegram update lost: could not requeue',
        );
      });
      await sleep(Math.min(this.options.minBackoffMs * 2 ** (attempt - 1), this.options.maxBackoffMs));
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
