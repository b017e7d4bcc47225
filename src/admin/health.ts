import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';

async function check(name: string, probe: () => Promise<unknown>, timeoutMs = 1500) {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return { name, ok: true as const };
  } catch (err) {
    return { name, ok: false as const, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Readiness asks the two stores, nothing else. */
export type HealthDeps = { mongo: Pick<Connection, 'db'>; redis: Pick<Redis, 'ping'> };

/** `/healthz`: the process answers. `/readyz`: MongoDB and Redis answer too (503 otherwise). */
export const healthRoutes =
  (ctx: HealthDeps): FastifyPluginAsync =>
  async (app) => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_req, reply) => {
      const checks = await Promise.all([
        check('mongodb', async () => {
          const db = ctx.mongo.db;
          if (!db) throw new Error('not connected');
          await db.command({ ping: 1 });
        }),
        check('redis', () => ctx.redis.ping()),
      ]);
      const ready = checks.every((c) => c.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
    });
  };
