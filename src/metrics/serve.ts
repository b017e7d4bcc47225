import Fastify, { type FastifyBaseLogger, type FastifyPluginAsync, LogController } from 'fastify';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import type { Component } from '../app/component.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { QueueStore } from '../queues/options.js';
import { metricsRoute } from './http.js';
import type { Metrics } from './metrics.js';
import { type InstallationSources, watchInstallation } from './sources.js';

const withDefaults = new WeakSet<Registry>();

/**
 * What serving /metrics is handed: this process's metrics (absent: not served), the token and
 * where to listen, the queues' Redis (scrape-time depth) and a logger.
 */
export type MetricsServeDeps = QueueStore & {
  metrics?: Metrics | undefined;
  config: Pick<Config, 'isProduction' | 'metrics' | 'role'>;
  logger: Logger;
};

/**
 * /metrics as a Fastify plugin, for whichever server this process runs: the process's own
 * counters, Node's (CPU, memory, event loop lag: `hakdata_process_*`, `hakdata_nodejs_*`), and
 * the installation's queue depth and overdue requests, read at scrape time.
 */
export function metricsPlugin(
  ctx: MetricsServeDeps,
  sources: InstallationSources,
): FastifyPluginAsync | undefined {
  const { metrics } = ctx;
  if (!metrics) return undefined;
  return async (app) => {
    if (!withDefaults.has(metrics.registry)) {
      withDefaults.add(metrics.registry);
      collectDefaultMetrics({ register: metrics.registry, prefix: 'hakdata_' });
    }
    if (ctx.config.isProduction && !ctx.config.metrics.token)
      ctx.logger.warn(
        { component: 'metrics' },
        'METRICS_TOKEN is not set: /metrics answers direct connections from loopback and private addresses only',
      );
    const installation = watchInstallation(ctx, metrics, sources);
    app.addHook('onClose', async () => installation.close());
    await app.register(
      metricsRoute(metrics, ctx.config.metrics.token, ctx.logger.child({ component: 'metrics' })),
    );
  };
}

/**
 * For a gateway or worker process without the admin server: /metrics on METRICS_HOST and
 * METRICS_PORT, with /healthz and /readyz beside it (the container's health check asks this port
 * in these roles: deploy/healthcheck.mjs). The admin role serves all three itself, so with it this
 * is not started.
 */
export function createMetricsComponent(
  ctx: MetricsServeDeps,
  sources: InstallationSources,
  /** /healthz and /readyz, given by the composition (admin/health.ts sits above metrics/). */
  health: FastifyPluginAsync,
): Component | undefined {
  const log = ctx.logger.child({ component: 'metrics' });
  if (ctx.config.role === 'all' || ctx.config.role === 'admin') return undefined;
  const plugin = metricsPlugin(ctx, sources);
  const { host, port } = ctx.config.metrics;
  if (port === undefined) {
    log.info({ role: ctx.config.role }, 'metrics and health not served: METRICS_PORT is not set');
    return undefined;
  }
  if (!plugin) log.info({ role: ctx.config.role }, 'metrics not served: metrics are off in this process');
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  return {
    name: 'metrics',
    async start() {
      await app.register(health);
      if (plugin) await app.register(plugin);
      const url = await app.listen({ host, port });
      log.info(
        {
          url: plugin ? `${url}/metrics` : `${url}/healthz`,
          auth: ctx.config.metrics.token ? 'bearer token' : 'internal addresses only',
        },
        plugin ? 'metrics served' : 'health served',
      );
    },
    async stop() {
      await app.close();
    },
  };
}
