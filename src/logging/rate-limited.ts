import type { Logger } from './logger.js';

/**
 * A warning that repeats while something stays broken (a Redis or worker connection retrying
 * every few hundred ms during an outage), logged at most once per `everyMs`: the first at once,
 * each later one with `suppressed`, how many were left out since the one before. Those left out
 * after the last one are reported when their `everyMs` is up, so the end of an outage is in the
 * log too, not only its start.
 */
export function rateLimitedWarn(
  logger: Pick<Logger, 'warn'>,
  msg: string,
  everyMs = 10_000,
  now: () => number = Date.now,
): (fields: Record<string, unknown>) => void {
  let last: number | undefined;
  let suppressed = 0;
  let latest: Record<string, unknown> = {};
  let trailing: NodeJS.Timeout | undefined;
  const log = (fields: Record<string, unknown>) => {
    clearTimeout(trailing);
    trailing = undefined;
    last = now();
    logger.warn(
      { ...fields, ...(suppressed ? { suppressed } : {}) },
      suppressed ? `${msg}: ${suppressed} more since the last warning` : msg,
    );
    suppressed = 0;
  };
  return (fields) => {
    if (last !== undefined && now() - last < everyMs) {
      suppressed++;
      latest = fields;
      // A timer of the warning's own: it must not keep a stopping process alive.
      trailing ??= setTimeout(() => log(latest), Math.max(0, last + everyMs - now())).unref();
      return;
    }
    log(fields);
  };
}
