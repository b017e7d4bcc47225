import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../../app/context.js';
import { recordAudit } from '../../../audit/record.js';
import { channelDefinitions } from '../../../channels/registry.js';
import { queueOptions } from '../../../queues/options.js';
import { REQUEST_QUEUE } from '../../../requests/queue.js';
import { defaultPartitions, outboundQueueName } from '../../../workers/outbound-queues.js';
import { SLA_QUEUE } from '../../../workers/sla.js';
import { staffActor } from '../../accounts.js';
import type { ConsoleDeps } from '../deps.js';

export const QUEUES_PATH = '/console/queues';

/** Every BullMQ queue hakdata runs in this configuration: requests, SLA, outbound partitions. */
export function dashboardQueueNames(ctx: AppContext): string[] {
  const outbound = channelDefinitions
    .filter((c) => c.enabled(ctx))
    .flatMap((c) =>
      Array.from({ length: defaultPartitions(c.name) }, (_, p) => outboundQueueName(c.name, p)),
    );
  return [REQUEST_QUEUE, SLA_QUEUE, ...outbound];
}

// bull-board's page has inline styles (no inline scripts): only its scope allows them.
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "object-src 'none'",
].join('; ');

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The queue dashboard (bull-board) at /console/queues, admins only (auth.ts). Its own API calls
 * (retry, clean, promote) are fetches without our form token; they are accepted only from our
 * own pages: `Sec-Fetch-Site: same-origin` or an Origin equal to the server's, on top of the
 * SameSite=Strict session cookie.
 */
export const queueDashboardRoutes =
  ({ ctx }: ConsoleDeps): FastifyPluginAsync =>
  async (app) => {
    const queues = dashboardQueueNames(ctx).map((name) => new Queue(name, queueOptions(ctx)));
    const adapter = new FastifyAdapter();
    adapter.setBasePath(QUEUES_PATH);
    createBullBoard({
      queues: queues.map((q) => new BullMQAdapter(q)),
      serverAdapter: adapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
      options: { uiConfig: { boardTitle: 'hakdata' } },
    });
    app.addHook('onClose', async () => {
      await Promise.allSettled(queues.map((q) => q.close()));
    });

    app.addHook('onRequest', async (request, reply) => {
      reply.header('content-security-policy', DASHBOARD_CSP);
      if (SAFE.has(request.method)) return;
      const site = request.headers['sec-fetch-site'];
      const origin = request.headers.origin;
      const sameOrigin =
        site === 'same-origin' ||
        (typeof origin === 'string' && origin === `${request.protocol}://${request.host}`);
      if (!sameOrigin) return reply.code(403).send({ code: 'CSRF', message: 'Cross-site request refused.' });
      await recordAudit(ctx, {
        actor: staffActor(request.staff!.username),
        action: 'queues.action',
        details: { method: request.method, route: request.routeOptions.url ?? '' },
        idempotencyKey: null,
      });
    });

    await app.register(adapter.registerPlugin(), { prefix: QUEUES_PATH });
  };
