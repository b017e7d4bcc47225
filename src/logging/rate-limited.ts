import type { Logger } from './logger.js';

/**
 * A warning that repeats while something stays broken (a Redis or worker connection retrying
 * every few hundred ms during an outage), logged at most once per `everyMs`: the first at once,
 * each later one with `suppressed`, how many were left out since the one before.
 */
export function rateLimitedWarn(
  logger: Pick<Logger, 'warn'>,
  msg: string,
  everyMs = 10_000,
  now: () => number = Date.now,
): (fields: Record<string, unknown>) => void {
  let last: number | undefined;
  let suppressed = 0;
  return (fields) => {
    const t = now();
    if (last !== undefined && t - last < everyMs) {
      suppressed++;
      return;
    }
    last = t;
    logger.warn(
      { ...fields, ...(suppressed ? { suppressed } : {}) },
      suppressed ? `${msg}: ${suppressed} more since the last warning` : msg,
    );
    suppressed = 0;
  };
}
