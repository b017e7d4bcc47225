import { type Telegram, TelegramError } from 'telegraf';
import type { Logger } from '../../logging/logger.js';
import { callSignal } from './api-signal.js';
import { handleInChatLanes, updateChatLane } from './chat-lanes.js';
import { errorMessage, retryAfterMs } from './errors.js';

export interface PollingOptions {
  /** Long-poll timeout passed to getUpdates, seconds. */
  timeoutSeconds: number;
  /** First wait after a failure; doubles up to `maxBackoffMs`. */
  minBackoffMs: number;
  maxBackoffMs: number;
  allowedUpdates: string[];
  /** A handler that keeps failing on one update gets this many tries before the update is skipped. */
  maxHandlerAttempts: number;
  /** Chats whose updates are handled at the same time (each chat's own stay in order). */
  concurrency: number;
}

export const defaultPollingOptions: PollingOptions = {
  timeoutSeconds: 50,
  minBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  allowedUpdates: ['message', 'callback_query'],
  maxHandlerAttempts: 5,
  concurrency: 16,
};

export type PollingState = 'starting' | 'polling' | 'down' | 'stopped';

type RawUpdate = { update_id: number };

/**
 * A getUpdates loop that never gives up. telegraf's own loop (bot.launch) rethrows errors
 * other than network/429/5xx, which ends polling for good, and has no health state; this one
 * waits with backoff (or Telegram's `retry_after`) on every failure and resumes, and reports
 * whether the Bot API is reachable.
 *
 * A batch's updates are handled chat by chat, the chats side by side (`concurrency`), so a burst
 * of new customers is not answered one after another. An update is confirmed (offset moved past
 * it) only after the handler returned, so an update whose handling failed (Redis down…) is
 * fetched again; after `maxHandlerAttempts` it is skipped, so one poisonous update cannot stop
 * the bot. Redelivery is safe: inbound messages are de-duplicated on their id.
 */
export class UpdatePoller {
  private state: PollingState = 'starting';
  private offset = 0;
  /** The offset the last successful getUpdates carried: Telegram has forgotten everything below. */
  private confirmedOffset = 0;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly attempts = new Map<number, number>();
  /** Updates handled above the offset (behind one of another chat still to handle): not handled twice. */
  private readonly handledAhead = new Set<number>();

  constructor(
    private readonly telegram: Telegram,
    private readonly onUpdate: (update: unknown) => Promise<void>,
    private readonly logger: Logger,
    private readonly options: PollingOptions,
  ) {}

  get status(): PollingState {
    return this.state;
  }

  /** Called once setup has reached the Bot API, so the first long poll already counts as polling. */
  start(): void {
    if (this.loop) return;
    this.state = 'polling';
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    this.abort.abort();
    this.wake?.();
    await this.loop;
    await this.confirmHandled();
  }

  /**
   * Telegram learns what was handled only from the next getUpdates' offset. Tell it now, so a
   * restart does not fetch the last batch again (harmless, as it is de-duplicated, but noisy).
   */
  private async confirmHandled(): Promise<void> {
    if (this.offset === this.confirmedOffset) return;
    try {
      await this.telegram.callApi(
        'getUpdates',
        { offset: this.offset, timeout: 0, limit: 1 },
        callSignal(2_000),
      );
    } catch {
      // Best effort: the updates come back once and are de-duplicated.
    }
  }

  private get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    let backoff = this.options.minBackoffMs;
    let failures = 0;
    while (!this.stopping) {
      let updates: RawUpdate[];
      try {
        updates = await this.getUpdates();
      } catch (err) {
        if (this.stopping) break;
        failures += 1;
        this.state = 'down';
        const wait = retryAfterMs(err) ?? backoff;
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
        // The first failure and then every tenth: not one line per second of an outage.
        if (failures === 1 || failures % 10 === 0)
          this.logger.warn(
            { err: { message: describe(err) }, failures, waitMs: wait },
            'telegram polling failed',
          );
        await this.sleep(wait);
        continue;
      }
      if (this.stopping) break;
      if (failures > 0) this.logger.info({ failures }, 'telegram polling resumed');
      this.state = 'polling';
      backoff = this.options.minBackoffMs;
      failures = 0;
      const retryInMs = await this.handleBatch(updates);
      if (retryInMs !== undefined) await this.sleep(retryInMs);
    }
  }

  private async getUpdates(): Promise<RawUpdate[]> {
    const { timeoutSeconds, allowedUpdates } = this.options;
    const offset = this.offset;
    const result = await this.telegram.callApi(
      'getUpdates',
      {
        offset,
        timeout: timeoutSeconds,
        allowed_updates: allowedUpdates as ('message' | 'callback_query')[],
      },
      // A long poll that outlives its timeout by 15 s is a dead connection, not a slow server.
      callSignal(timeoutSeconds * 1000 + 15_000, this.abort.signal),
    );
    this.confirmedOffset = offset;
    return result as RawUpdate[];
  }

  /**
   * Handles a batch: each chat's updates in order, chats side by side (chat-lanes.ts). The offset
   * moves past the updates before the first one not handled; one handled above that (another
   * chat's) is remembered and not handled again when the batch comes back. Returns a wait (ms)
   * when an update failed and is to be fetched again.
   */
  private async handleBatch(updates: RawUpdate[]): Promise<number | undefined> {
    const fresh = updates.filter((u) => !this.handledAhead.has(u.update_id));
    const outcomes = await handleInChatLanes(fresh, {
      laneOf: updateChatLane,
      handle: (update) => this.onUpdate(update),
      concurrency: this.options.concurrency,
      stopping: () => this.stopping,
    });
    let retryInMs: number | undefined;
    const pending = new Set<number>();
    fresh.forEach((update, i) => {
      const id = update.update_id;
      const outcome = outcomes[i];
      if (outcome?.kind === 'done') {
        this.handledAhead.add(id);
        this.attempts.delete(id);
        return;
      }
      if (outcome?.kind !== 'failed') {
        pending.add(id);
        return;
      }
      const attempt = (this.attempts.get(id) ?? 0) + 1;
      if (attempt < this.options.maxHandlerAttempts) {
        this.attempts.set(id, attempt);
        this.logger.warn(
          { err: { message: errorMessage(outcome.error) }, updateId: id, attempt },
          'telegram update failed; will retry',
        );
        pending.add(id);
        const wait = Math.min(this.options.minBackoffMs * 2 ** (attempt - 1), this.options.maxBackoffMs);
        retryInMs = Math.max(retryInMs ?? 0, wait);
        return;
      }
      this.attempts.delete(id);
      this.handledAhead.add(id);
      this.logger.error(
        { err: { message: errorMessage(outcome.error) }, updateId: id, attempt },
        'telegram update skipped after repeated failures',
      );
    });
    // Telegram confirms everything below the offset: stop at the first update still to handle
    // (its chat's later updates come back with it), and forget what the offset now covers.
    for (const update of updates) {
      if (pending.has(update.update_id)) break;
      this.offset = update.update_id + 1;
    }
    for (const id of this.handledAhead) if (id < this.offset) this.handledAhead.delete(id);
    return retryInMs;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function describe(err: unknown): string {
  if (err instanceof TelegramError && err.code === 409)
    return `${errorMessage(err)} (another process polls with this token, or a webhook is set)`;
  return errorMessage(err);
}
