import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from './metrics.js';

export const METRICS_PATH = '/metrics';

/** Loopback and private ranges: where a Prometheus of the same host or network scrapes from. */
const internal = new BlockList();
internal.addSubnet('127.0.0.0', 8, 'ipv4');
internal.addSubnet('10.0.0.0', 8, 'ipv4');
internal.addSubnet('172.16.0.0', 12, 'ipv4');
internal.addSubnet('192.168.0.0', 16, 'ipv4');
internal.addAddress('::1', 'ipv6');
internal.addSubnet('fc00::', 7, 'ipv6');

export function isInternalAddress(address: string | undefined): boolean {
  if (!address) return false;
  // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d.
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  const family = isIP(plain);
  if (family === 0) return false;
  return internal.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}

/** Digests first, so the comparison takes the same time whatever the length of the guess. */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export type MetricsAccess =
  | { ok: true }
  | { ok: false; status: 401 | 403; reason: 'no token' | 'wrong token' | 'not internal' | 'proxied' };

/**
 * Who may read /metrics. With METRICS_TOKEN: whoever sends `Authorization: Bearer <token>`.
 * Without: only a direct connection from loopback or a private address, and no request that came
 * through a proxy (it carries X-Forwarded-For), since a proxy on the host connects from loopback
 * on behalf of anyone on the internet.
 */
export function checkMetricsAccess(
  request: Pick<FastifyRequest, 'headers'> & { socket: { remoteAddress?: string } },
  token: string | undefined,
): MetricsAccess {
  if (token) {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) return { ok: false, status: 401, reason: 'no token' };
    return sameToken(match[1], token) ? { ok: true } : { ok: false, status: 401, reason: 'wrong token' };
  }
  if (request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined)
    return { ok: false, status: 403, reason: 'proxied' };
  if (!isInternalAddress(request.socket.remoteAddress))
    return { ok: false, status: 403, reason: 'not internal' };
  return { ok: true };
}

/** GET /metrics: the registry in Prometheus' text format, behind `checkMetricsAccess`. */
export function metricsRoute(
  metrics: Metrics,
  token: string | undefined,
  logger: Logger,
): FastifyPluginAsync {
  return async (app) => {
    app.get(METRICS_PATH, { config: { access: 'public' } }, async (request, reply) => {
      const access = checkMetricsAccess({ headers: request.headers, socket: request.raw.socket }, token);
      if (!access.ok) {
        // The reason only: the caller's address is personal data.
        logger.warn({ reason: access.reason }, 'metrics scrape refused');
        if (access.status === 401) reply.header('www-authenticate', 'Bearer realm="hakdata metrics"');
        return reply
          .code(access.status)
          .header('cache-control', 'no-store')
          .send({
            code: access.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN',
            message:
              access.status === 401
                ? 'Send Authorization: Bearer <METRICS_TOKEN>.'
                : 'Without METRICS_TOKEN, /metrics answers only direct internal connections.',
          });
      }
      const body = await metrics.registry.metrics();
      return reply
        .header('content-type', metrics.registry.contentType)
        .header('cache-control', 'no-store')
        .send(body);
    });
  };
}
