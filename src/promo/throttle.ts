import { channelDefinition } from '../channels/registry.js';
import type { Config } from '../config/index.js';

/** What the default rates are read from: the configuration (each channel declares its own from it). */
export interface RateDeps {
  config: Config;
}

/** For a channel name no definition claims (the file is checked against the registry anyway). */
const DEFAULT_OTHER_RATE = 25;

/**
 * Default promo rate, messages per second: what the channel declares (its platform's limit with
 * room for ordinary replies, or the pace that keeps a business number from being banned).
 */
export function defaultRate(deps: RateDeps, channel: string): number {
  return channelDefinition(channel)?.capabilities.promo.perSecond(deps.config) ?? DEFAULT_OTHER_RATE;
}

/** The rate per channel: the file's (or the command line's) when given, else the default. */
export function ratesFor(
  deps: RateDeps,
  channels: string[],
  overrides: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(channels.map((c) => [c, overrides[c] ?? defaultRate(deps, c)]));
}

export class AbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortedError';
  }
}

/** Resolves after `ms`, or rejects with AbortedError when the signal fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortedError());
  return new Promise((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    const stop = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/**
 * Evenly spaced send slots for one channel: at most `perSecond` messages a second, no bursts.
 * A recipient who turns out to be skipped gives its slot back, so skips do not slow the sends.
 * `pause` holds every slot (the platform asked us to wait: Telegram's retry_after).
 */
export class SendThrottle {
  private next = 0;
  private readonly intervalMs: number;

  constructor(readonly perSecond: number) {
    this.intervalMs = 1000 / perSecond;
  }

  /** Waits for this caller's slot. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const now = performance.now();
    const slot = Math.max(now, this.next);
    this.next = slot + this.intervalMs;
    if (slot > now) await sleep(slot - now, signal);
  }

  /** An acquired slot was not used for a send. */
  release(): void {
    this.next = Math.max(performance.now(), this.next - this.intervalMs);
  }

  pause(ms: number): void {
    this.next = Math.max(this.next, performance.now() + ms);
  }
}
