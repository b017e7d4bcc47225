import { afterEach, describe, expect, it, vi } from 'vitest';
import { redisErrorWarner } from '../../src/app/context.js';

describe('redisErrorWarner', () => {
  it('warns at most once per 10 s during an outage, naming REDIS_URL and counting what it left out', () => {
    const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
    let t = 0;
    const warn = redisErrorWarner(
      { warn: ((fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg })) as never },
      '127.0.0.1:6399',
      10_000,
      () => t,
    );
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:6399');
    // ioredis's reconnects: every 100 ms for 25 s, 250 errors.
    for (; t < 25_000; t += 100) warn(refused);
    expect(warnings.map((w) => w.msg)).toEqual([
      'redis connection error (REDIS_URL 127.0.0.1:6399)',
      'redis connection error (REDIS_URL 127.0.0.1:6399): 99 more since the last warning',
      'redis connection error (REDIS_URL 127.0.0.1:6399): 99 more since the last warning',
    ]);
    expect(warnings[1]?.fields).toMatchObject({ suppressed: 99, err: { message: refused.message } });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports what it left out after the last warning once its 10 s are up, and nothing more', () => {
    vi.useFakeTimers();
    const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
    const warn = redisErrorWarner(
      { warn: ((fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg })) as never },
      '127.0.0.1:6399',
    );
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:6399');
    // An outage of 4.9 s (50 errors), then Redis is back: no error comes to trigger a warning.
    for (let i = 0; i < 50; i++) {
      warn(refused);
      vi.advanceTimersByTime(100);
    }
    expect(warnings).toHaveLength(1);
    vi.advanceTimersByTime(5_000);
    expect(warnings.map((w) => w.msg)).toEqual([
      'redis connection error (REDIS_URL 127.0.0.1:6399)',
      'redis connection error (REDIS_URL 127.0.0.1:6399): 49 more since the last warning',
    ]);
    vi.advanceTimersByTime(60_000);
    expect(warnings).toHaveLength(2);
  });
});
