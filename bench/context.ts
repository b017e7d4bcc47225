import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { type AppContext, closeAppContext, createAppContext } from '../src/app/context.js';
import { loadAppConfig } from '../src/app/settings.js';
import { createLogger } from '../src/logging/logger.js';
import { pollUntil } from '../test/helpers/poll.js';
import { deleteKeys } from '../test/helpers/redis-keys.js';
import type { BenchEnv } from './run.js';

export interface BenchContext extends AppContext {
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * A private MongoDB database and Redis prefix for one benchmark, like the tests' context. Logs go
 * to /dev/null at `info`: the cost of writing production log lines is part of every figure.
 */
export async function benchContext(
  env: BenchEnv,
  name: string,
  overrides: Record<string, string> = {},
): Promise<BenchContext> {
  const id = `bench_${name}_${randomBytes(3).toString('hex')}`;
  const vars: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    MONGODB_URI: `${env.mongoBaseUri}/${id}`,
    REDIS_URL: env.redisUrl,
    REDIS_PREFIX: id,
    ...overrides,
  };
  const config = loadAppConfig(vars);
  const logger = createLogger({ level: config.logLevel, destination: pino.destination('/dev/null') });
  const ctx = await createAppContext(config, logger);
  return {
    ...ctx,
    env: vars,
    cleanup: async () => {
      await deleteKeys(ctx.redis, `${config.redisPrefix}:*`);
      await ctx.mongo.dropDatabase().catch(() => {});
      await closeAppContext(ctx);
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const waitUntil = <T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  ms: number,
  everyMs = 50,
) => pollUntil(what, check, { timeoutMs: ms, everyMs });

export const log = (line: string) => process.stderr.write(`  ${line}\n`);
