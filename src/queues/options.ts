import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AppContext } from '../app/context.js';

/** What a queue is opened with: the shared Redis connection and the installation's prefix. */
export type QueueStore = Pick<AppContext, 'redis'> & { config: Pick<AppContext['config'], 'redisPrefix'> };

/**
 * Every BullMQ queue of hakdata lives under REDIS_PREFIX, so installations (and test files)
 * sharing one Redis never see each other's jobs.
 */
export function queueOptions(ctx: QueueStore): { connection: Redis; prefix: string } {
  return { connection: ctx.redis, prefix: ctx.config.redisPrefix };
}

/** Workers block on Redis: each takes its own connection (close it when the worker stops). */
export function workerConnection(ctx: Pick<QueueStore, 'redis'>): Redis {
  return ctx.redis.duplicate();
}

/**
 * A queue on the shared connection (queueOptions): its 'error' events are that client's, already
 * warned by the client itself (REDIS_URL named, at most every 10 s: src/app/context.ts). Without a
 * listener BullMQ printed each one, with its stack, to stderr during a Redis outage.
 */
export function sharedConnectionQueue<Q extends Pick<Queue, 'on'>>(queue: Q): Q {
  queue.on('error', () => {});
  return queue;
}
