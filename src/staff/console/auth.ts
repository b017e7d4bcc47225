import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { RedisStore } from '../../app/context.js';
import type { Config } from '../../config/index.js';
import type { Models, StaffRole } from '../../db/index.js';
import { activeStaff, type StaffIdentity } from '../accounts.js';
import { isLang, type Lang } from './i18n.js';
import { hasRole } from './roles.js';
import { type ConsoleSession, loadSession } from './sessions.js';
import { errorPage } from './views/error.js';

/**
 * The admin server's front door. Every route needs a signed-in staff member, except the short
 * list below: deny by default, so a page or API added later is protected without anyone
 * remembering to. HTML requests without a session are sent to the login page (302), anything
 * else gets 401 JSON. Routes may ask for a role with `config: { access: 'admin' }`.
 */

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession: ConsoleSession | null;
    staff: StaffIdentity | null;
    lang: Lang;
  }
  interface FastifyContextConfig {
    /** Who may use a route: 'public' (no sign-in), 'agent' (any staff, the default) or 'admin'. */
    access?: 'public' | StaffRole;
  }
}

export const LOGIN_PATH = '/console/login';
export const CONSOLE_HOME = '/console/requests';
export const LANG_COOKIE = 'hakdata_lang';

/** Whether the console is served as in production (`__Host-` cookies, Secure). */
export type ConsoleMode = { config: Pick<Config, 'isProduction'> };
/** What the sign-in guard reads: sessions (Redis), staff accounts, the mode. */
export type AuthDeps = RedisStore & ConsoleMode & { models: Pick<Models, 'StaffAccount'> };

export function sessionCookieName(deps: ConsoleMode): string {
  // `__Host-` makes the browser refuse the cookie unless Secure, Path=/ and no Domain.
  return deps.config.isProduction ? '__Host-hakdata_console' : 'hakdata_console';
}

export function sessionCookieOptions(deps: ConsoleMode) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: deps.config.isProduction,
    signed: true,
  };
}

/** Routes other modules serve that must stay reachable without a console session. */
export function publicRoutePredicate(): (method: string, url: string) => boolean {
  // A channel's own routes (webhooks) declare `config: { access: 'public' }` themselves.
  return (_method, url) =>
    url === '/healthz' ||
    url === '/readyz' ||
    // Prometheus: checks METRICS_TOKEN, or internal addresses only (src/metrics/http.ts).
    url === '/metrics' ||
    // The development web chat; the config refuses it in production.
    url === '/chat' ||
    url.startsWith('/chat/');
}

/**
 * Parts of the admin server that belong to admins whatever their routes declare. A channel's
 * admin pages (linking the business WhatsApp number) declare `config: { access: 'admin' }`.
 */
const ADMIN_PREFIXES = ['/console/queues'];

/** Whether a route is for admins only: declared with `config: { access: 'admin' }` or under an admin prefix. */
export function needsAdminRole(url: string, access: string | undefined): boolean {
  return access === 'admin' || ADMIN_PREFIXES.some((p) => url.startsWith(p));
}

export function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

/** Reads the signed session cookie; a forged, unsigned or expired cookie is no session. */
export async function sessionOf(
  deps: RedisStore & ConsoleMode,
  request: FastifyRequest,
): Promise<ConsoleSession | undefined> {
  const value = request.cookies[sessionCookieName(deps)];
  if (!value) return undefined;
  const unsigned = request.unsignCookie(value);
  if (!unsigned.valid || !unsigned.value) return undefined;
  return loadSession(deps, unsigned.value);
}

function langOf(request: FastifyRequest): Lang {
  const q = (request.query as Record<string, unknown> | undefined)?.lang;
  if (isLang(q)) return q;
  const c = request.cookies[LANG_COOKIE];
  return isLang(c) ? c : 'id';
}

export function refuseUnauthenticated(request: FastifyRequest, reply: FastifyReply) {
  if (wantsHtml(request)) {
    const back = request.method === 'GET' && request.url.startsWith('/console') ? request.url : CONSOLE_HOME;
    return reply.redirect(`${LOGIN_PATH}?next=${encodeURIComponent(back)}`, 302);
  }
  return reply
    .code(401)
    .header('cache-control', 'no-store')
    .send({ code: 'UNAUTHENTICATED', message: 'Sign in to the staff console first.' });
}

export function refuseForbidden(request: FastifyRequest, reply: FastifyReply) {
  if (wantsHtml(request))
    return reply.code(403).type('text/html; charset=utf-8').send(errorPage(request, 'forbidden').value);
  return reply.code(403).send({ code: 'FORBIDDEN', message: 'Your role may not use this.' });
}

export function authGuard(deps: AuthDeps): onRequestAsyncHookHandler {
  const isPublic = publicRoutePredicate();
  return async function consoleAuthGuard(request, reply) {
    request.lang = langOf(request);
    const url = request.routeOptions.url;
    const access = request.routeOptions.config?.access;
    if (url !== undefined && isPublic(request.method, url)) return;
    if (access === 'public') {
      // The login page still wants to know who (if anyone) is signed in, and its CSRF token.
      const session = await sessionOf(deps, request);
      request.consoleSession = session ?? null;
      request.staff = session?.username ? ((await activeStaff(deps, session.username)) ?? null) : null;
      return;
    }

    const session = await sessionOf(deps, request);
    // Role changes and disabled accounts take effect on the very next request.
    const staff = session?.username ? await activeStaff(deps, session.username) : undefined;
    if (!session || !staff) return refuseUnauthenticated(request, reply);
    request.consoleSession = session;
    request.staff = staff;

    const path = url ?? request.url;
    if (needsAdminRole(path, access) && !hasRole(staff, 'admin')) return refuseForbidden(request, reply);
  };
}
