import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import type { Config } from '../config/index.js';
import { connectMongo, createModels, type Models, syncIndexes } from '../db/index.js';
import type { Logger } from '../logging/logger.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';

/**
 * What every part of hakdata is handed: configuration, logger and the two stores. Built once per
 * process and passed down, so no module reads `process.env` or opens its own connections.
 */
export interface AppContext {
  config: Config;
  logger: Logger;
  redis: Redis;
  mongo: Connection;
  models: Models;
  /**
   * This process's metrics (src/metrics/), served at /metrics. Absent when a caller builds a
   * context without them (the benchmark's "metrics off"): every instrumented line reads `?.`.
   */
  metrics?: Metrics;
  /** `prefix:part:part`: every Redis key hakdata writes goes through here. */
  key(...parts: (string | number)[]): string;
}

/** Redis and the key builder: what a module keeping its own state in Redis is handed, nothing more. */
export type RedisStore = Pick<AppContext, 'redis' | 'key'>;

export function createRedis(config: Config, options: { lazy?: boolean } = {}): Redis {
  return new Redis(config.redisUrl, {
    // BullMQ requires null here: it blocks on Redis and retries on its own.
    maxRetriesPerRequest: null,
    lazyConnect: options.lazy ?? false,
  });
}

export async function createAppContext(
  config: Config,
  logger: Logger,
  options: { metrics?: boolean } = {},
): Promise<AppContext> {
  const redis = createRedis(config);
  redis.on('error', (err) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
  let mongo: Connection;
  try {
    mongo = await connectMongo(config.mongodbUri, {
      onMonitorRestart: (servers) =>
        logger.warn({ servers }, 'MongoDB server monitor was stuck; restarted it'),
    });
  } catch (err) {
    // The driver's "connect ECONNREFUSED 10.0.0.5:27017" or "Authentication failed." alone does not
    // say which setting to look at; the Redis client is closed so the process can end.
    redis.disconnect();
    throw new Error(
      `MongoDB at MONGODB_URI (${mongoHosts(config.mongodbUri)}) cannot be used: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  const models = createModels(mongo);
  await syncIndexes(models);
  return {
    config,
    logger,
    redis,
    mongo,
    models,
    ...(options.metrics === false ? {} : { metrics: createMetrics() }),
    key: (...parts) => [config.redisPrefix, ...parts].join(':'),
  };
}

/** The hosts of a MongoDB URI, without its user and password. */
function mongoHosts(uri: string): string {
  return /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]*)/.exec(uri)?.[1] ?? 'unreadable URI';
}

export async function closeAppContext(ctx: AppContext): Promise<void> {
  await Promise.allSettled([ctx.redis.quit(), ctx.mongo.close()]);
}
