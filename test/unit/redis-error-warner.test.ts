import { describe, expect, it } from 'vitest';
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
});
