import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Component } from '../app/component.js';
import type { AppContext } from '../app/context.js';
import { adminPlugins } from './plugins.js';

export async function buildAdminServer(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({
    // Our own logger, so request logs go through the same redaction.
    loggerInstance: ctx.logger.child({ component: 'admin' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Off unless TRUST_PROXY names the proxy's addresses (hop counts are refused by the config):
    // otherwise anyone could choose the address the sign-in limits count them by with a forged
    // X-Forwarded-For.
    trustProxy: ctx.config.admin.trustProxy,
  });
  for (const plugin of adminPlugins) {
    const p = plugin(ctx);
    if (p) await app.register(p);
  }
  return app;
}

export function createAdminComponent(ctx: AppContext): Component {
  let app: FastifyInstance | undefined;
  return {
    name: 'admin',
    async start() {
      app = await buildAdminServer(ctx);
      const address = await app.listen({ host: ctx.config.admin.host, port: ctx.config.admin.port });
      ctx.logger.info({ url: address }, 'admin server listening');
    },
    async stop() {
      await app?.close();
    },
  };
}
