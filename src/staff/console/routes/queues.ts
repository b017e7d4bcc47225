import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import { recordAudit } from '../../../audit/record.js';
import type { Models } from '../../../db/index.js';
import { sharedConnectionQueue } from '../../../queues/options.js';
import { REQUEST_QUEUE } from '../../../requests/index.js';
import { staffActor } from '../../accounts.js';
import type { ConsoleDeps } from '../deps.js';

export const QUEUES_PATH = '/console/queues';

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

const pick = (value: unknown, fields: readonly string[]): Record<string, unknown> => {
  if (typeof value !== 'object' || value === null) return {};
  const source = value as Record<string, unknown>;
  return Object.fromEntries(fields.filter((f) => source[f] !== undefined).map((f) => [f, source[f]]));
};

/**
 * What the dashboard may show of a job, per queue: an allowlist, so a field added later stays
 * hidden until someone decides it is not personal. Outbound jobs: where (masked chat), what kind,
 * why and how far, never the sealed message; request jobs: the ref and _id (the request itself
 * is in MongoDB, behind the audited console pages). bull-board's `setFormatter` applies to every
 * view and API answer it gives (job lists, job detail, added jobs).
 */
export function dashboardJobData(queueName: string, data: unknown): Record<string, unknown> {
  if (queueName.startsWith('outbound-')) {
    const shown = pick(data, ['channel', 'maskedChat', 'kind', 'part', 'enqueuedAt', 'redacted']);
    const meta = pick((data as { meta?: unknown } | null)?.meta, ['purpose', 'requestRef', 'promoId']);
    return { ...shown, meta };
  }
  if (queueName === REQUEST_QUEUE) return pick(data, ['ref', 'id']);
  return pick(data, []);
}

/** A bull-board adapter whose every view of job data and progress goes through the allowlist. */
function redactedAdapter(queue: Queue): BullMQAdapter {
  const adapter = new BullMQAdapter(queue);
  adapter.setFormatter('data', (data: unknown) => dashboardJobData(queue.name, data));
  // Outbound progress: counters and the dead-letter reason (its detail is sanitized when written).
  adapter.setFormatter('progress', (progress: unknown) =>
    typeof progress === 'object' && progress !== null
      ? pick(progress, ['sends', 'failures', 'rateLimitHits', 'lastCode', 'deadLetter'])
      : progress,
  );
  adapter.setFormatter('returnValue', (value: unknown) =>
    typeof value === 'string' || typeof value === 'number' ? value : undefined,
  );
  return adapter;
}

/**
 * The dashboard's queues, on the shared connection (ConsoleDeps.queueOptions): their 'error' events
 * are that client's, already warned by it, so each gets a listener (sharedConnectionQueue); without
 * one BullMQ printed every Redis error with its stack to stderr during an outage.
 */
export function dashboardQueues(queueNames: string[], options: QueueDashboardDeps['queueOptions']): Queue[] {
  return queueNames.map((name) => sharedConnectionQueue(new Queue(name, options)));
}

/** The dashboard opens the configuration's queues and audits the actions taken through it. */
export type QueueDashboardDeps = Pick<ConsoleDeps, 'queueNames' | 'queueOptions'> & {
  models: Pick<Models, 'AuditEvent'>;
};

/**
 * The queue dashboard (bull-board) at /console/queues, admins only (auth.ts). Its own API calls
 * (retry, clean, promote) are fetches without our form token; they are accepted only from our
 * own pages: `Sec-Fetch-Site: same-origin` or an Origin equal to the server's, on top of the
 * SameSite=Strict session cookie.
 */
export const queueDashboardRoutes =
  ({ queueNames, queueOptions, ...deps }: QueueDashboardDeps): FastifyPluginAsync =>
  async (app) => {
    const queues = dashboardQueues(queueNames, queueOptions);
    const adapter = new FastifyAdapter();
    adapter.setBasePath(QUEUES_PATH);
    createBullBoard({
      queues: queues.map((q) => redactedAdapter(q)),
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
      await recordAudit(deps, {
        actor: staffActor(request.staff!.username),
        action: 'queues.action',
        details: { method: request.method, route: request.routeOptions.url ?? '' },
        idempotencyKey: null,
      });
    });

    await app.register(adapter.registerPlugin(), { prefix: QUEUES_PATH });
  };
