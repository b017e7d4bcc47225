import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { recordAudit } from '../../audit/record.js';
import { createOutbox } from '../../outbound/index.js';
import { queueOptions } from '../../queues/options.js';
import { createRequestService, liftRestrictionByStaff, type RequestService } from '../../requests/index.js';
import { staffActor } from '../accounts.js';
import { consoleCss, consoleJs } from './assets.js';
import { authGuard, LANG_COOKIE, LOGIN_PATH, sessionCookieName, sessionCookieOptions } from './auth.js';
import type { ConsoleDeps } from './deps.js';
import { sendPage } from './deps.js';
import { texts } from './i18n.js';
import { auditRoutes } from './routes/audit.js';
import { customerRoutes } from './routes/customers.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { loginRoutes } from './routes/login.js';
import { queueDashboardRoutes } from './routes/queues.js';
import { reportRoutes } from './routes/reports.js';
import { requestRoutes } from './routes/requests.js';
import { staffRoutes } from './routes/staff.js';
import { createSession, csrfMatches } from './sessions.js';
import { errorPage } from './views/error.js';
import { loginPage } from './views/login.js';

export type { ConsoleDeps } from './deps.js';

const CONSOLE_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'self'"],
  objectSrc: ["'none'"],
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Synchronizer-token check on every state-changing request of the console's forms. */
function csrfCheck(deps: ConsoleDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (SAFE_METHODS.has(request.method)) return;
    const body = request.body;
    const fromBody = body && typeof body === 'object' ? (body as Record<string, unknown>)._csrf : undefined;
    const token = fromBody ?? request.headers['x-csrf-token'];
    if (csrfMatches(request.consoleSession ?? undefined, token)) return;

    if (request.routeOptions.url === LOGIN_PATH) {
      // A login form left open past its pre-login session: a fresh form, not a dead end.
      const session = await createSession(deps);
      reply.setCookie(sessionCookieName(deps), session.id, sessionCookieOptions(deps));
      request.consoleSession = session;
      const error = texts[request.lang].login.expired;
      return sendPage(reply, loginPage(request, { next: '/console/requests', error }), 403);
    }
    if (request.staff)
      await recordAudit(deps, {
        actor: staffActor(request.staff.username),
        action: 'console.csrf.refused',
        details: { route: request.routeOptions.url ?? '' },
        idempotencyKey: null,
      });
    request.log.warn(
      { route: request.routeOptions.url },
      'console: request without a valid CSRF token refused',
    );
    return sendPage(reply, errorPage(request, 'csrf'), 403);
  };
}

/** The console's pages and forms: security headers, form bodies, CSRF, the routes. */
function consoleScope(deps: ConsoleDeps): FastifyPluginAsync {
  const { config } = deps;
  return async (app) => {
    await app.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: config.isProduction ? { ...CONSOLE_CSP, upgradeInsecureRequests: [] } : CONSOLE_CSP,
      },
      // HSTS only where the console is served over https.
      strictTransportSecurity: config.isProduction,
      referrerPolicy: { policy: 'no-referrer' },
    });
    app.addHook('onRequest', async (request, reply) => {
      const q = (request.query as Record<string, unknown> | undefined)?.lang;
      if (q === request.lang && request.cookies[LANG_COOKIE] !== q)
        reply.setCookie(LANG_COOKIE, request.lang, {
          path: '/console',
          httpOnly: true,
          sameSite: 'strict',
          secure: config.isProduction,
          maxAge: 365 * 86_400,
        });
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
      return payload;
    });

    const asset = (body: string, type: string) => async (_req: FastifyRequest, reply: FastifyReply) =>
      reply.type(type).header('cache-control', 'public, max-age=300').send(body);
    app.get(
      '/console/assets/console.css',
      { config: { access: 'public' } },
      asset(consoleCss, 'text/css; charset=utf-8'),
    );
    app.get(
      '/console/assets/console.js',
      { config: { access: 'public' } },
      asset(consoleJs, 'text/javascript; charset=utf-8'),
    );

    // Forms: url-encoded bodies and the CSRF check. The dashboard (below) has its own scope.
    await app.register(async (forms) => {
      await forms.register(formbody, { bodyLimit: 64 * 1024 });
      forms.addHook('preHandler', csrfCheck(deps));
      for (const routes of [
        loginRoutes,
        requestRoutes,
        customerRoutes,
        auditRoutes,
        deadLetterRoutes,
        staffRoutes,
        reportRoutes,
      ])
        await forms.register(routes(deps));
    });
    await app.register(queueDashboardRoutes(deps));
  };
}

/**
 * The staff web console (src/staff/console/): registered once on the admin server. It installs
 * the sign-in guard for the whole server (auth.ts: deny by default) and the console's own
 * encapsulated scope. The console's composition: the app's context is split here into what each
 * part is handed (ConsoleDeps); `deps` lets tests pass their own clock or request service.
 */
export function consoleRoutes(
  ctx: AppContext,
  deps: Partial<Pick<ConsoleDeps, 'requests' | 'now'>> & Pick<ConsoleDeps, 'queueNames'>,
): FastifyPluginAsync {
  const plugin = async (app: FastifyInstance) => {
    let owned: { close(): Promise<void> }[] = [];
    let requests: RequestService;
    if (deps.requests) requests = deps.requests;
    else {
      const outbox = createOutbox(ctx);
      const service = createRequestService(ctx, { outbox });
      requests = service;
      owned = [service, outbox];
    }
    app.addHook('onClose', async () => {
      await Promise.allSettled(owned.map((o) => o.close()));
    });

    await app.register(cookie, { secret: ctx.config.admin.secret, hook: 'onRequest' });
    app.decorateRequest('consoleSession', null);
    app.decorateRequest('staff', null);
    app.decorateRequest('lang', 'id');
    app.addHook('onRequest', authGuard(ctx));
    await app.register(
      consoleScope({
        models: ctx.models,
        logger: ctx.logger,
        config: ctx.config,
        redis: ctx.redis,
        key: ctx.key,
        requests,
        liftRestriction: (input) => liftRestrictionByStaff(ctx, requests, input),
        now: deps.now ?? (() => new Date()),
        queueNames: deps.queueNames,
        queueOptions: queueOptions(ctx),
      }),
    );
  };
  // Like fastify-plugin: the guard and the cookie parser apply to the whole admin server.
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'staff-console',
  });
}
