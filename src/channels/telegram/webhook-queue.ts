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

export async function enqueueWebhookUpdate(
  ctx: Pick<AppContext, 'key' | 'redis'>,
  update: unknown,
): Promise<void> {
  const key = webhookQueueKey(ctx);
  await ctx.redis.multi().rpush(key, JSON.stringify(update)).ltrim(key, -WEBHOOK_QUEUE_CAP, -1).exec();
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
