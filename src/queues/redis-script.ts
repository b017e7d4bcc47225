import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script, run atomically in Redis with its keys and arguments. */
export interface RedisScript {
  run(
    redis: Pick<Redis, 'evalsha' | 'eval'>,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown>;
}

/**
 * Runs by its SHA-1 (EVALSHA): the script's text crosses the wire only when Redis has not seen it
 * (after a restart or SCRIPT FLUSH it answers NOSCRIPT), and then once, whole (EVAL).
 */
export function redisScript(lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex');
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
        return redis.eval(lua, keys.length, ...keys, ...args);
      }
    },
  };
}
