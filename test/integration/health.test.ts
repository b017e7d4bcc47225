import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../src/admin/server.js';
import { closeAppContext, createAppContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { queueOptions } from '../../src/queues/options.js';
import { createRequestQueue } from '../../src/requests/queue.js';
import { freePort } from '../../src/services/processes.js';
import { dashboardQueues } from '../../src/staff/console/routes/queues.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.cleanup());

/** What a start with this configuration fails with ('started' if it does not fail). */
const startFailure = (env: Record<string, string>, options?: Parameters<typeof createAppContext>[2]) =>
  createAppContext(loadConfig(env), createLogger({ level: 'silent' }), options).then(
    async (started) => {
      await closeAppContext(started);
      return 'started';
    },
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );

describe('health endpoints', () => {
  it('/healthz and /readyz answer 200 when MongoDB and Redis are reachable', async () => {
    const app = await buildAdminServer(ctx);
    try {
      expect((await app.inject('/healthz')).statusCode).toBe(200);
      const ready = await app.inject('/readyz');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ status: 'ready' });
    } finally {
      await app.close();
    }
  });

  it('/readyz answers 503 naming Redis when Redis is down, while /healthz stays up', async () => {
    // A Redis client pointed at a port where nothing listens: the same as Redis being down.
    const deadRedis = new Redis(await freePort(), '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: null,
    });
    deadRedis.on('error', () => {});
    const app = await buildAdminServer({ ...ctx, redis: deadRedis });
    try {
      const ready = await app.inject('/readyz');
      expect(ready.statusCode).toBe(503);
      const body = ready.json() as { checks: { name: string; ok: boolean }[] };
      expect(body.checks.find((c) => c.name === 'redis')?.ok).toBe(false);
      expect(body.checks.find((c) => c.name === 'mongodb')?.ok).toBe(true);
      expect((await app.inject('/healthz')).statusCode).toBe(200);
    } finally {
      await app.close();
      deadRedis.disconnect();
    }
  });

  it('a start with MongoDB out of reach names MONGODB_URI and its host, never its password', async () => {
    const port = await freePort();
    const failed = await startFailure({
      MONGODB_URI: `mongodb://app:m0ngo-Pw-7f3a@127.0.0.1:${port}/hakdata?serverSelectionTimeoutMS=300`,
      REDIS_URL: ctx.config.redisUrl,
    });
    expect(failed).toMatch(
      new RegExp(`^MongoDB at MONGODB_URI \\(127\\.0\\.0\\.1:${port}\\) cannot be used: `),
    );
    expect(failed).not.toContain('m0ngo-Pw');
  });

  it('a password with an unescaped / or ? is not shown as the host when the driver refuses it', async () => {
    // The config takes these URIs (mongodb://\S+); the driver refuses them ("Password contains
    // unescaped characters"), and the hosts were read up to the first / or ?: "app:m0ngo".
    const port = await freePort();
    for (const password of ['m0ngo/Pw-7f3a', 'm0ngo?Pw-7f3a']) {
      const failed = await startFailure({
        MONGODB_URI: `mongodb://app:${password}@127.0.0.1:${port}/hakdata`,
        REDIS_URL: ctx.config.redisUrl,
      });
      expect(failed).toMatch(
        new RegExp(`^MongoDB at MONGODB_URI \\(127\\.0\\.0\\.1:${port}\\) cannot be used: `),
      );
      expect(failed).not.toMatch(/m0ngo|app:/);
    }
  });

  it('a start with Redis out of reach fails within its bound, naming REDIS_URL and its host, never its password', async () => {
    const port = await freePort();
    const started = Date.now();
    const failed = await startFailure(
      { MONGODB_URI: ctx.config.mongodbUri, REDIS_URL: `redis://app:r3dis-Pw-9c1e@127.0.0.1:${port}/0` },
      { redisConnectTimeoutMs: 800 },
    );
    expect(failed).toMatch(
      new RegExp(`^Redis at REDIS_URL \\(127\\.0\\.0\\.1:${port}\\) cannot be used: .*ECONNREFUSED`),
    );
    expect(failed).not.toContain('r3dis-Pw');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("copies of the Redis client (blocking readers, workers' connections) warn through the start's limiter", () => {
    // Without a listener each copy's every retry during an outage was printed to stderr.
    const copy = ctx.redis.duplicate({ lazyConnect: true });
    const copyOfCopy = copy.duplicate({ lazyConnect: true });
    try {
      expect(copy.listeners('error')).toEqual(ctx.redis.listeners('error'));
      expect(copyOfCopy.listeners('error')).toEqual(ctx.redis.listeners('error'));
      expect(copy.listenerCount('error')).toBe(1);
    } finally {
      copy.disconnect();
      copyOfCopy.disconnect();
    }
  });

  it("a queue on the shared connection leaves its errors to that client's warning, not stderr", async () => {
    // BullMQ printed each of a listener-less queue's connection errors with its stack (queue-base).
    const queue = createRequestQueue(ctx);
    try {
      expect(queue.listenerCount('error')).toBe(1);
    } finally {
      await queue.close();
    }
  });

  it("the console's queue dashboard leaves its queues' errors to the shared client's warning, not stderr", async () => {
    const queues = dashboardQueues(['requests', 'outbound-telegram-0'], queueOptions(ctx));
    try {
      for (const queue of queues) expect(queue.listenerCount('error')).toBe(1);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
  });
});
