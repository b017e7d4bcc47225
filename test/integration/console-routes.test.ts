import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPlugins } from '../../src/admin/plugins.js';
import { buildAdminServer } from '../../src/admin/server.js';
import { needsAdminRole } from '../../src/staff/console/auth.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { addStaff, HTML, signIn } from './console-kit.js';

/**
 * Deny by default: every route the admin server registers, in a configuration that switches on
 * every optional plugin, answers 302 (HTML) or 401 (JSON) without a session, except the public
 * ones named here. A route added later is covered without touching this test.
 */

let ctx: TestContext;
let app: FastifyInstance;
let real: FastifyInstance;
const routes: { method: string; url: string; access?: string }[] = [];

const WEBHOOK_PATH = '/telegram/webhook-3f9a';
const PUBLIC = new Set([
  'GET /healthz',
  'HEAD /healthz',
  'GET /readyz',
  'HEAD /readyz',
  `POST ${WEBHOOK_PATH}`,
  // Prometheus: its own guard, METRICS_TOKEN or internal addresses only (test/integration/metrics.test.ts).
  'GET /metrics',
  'HEAD /metrics',
  'GET /console/login',
  'HEAD /console/login',
  'POST /console/login',
  'GET /console/assets/console.css',
  'HEAD /console/assets/console.css',
  'GET /console/assets/console.js',
  'HEAD /console/assets/console.js',
]);
const isPublic = (r: { method: string; url: string }) =>
  PUBLIC.has(`${r.method} ${r.url}`) || r.url === '/chat' || r.url.startsWith('/chat/');

beforeAll(async () => {
  ctx = await createTestContext({
    WEBCHAT_ENABLED: 'true',
    WHATSAPP_ENABLED: 'true',
    TELEGRAM_BOT_TOKEN: '123456:AAExampleTokenForTheRouteTest_abcdef',
    TELEGRAM_WEBHOOK_URL: `https://bot.example.id${WEBHOOK_PATH}`,
    TELEGRAM_WEBHOOK_SECRET: 'route-test-secret-0123456789',
  });
  // The route table, collected as Fastify builds it: the same plugins, in the same way, as
  // buildAdminServer (checked below against the real server).
  app = Fastify();
  app.addHook('onRoute', (r: RouteOptions) => {
    const access = (r.config as { access?: string } | undefined)?.access;
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, access });
  });
  for (const plugin of adminPlugins) {
    const p = plugin(ctx);
    if (p) await app.register(p);
  }
  await app.ready();
  real = await buildAdminServer(ctx);
  await real.ready();
});
afterAll(async () => {
  await app.close();
  await real.close();
  await ctx.cleanup();
});

/** A concrete URL for a route pattern. */
const sample = (url: string) => url.replace(/:[A-Za-z_]+/g, 'PR-ABCDEF').replace(/\*/g, 'x');

