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

/**
 * The updates a consumer took and has not finished with: put back at the head of the queue when
 * a consumer starts, so a gateway killed mid-batch loses none (a repeat is harmless: the session
 * store marks each message seen).
 */
export const webhookInHandKey = (ctx: Pick<AppContext, 'key'>) =>
  ctx.key('telegram', 'webhook-updates', 'in-hand');

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

// The rest of a batch (up to ARGV[2] behind the one BLPOP took) leaves the queue and joins the
// batch's first in the in-hand list, in one step.
const TAKE_MORE = `local rest = {}
if tonumber(ARGV[2]) > 0 then rest = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1) end
if #rest > 0 then redis.call('LTRIM', KEYS[1], #rest, -1) end
redis.call('RPUSH', KEYS[2], ARGV[1], unpack(rest))
return rest`;

// Everything in hand back to the head of the queue, in its order.
const PUT_BACK_IN_HAND = `local items = redis.call('LRANGE', KEYS[2], 0, -1)
for i = #items, 1, -1 do redis.call('LPUSH', KEYS[1], items[i]) end
redis.call('DEL', KEYS[2])
return #items`;

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
 * `maxHandlerAttempts`, then skipped. A batch is in hand (webhookInHandKey) until handled: a
 * gateway killed mid-batch loses none, the next consumer to start queues them again.
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
    await this.putBackInHand(key);
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

  /** Updates a consumer took and never finished (its process was killed): queued again, first. */
  private async putBackInHand(key: string): Promise<void> {
    try {
      const count = await this.ctx.redis.eval(PUT_BACK_IN_HAND, 2, key, webhookInHandKey(this.ctx));
      if (Number(count) > 0)
        this.logger.info({ updates: Number(count) }, 'telegram webhook: unfinished updates queued again');
    } catch (err) {
      this.logger.warn(
        { err: { message: errorMessage(err) } },
        'telegram webhook: could not queue unfinished updates again',
      );
    }
  }

  /**
   * Waits (up to a second) for the first update, then takes what else is waiting behind it; the
   * batch is kept in hand (webhookInHandKey) until it is handled.
   */
  private async take(key: string): Promise<string[]> {
    const first = await this.redis.blpop(key, 1);
    if (!first) return [];
    const more = Math.max(0, this.options.concurrency - 1);
    const rest = (await this.redis.eval(TAKE_MORE, 2, key, webhookInHandKey(this.ctx), first[1], more)) as
      | string[]
      | null;
    return [first[1], ...(rest ?? [])];
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
    // One MULTI: what is to be tried again goes back to the head (LPUSH puts each value at the
    // head in turn: reversed, they keep their order), and the batch is no longer in hand.
    const settle = this.ctx.redis.multi();
    if (again.length > 0) settle.lpush(key, ...[...again].reverse());
    for (const raw of batch) settle.lrem(webhookInHandKey(this.ctx), 1, raw);
    await settle.exec().catch((pushErr: unknown) => {
      this.logger.error(
        { err: { message: errorMessage(pushErr) }, updates: again.length },
        'telegram webhook: could not settle a batch; its updates are queued again at the next start',
      );
    });
    return retryInMs;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
