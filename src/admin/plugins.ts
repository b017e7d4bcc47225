import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app/context.js';
import { channelDefinitions } from '../channels/registry.js';
import { metricsPlugin } from '../metrics/serve.js';
import { consoleRoutes } from '../staff/console/index.js';
import { installationSources, runningQueueNames } from '../workers/queue-names.js';
import { healthRoutes } from './health.js';

/**
 * Everything the admin server serves, as Fastify plugins. A new page or API is one line here.
 * A factory returns undefined when its feature is off (e.g. the web chat in production).
 */
export const adminPlugins: ((ctx: AppContext) => FastifyPluginAsync | undefined)[] = [
  // First: the staff console's sign-in guard covers every route but the public ones.
  (ctx) => consoleRoutes(ctx, { queueNames: runningQueueNames(ctx) }),
  healthRoutes,
  // /metrics: its own access rule (METRICS_TOKEN, or internal addresses only).
  (ctx) => metricsPlugin(ctx, installationSources(ctx)),
  // What each channel serves itself (a webhook, the web chat's page), declared by its ChannelDefinition.
  ...channelDefinitions.flatMap((d) => (d.routes ? [d.routes] : [])),
];
