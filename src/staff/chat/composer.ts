/**
 * Middleware as grammY composes it: small handlers chained, each doing one thing and calling
 * `next()` to pass the update on. `filter` runs its handlers only for updates that match.
 */
export type Next = () => Promise<void>;
export type Middleware<C> = (c: C, next: Next) => Promise<void>;

/** One middleware running each in turn; the last `next` is the caller's. */
export function compose<C>(...middleware: Middleware<C>[]): Middleware<C> {
  return (c, next) => {
    const run = (i: number): Promise<void> => {
      const current = middleware[i];
      return current ? current(c, () => run(i + 1)) : next();
    };
    return run(0);
  };
}

/** The handlers run for matching updates; anything else goes on to `next`. */
export function filter<C, D extends C = C>(
  predicate: ((c: C) => c is D) | ((c: C) => boolean),
  ...middleware: Middleware<D>[]
): Middleware<C> {
  const inner = compose<D>(...middleware);
  return (c, next) => (predicate(c) ? inner(c as D, next) : next());
}
