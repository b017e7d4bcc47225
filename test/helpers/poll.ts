/**
 * Polls `check` until it returns a truthy value, and returns it. Past `timeoutMs` it throws,
 * naming `what` (and what `explain` says, for a failure one can read without rerunning).
 * No vitest import: the benchmarks use it too.
 */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  options: { timeoutMs: number; everyMs?: number; explain?: () => Promise<string> },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      const why = options.explain ? `: ${await options.explain()}` : '';
      throw new Error(`timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, options.everyMs ?? 50));
  }
}
