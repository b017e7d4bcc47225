import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { recordAudit } from '../../../audit/record.js';
import type { Logger } from '../../../logging/logger.js';
import { authenticate, type StaffAccountDeps, staffActor } from '../../accounts.js';
import {
  CONSOLE_HOME,
  type ConsoleMode,
  LOGIN_PATH,
  sessionCookieName,
  sessionCookieOptions,
} from '../auth.js';
import { sendPage } from '../deps.js';
import { texts } from '../i18n.js';
import { takeAddressAttempt } from '../lockout.js';
import { createSession, destroySession } from '../sessions.js';
import { loginPage } from '../views/login.js';

const loginBody = z.object({
  username: z.string().max(64).default(''),
  password: z.string().max(1024).default(''),
  next: z.string().max(500).optional(),
});

/** Only our own console pages: `//evil.example` and absolute URLs are not followed. */
export function safeNext(next: unknown): string {
  if (
    typeof next !== 'string' ||
    !next.startsWith('/console/') ||
    next.startsWith('//') ||
    next.includes('\\')
  )
    return CONSOLE_HOME;
  return next;
}

/** Signing in reaches staff accounts, the lockout and sessions (Redis); both ends are audited. */
export type LoginRouteDeps = StaffAccountDeps & ConsoleMode & { logger: Logger };

/** Sign-in (public) and sign-out. The login form's CSRF token lives in a pre-login session. */
export const loginRoutes =
  (deps: LoginRouteDeps): FastifyPluginAsync =>
  async (app) => {
    const cookie = sessionCookieName(deps);
    const cookieOptions = sessionCookieOptions(deps);

    app.get('/console', async (_request, reply) => reply.redirect(CONSOLE_HOME, 302));

    app.get(LOGIN_PATH, { config: { access: 'public' } }, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const next = safeNext(query.next);
      if (request.staff) return reply.redirect(next, 302);
      if (!request.consoleSession || request.consoleSession.username) {
        const session = await createSession(deps);
        reply.setCookie(cookie, session.id, cookieOptions);
        request.consoleSession = session;
      }
      const info = query.loggedOut === '1' ? texts[request.lang].login.loggedOut : undefined;
      return sendPage(reply, loginPage(request, { next, ...(info ? { info } : {}) }));
    });

    app.post(LOGIN_PATH, { config: { access: 'public' } }, async (request, reply) => {
      const t = texts[request.lang].login;
      const parsed = loginBody.safeParse(request.body ?? {});
      const body = parsed.success ? parsed.data : { username: '', password: '', next: undefined };
      const next = safeNext(body.next);
      const wait = await takeAddressAttempt(deps, request.ip);
      if (wait > 0) {
        request.log.warn({ wait }, 'console: too many sign-in attempts from one address');
        return sendPage(reply, loginPage(request, { next, error: t.locked(Math.ceil(wait / 60)) }), 429);
      }
      const result = await authenticate(deps, body.username, body.password, request.ip);
      if (!result.ok) {
        const error =
          result.code === 'LOCKED' ? t.locked(Math.ceil(result.retryAfterSeconds / 60)) : t.invalid;
        return sendPage(
          reply,
          loginPage(request, { next, username: body.username.slice(0, 64), error }),
          result.code === 'LOCKED' ? 429 : 401,
        );
      }
      // A new session id at sign-in, so an id planted before login is worth nothing after it.
      if (request.consoleSession) await destroySession(deps, request.consoleSession.id);
      const session = await createSession(deps, result.staff);
      reply.setCookie(cookie, session.id, cookieOptions);
      return reply.redirect(next, 303);
    });

    app.post('/console/logout', async (request, reply) => {
      if (request.consoleSession) await destroySession(deps, request.consoleSession.id);
      if (request.staff)
        await recordAudit(deps, {
          actor: staffActor(request.staff.username),
          action: 'console.logout',
          idempotencyKey: null,
        });
      reply.clearCookie(cookie, { path: '/' });
      return reply.redirect(`${LOGIN_PATH}?loggedOut=1`, 303);
    });
  };
