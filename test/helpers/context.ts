import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import { type AppContext, closeAppContext, createAppContext } from '../../src/app/context.js';
import { loadAppConfig } from '../../src/app/settings.js';
import { createLogger, type Logger } from '../../src/logging/logger.js';
import { deleteKeys } from './redis-keys.js';

/** A logger whose every line is kept, so tests can assert what was (not) logged. */
export function captureLogger(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

export interface TestContext extends AppContext {
  /** Every log line written through ctx.logger. */
  logLines: string[];
  /** Environment used to build ctx.config, for child processes. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * A private database and Redis key prefix on the run's real servers. Call in beforeAll and
 * `cleanup()` in afterAll: the database is dropped and the prefix's keys deleted.
 */
export async function createTestContext(overrides: Record<string, string> = {}): Promise<TestContext> {
  const id = randomBytes(4).toString('hex');
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    MONGODB_URI: `${inject('mongoBaseUri')}/t_${id}`,
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: `t_${id}`,
    ...overrides,
  };
  const config = loadAppConfig(env);
  const { logger, lines } = captureLogger(config.logLevel);
  const ctx = await createAppContext(config, logger);
  return {
    ...ctx,
    logLines: lines,
    env,
    cleanup: async () => {
      await deleteKeys(ctx.redis, `${config.redisPrefix}:*`);
      await ctx.mongo.dropDatabase().catch(() => {});
      await closeAppContext(ctx);
    },
  };
}
