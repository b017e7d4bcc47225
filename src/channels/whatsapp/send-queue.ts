import { ChannelSendError } from '../types.js';

export interface SendQueueOptions {
  /** Sends started per second, at most. */
  messagesPerSecond: number;
  /** Extra random wait before each send, in milliseconds: a steady beat looks like a bot. */
  jitterMs: { min: number; max: number };
  /** Messages waiting at most; beyond, sends are refused with RATE_LIMITED. */
  maxQueued: number;
  /** A message not sent within this time is handed back (UNAVAILABLE) for the outbound queue to retry. */
  maxWaitMs: number;
  /** For tests: Math.random by default. */
  random?: () => number;
}

interface Item<T> {
  task: () => Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
  expiry: NodeJS.Timeout;
}

/**
 * One FIFO for every message the business number sends, whoever asks: sends start at most
 * `messagesPerSecond` apart plus a random delay, and wait while the queue is closed (the
 * session is down). Items live in memory only: the outbound BullMQ queue upstream persists
 * them, and a message that waited too long is returned to it rather than sent late twice.
 */
export class SendQueue {
  private readonly items: Item<unknown>[] = [];
  private open = false;
  private stopped = false;
  private pumping = false;
  private nextAt = 0;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: SendQueueOptions) {
    if (!(options.messagesPerSecond > 0)) throw new Error('messagesPerSecond must be positive');
    if (options.jitterMs.min < 0 || options.jitterMs.max < options.jitterMs.min)
      throw new Error('jitterMs must satisfy 0 <= min <= max');
  }

  get size(): number {
    return this.items.length;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Queues a send; resolves or rejects with the send's own outcome. */
  enqueue<T>(task: () => Promise<T>): Promise<T> {
    if (this.stopped)
      return Promise.reject(new ChannelSendError('UNAVAILABLE', 'WhatsApp channel is stopped'));
    if (this.items.length >= this.options.maxQueued) {
      return Promise.reject(
        new ChannelSendError(
          'RATE_LIMITED',
          `WhatsApp send queue is full (${this.options.maxQueued} waiting)`,
          this.intervalMs() * this.options.maxQueued,
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const item: Item<T> = {
        task,
        resolve,
        reject,
        expiry: setTimeout(() => this.expire(item as Item<unknown>), this.options.maxWaitMs),
      };
      this.items.push(item as Item<unknown>);
      void this.pump();
    });
  }

  /** The session is up: start (or resume) sending. */
  resume(): void {
    if (this.stopped) return;
    this.open = true;
    void this.pump();
  }

  /** The session is down: waiting messages stay queued, in order. */
  pause(): void {
    this.open = false;
  }

  /** Accepts messages again after stop() (paused until resume()). */
  reopen(): void {
    this.stopped = false;
  }

  /** Refuses everything still waiting (the outbound queue upstream keeps its copy). */
  stop(): void {
    this.stopped = true;
    this.open = false;
    this.cancelSleep();
    for (const item of this.items.splice(0)) {
      clearTimeout(item.expiry);
      item.reject(
        new ChannelSendError('UNAVAILABLE', 'WhatsApp channel stopped before the message was sent'),
      );
    }
  }

  private intervalMs(): number {
    return 1000 / this.options.messagesPerSecond;
  }

  private jitter(): number {
    const { min, max } = this.options.jitterMs;
    return min + (max - min) * (this.options.random ?? Math.random)();
  }

  private expire(item: Item<unknown>): void {
    const index = this.items.indexOf(item);
    if (index < 0) return;
    this.items.splice(index, 1);
    item.reject(
      new ChannelSendError(
        'UNAVAILABLE',
        `WhatsApp message not sent within ${Math.round(this.options.maxWaitMs / 1000)} s (session down or queue busy)`,
      ),
    );
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.open && this.items.length > 0) {
        const wait = this.nextAt - Date.now();
        if (wait > 0) {
          await this.sleep(wait);
          continue;
        }
        const item = this.items.shift();
        if (!item) break;
        clearTimeout(item.expiry);
        this.nextAt = Date.now() + this.intervalMs() + this.jitter();
        try {
          item.resolve(await item.task());
        } catch (err) {
          item.reject(err);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }

  private cancelSleep(): void {
    clearTimeout(this.sleepTimer);
    this.wake?.();
  }
}
