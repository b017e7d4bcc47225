import { describe, expect, it } from 'vitest';
import { compose, filter, type Middleware } from '../../src/staff/chat/composer.js';

/** The staff chat's middleware composition (src/staff/chat/composer.ts), as grammY composes. */
describe('staff chat middleware', () => {
  type C = { kind: 'press' | 'text'; seen: string[] };
  const step =
    (name: string, passOn = true): Middleware<C> =>
    async (c, next) => {
      c.seen.push(name);
      if (passOn) await next();
    };

  it('runs handlers in order, each passing on with next(), and stops where one does not', async () => {
    const c: C = { kind: 'text', seen: [] };
    await compose(
      step('a'),
      step('b', false),
      step('c'),
    )(c, async () => {
      c.seen.push('end');
    });
    expect(c.seen).toEqual(['a', 'b']);
    const d: C = { kind: 'text', seen: [] };
    await compose(step('a'), step('b'))(d, async () => {
      d.seen.push('end');
    });
    expect(d.seen).toEqual(['a', 'b', 'end']);
  });

  it('a filter runs its handlers only for matching updates; the rest go on', async () => {
    const chain = compose<C>(
      filter((c) => c.kind === 'press', step('press', false)),
      filter((c) => c.kind === 'text', step('text')),
    );
    const press: C = { kind: 'press', seen: [] };
    const text: C = { kind: 'text', seen: [] };
    await chain(press, async () => {
      press.seen.push('end');
    });
    await chain(text, async () => {
      text.seen.push('end');
    });
    expect(press.seen).toEqual(['press']);
    expect(text.seen).toEqual(['text', 'end']);
  });
});
