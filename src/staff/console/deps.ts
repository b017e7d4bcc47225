import type { FastifyReply } from 'fastify';
import type { RedisStore } from '../../app/context.js';
import type { Config } from '../../config/index.js';
import type { Models } from '../../db/index.js';
import type { Logger } from '../../logging/logger.js';
import type { queueOptions } from '../../queues/options.js';
import type { liftRestrictionByStaff, RequestService } from '../../requests/index.js';
import type { SafeHtml } from './views/html.js';

/**
 * What the console is handed, split out of the app's context by its composition (index.ts). Each
 * route module names the part it uses (its own `…RouteDeps`), so its dependencies read at its
 * signature and a test can pass exactly those.
 */
export interface ConsoleDeps extends RedisStore {
  /** Read for the pages; written: staff accounts, dead letters (resolved), audit events. */
  models: Pick<
    Models,
    'Customer' | 'ServiceOrder' | 'PrivacyRequest' | 'AuditEvent' | 'DeadLetter' | 'StaffAccount'
  >;
  logger: Logger;
  config: Pick<Config, 'isProduction' | 'admin' | 'business'>;
  /** Staff decisions go through the request service like every other change of a request. */
  requests: RequestService;
  /** A staff member lifting a customer's restriction: a `restrict` request (requests/). */
  liftRestriction(
    input: Parameters<typeof liftRestrictionByStaff>[2],
  ): ReturnType<typeof liftRestrictionByStaff>;
  now: () => Date;
  /** Every BullMQ queue this configuration runs (the dashboard's), given by the composition. */
  queueNames: string[];
  /** Where those queues live (connection and prefix). */
  queueOptions: ReturnType<typeof queueOptions>;
}

/** Pages hold personal data (masked or shown): never cached, anywhere. */
export function sendPage(reply: FastifyReply, body: SafeHtml, status = 200) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(body.value);
}
