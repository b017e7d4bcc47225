import type { Telegram } from 'telegraf';

/** telegraf types `signal` with the `abort-controller` polyfill; Node's own AbortSignal is what it gets. */
type TelegrafSignal = NonNullable<NonNullable<Parameters<Telegram['callApi']>[2]>['signal']>;

/**
 * A signal for one Bot API call: aborted after `timeoutMs` (telegraf's own timeout is 500 s,
 * far too long for a hung connection) or when `stop` aborts.
 */
export function callSignal(timeoutMs: number, stop?: AbortSignal): { signal: TelegrafSignal } {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = stop ? AbortSignal.any([timeout, stop]) : timeout;
  return { signal: signal as unknown as TelegrafSignal };
}