describe('every console and API route needs a session', () => {
  it('the enumerated table is the real server’s and holds every part of the console', () => {
    const urls = new Set(routes.map((r) => r.url));
    for (const url of [
      '/console/requests',
      '/console/requests/:ref/decision',
      '/console/customers/:customerNo/reveal',
      '/console/audit',
      '/console/deadletters',
      '/console/staff',
      '/console/api/requests',
      '/console/queues/api/queues',
      '/whatsapp/qr',
      '/chat',
      '/healthz',
    ])
      expect(urls, url).toContain(url);
    for (const r of routes)
      expect(real.hasRoute({ method: r.method as 'GET', url: r.url }), `${r.method} ${r.url}`).toBe(true);
    expect(routes.filter((r) => !isPublic(r)).length).toBeGreaterThan(25);
  });

  it('without a session: HTML asks go to the login page (302), others get 401 JSON', async () => {
    const checked: string[] = [];
    for (const r of routes.filter((x) => !isPublic(x))) {
      const url = sample(r.url);
      const method = r.method as 'GET';
      const payload = ['GET', 'HEAD'].includes(r.method) ? undefined : 'a=1';
      const html = await app.inject({
        method,
        url,
        headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
        payload,
      });
      expect(html.statusCode, `${r.method} ${url} (html)`).toBe(302);
      expect(html.headers.location, `${r.method} ${url}`).toMatch(/^\/console\/login\?next=/);
      const json = await app.inject({
        method,
        url,
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        payload: payload ? '{}' : undefined,
      });
      expect(json.statusCode, `${r.method} ${url} (json)`).toBe(401);
      if (r.method !== 'HEAD')
        expect(json.json(), `${r.method} ${url}`).toMatchObject({ code: 'UNAUTHENTICATED' });
      checked.push(`${r.method} ${r.url}`);
    }
    expect(checked).toContain('POST /console/requests/:ref/decision');
    expect(checked).toContain('GET /whatsapp/qr');
    // An unknown path gives nothing away either.
    expect((await app.inject({ url: '/console/nope', headers: HTML })).statusCode).toBe(302);
    expect((await app.inject({ url: '/admin.php' })).statusCode).toBe(401);
  });

  it('the public routes stay public', async () => {
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    expect((await app.inject({ url: '/chat', headers: HTML })).statusCode).toBe(200);
    expect((await app.inject('/chat/api/customers')).statusCode).toBe(200);
    expect((await app.inject({ url: '/console/login', headers: HTML })).statusCode).toBe(200);
    expect((await app.inject('/console/assets/console.css')).statusCode).toBe(200);
    // The webhook answers by its own secret, not by our session.
    const hook = await app.inject({ method: 'POST', url: WEBHOOK_PATH, payload: {} });
    expect(hook.statusCode).toBe(401);
    expect(hook.json()).toEqual({ ok: false });
  });

  it('a signed-in agent opens console pages but not the admin-only ones of other modules', async () => {
    const pw = await addStaff(ctx, 'agen', 'agent');
    const { b } = await signIn(app, 'agen', pw);
    expect((await b.get('/console/requests')).statusCode).toBe(200);
    expect((await b.get('/whatsapp/qr')).statusCode).toBe(403);
    expect((await b.get('/console/queues/')).statusCode).toBe(403);
    const adminPw = await addStaff(ctx, 'boss', 'admin');
    const admin = await signIn(app, 'boss', adminPw);
    expect((await admin.b.get('/whatsapp/qr')).statusCode).toBe(200);
  });

  it('an agent is refused (403) on every admin-only route, with a valid session and form token', async () => {
    const pw = await addStaff(ctx, 'agen2', 'agent');
    const { b } = await signIn(app, 'agen2', pw);
    const csrf = await b.csrf();
    const accountsBefore = await ctx.models.StaffAccount.countDocuments({});
    const adminOnly = routes.filter((r) => !isPublic(r) && needsAdminRole(r.url, r.access));
    const urls = new Set(adminOnly.map((r) => `${r.method} ${r.url}`));
    for (const expected of [
      'GET /console/staff',
      'POST /console/staff',
      'GET /console/audit',
      'GET /whatsapp/qr',
    ])
      expect(urls, expected).toContain(expected);
    expect([...urls].some((u) => u.includes('/console/queues'))).toBe(true);
    for (const r of adminOnly) {
      const url = sample(r.url);
      const res = ['GET', 'HEAD'].includes(r.method)
        ? await b.get(url)
        : await app.inject({
            method: r.method as 'POST',
            url,
            payload: `_csrf=${encodeURIComponent(csrf)}`,
            headers: {
              ...HTML,
              'content-type': 'application/x-www-form-urlencoded',
              cookie: Object.entries(b.cookies)
                .map(([k, v]) => `${k}=${v}`)
                .join('; '),
            },
          });
      expect(res.statusCode, `${r.method} ${url}`).toBe(403);
    }
    // Nothing the agent tried took effect: the same accounts, and the agent still an agent.
    expect(await ctx.models.StaffAccount.countDocuments({})).toBe(accountsBefore);
    expect((await ctx.models.StaffAccount.findOne({ username: 'agen2' }).lean())?.role).toBe('agent');
  });
});
