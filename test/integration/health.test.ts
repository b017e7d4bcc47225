import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../src/admin/server.js';
import { freePort } from '../../src/services/processes.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.cleanup());

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
});
