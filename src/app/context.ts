import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import type { Config } from '../config/index.js';
import { connectMongo, createModels, type Models, syncIndexes } from '../db/index.js';
import type { Logger } from '../logging/logger.js';
import { rateLimitedWarn } from '../logging/rate-limited.js';
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
  options: { metrics?: boolean; redisConnectTimeoutMs?: number } = {},
): Promise<AppContext> {
  const redis = createRedis(config);
  const warn = redisErrorWarner(logger, redisHost(config.redisUrl));
  warnOnErrors(redis, warn);
  try {
    await firstConnection(redis, options.redisConnectTimeoutMs ?? 5000);
  } catch (err) {
    // Without this the start waited forever (BullMQ and every command queue until Redis answers),
    // with no admin server, /healthz or /readyz, and never said which setting to look at.
    redis.disconnect();
    throw new Error(
      `Redis at REDIS_URL (${redisHost(config.redisUrl)}) cannot be used: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
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

/**
 * The first connection, bounded: resolves when the client is ready, rejects with the last
 * connection error (or "no answer") after `timeoutMs`. ioredis keeps reconnecting after that, so
 * an outage later in the process's life is still ridden out.
 */
function firstConnection(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: Error) => {
      lastError = err;
    };
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
    };
    const onReady = () => {
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(lastError ?? new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
}

/**
 * The client's connection errors as warnings naming REDIS_URL, at most one per `everyMs` (ioredis
 * retries every few hundred ms during an outage): the first at once, later ones with how many
 * were left out.
 */
export function redisErrorWarner(
  logger: Pick<Logger, 'warn'>,
  host: string,
  everyMs = 10_000,
  now: () => number = Date.now,
): (err: Error) => void {
  const warn = rateLimitedWarn(logger, `redis connection error (REDIS_URL ${host})`, everyMs, now);
  return (err) => warn({ err: { message: err.message } });
}

/**
 * `warn` for the client's errors and those of every copy taken from it, and from those (blocking
 * readers, workers, BullMQ's own blocking connections: duplicate()): the same outage, counted in
 * one warning. Without a listener ioredis printed each copy's every retry to stderr.
 */
function warnOnErrors(client: Redis, warn: (err: Error) => void): Redis {
  client.on('error', warn);
  const duplicate = client.duplicate.bind(client);
  client.duplicate = (override) => warnOnErrors(duplicate(override), warn);
  return client;
}

/** Host and port of a Redis URL, without its user and password. */
function redisHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'unreadable URL';
  }
}

/**
 * The hosts of a MongoDB URI, without its user and password: what follows the last `@`, since a
 * password with an unescaped `/`, `?` or `@` (which the driver refuses, when this is shown) would
 * otherwise be read as the hosts.
 */
function mongoHosts(uri: string): string {
  const rest = /^mongodb(?:\+srv)?:\/\/(.*)$/s.exec(uri)?.[1];
  if (rest === undefined) return 'unreadable URI';
  return rest.slice(rest.lastIndexOf('@') + 1).split(/[/?]/)[0] ?? '';
}

export async function closeAppContext(ctx: AppContext): Promise<void> {
  await Promise.allSettled([ctx.redis.quit(), ctx.mongo.close()]);
}
