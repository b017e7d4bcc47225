import type { FastifyReply } from 'fastify';
import type { AppContext } from '../../app/context.js';
import type { RequestService } from '../../requests/index.js';
import type { SafeHtml } from './views/html.js';

/** What the console's route modules are handed. */
export interface ConsoleDeps {
  ctx: AppContext;
  /** Staff decisions go through the request service like every other change of a request. */
  requests: RequestService;
  now: () => Date;
  /** Every BullMQ queue this configuration runs (the dashboard's), given by the composition. */
  queueNames: string[];
}

/** Pages hold personal data (masked or shown): never cached, anywhere. */
export function sendPage(reply: FastifyReply, body: SafeHtml, status = 200) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(body.value);
}
