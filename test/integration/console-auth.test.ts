import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../src/admin/server.js';
import { createStaffAccount } from '../../src/staff/accounts.js';
import { addressTag } from '../../src/staff/console/lockout.js';
import { hashPassword, verifyPassword } from '../../src/staff/console/passwords.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { addStaff, browser, HTML, signIn } from './console-kit.js';

let ctx: TestContext;
let app: FastifyInstance;
let agentPw: string;
let adminPw: string;

beforeAll(async () => {
  ctx = await createTestContext();
  agentPw = await addStaff(ctx, 'agen.satu', 'agent');
  adminPw = await addStaff(ctx, 'admin.satu', 'admin');
  app = await buildAdminServer(ctx);
});
afterAll(async () => {
  await app.close();
  await ctx.cleanup();
});

const audits = (action: string) => ctx.models.AuditEvent.find({ action }).lean();

describe('passwords', () => {
  it('are scrypt hashes (OWASP cost) with a per-user salt, checked in constant time', async () => {
    await createStaffAccount(ctx, {
      username: 'penuh',
      role: 'agent',
      password: 'full-cost-password',
      createdBy: 'test',
    });
    const stored = await ctx.models.StaffAccount.findOne({ username: 'penuh' }).lean();
    const hash = stored?.passwordHash ?? '';
    expect(hash).toMatch(/^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(stored)).not.toContain('full-cost-password');
    expect(await verifyPassword('full-cost-password', hash)).toBe(true);
    expect(await verifyPassword('full-cost-passworD', hash)).toBe(false);
    const cheap = { N: 1024, r: 8, p: 1 };
    expect(await hashPassword('same', cheap)).not.toBe(await hashPassword('same', cheap));
    // A tampered hash asking for gigabytes is refused, not computed.
    expect(await verifyPassword('x', 'scrypt$99999999$8$1$aa$bb')).toBe(false);
  });
});

describe('sign-in', () => {
  it('a right password opens a session: HttpOnly, SameSite=Strict, signed cookie; the old id is dropped', async () => {
    const b = browser(app);
    const loginPage = await b.get('/console/login');
    expect(loginPage.statusCode).toBe(200);
    const before = b.cookies.hakdata_console;
    expect(before).toBeDefined();
    const csrf = await b.csrf('/console/login');
    const res = await b.post('/console/login', {
      username: 'Agen.Satu',
      password: agentPw,
      _csrf: csrf,
      next: '/console/requests?type=erase',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/requests?type=erase');
    const cookie = (
      res.cookies as { name: string; httpOnly?: boolean; sameSite?: string; path?: string; value: string }[]
    ).find((c) => c.name === 'hakdata_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // Signed (value.signature) and a new id: a session planted before sign-in is worthless after it.
    expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9+/_-]+$/);
    expect(cookie?.value).not.toBe(before);
    const queue = await b.get('/console/requests');
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain('agen.satu');
    expect(await audits('console.login')).toHaveLength(1);
    // Redis keeps the session under a hash of its id, never the id itself.
    const keys = await ctx.redis.keys(`${ctx.config.redisPrefix}:console:session:*`);
    const sid = cookie?.value.split('.')[0] ?? '';
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(' ')).not.toContain(sid);
    expect(await ctx.redis.ttl(keys[0] ?? '')).toBeGreaterThan(0);
  });

  it('a wrong password is refused with 401 and audited, without saying which part was wrong', async () => {
    const { res } = await signIn(app, 'agen.satu', 'wrong-password-123');
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('Nama pengguna atau kata sandi salah.');
    const unknown = await signIn(app, 'nobody.here', 'wrong-password-123');
    expect(unknown.res.statusCode).toBe(401);
    expect(unknown.res.body).toContain('Nama pengguna atau kata sandi salah.');
    const failed = await audits('console.login.failed');
    expect(failed.map((e) => e.actor).sort()).toEqual(['anonymous', 'staff:agen.satu']);
  });

  it('a tampered or unsigned cookie is no session', async () => {
    const { b } = await signIn(app, 'agen.satu', agentPw);
    const good = b.cookies.hakdata_console ?? '';
    const [sid] = good.split('.');
    for (const value of [sid, `${sid}.AAAA`, `x${good.slice(1)}`]) {
      const res = await app.inject({
        url: '/console/requests',
        headers: { ...HTML, cookie: `hakdata_console=${value}` },
      });
      expect(res.statusCode).toBe(302);
    }
  });

  it('five wrong passwords lock the account from that address for 15 minutes, even against the right password', async () => {
    await addStaff(ctx, 'kunci', 'agent', 'the-right-password-1');
    for (let i = 1; i <= 4; i++)
      expect((await signIn(app, 'kunci', `wrong-${i}-xxxxxxxx`)).res.statusCode).toBe(401);
    const fifth = await signIn(app, 'kunci', 'wrong-5-xxxxxxxx');
    expect(fifth.res.statusCode).toBe(429);
    expect(fifth.res.body).toContain('dikunci');
    const right = await signIn(app, 'kunci', 'the-right-password-1');
    expect(right.res.statusCode).toBe(429);
    expect(right.res.headers.location).toBeUndefined();
    const ttl = await ctx.redis.ttl(
      `${ctx.config.redisPrefix}:console:login-lock:kunci:${addressTag(ctx, '127.0.0.1')}`,
    );
    expect(ttl).toBeGreaterThan(14 * 60);
    expect(ttl).toBeLessThanOrEqual(15 * 60);
    expect(await audits('console.login.locked')).toHaveLength(1);
    expect((await audits('console.login.refused_locked')).length).toBeGreaterThanOrEqual(1);

    // An admin lifts the lock from the staff page; the right password works again.
    const admin = await signIn(app, 'admin.satu', adminPw);
    const csrf = await admin.b.csrf('/console/staff');
    // One address is locked out, not the account: said so on its row, with the unlock.
    const row = /<tr>\s*<td[^>]*><strong>kunci<\/strong>[\s\S]*?<\/tr>/.exec(
      (await admin.b.get('/console/staff')).body,
    )?.[0];
    expect(row).toContain('1 alamat diblokir 15 menit');
    expect(row).not.toContain('terkunci');
    const unlock = await admin.b.post('/console/staff/kunci/change', { action: 'unlock', _csrf: csrf });
    expect(unlock.statusCode).toBe(303);
    expect((await signIn(app, 'kunci', 'the-right-password-1')).res.statusCode).toBe(303);
    expect(await audits('staff.unlock')).toHaveLength(1);
  });

  it('parallel guesses cannot slip past the fifth failure', async () => {
    await addStaff(ctx, 'paralel', 'agent', 'the-right-password-2');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => signIn(app, 'paralel', `wrong-${i}-yyyyyyyy`)),
    );
    const codes = results.map((r) => r.res.statusCode).sort();
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(4);
    expect((await signIn(app, 'paralel', 'the-right-password-2')).res.statusCode).toBe(429);
  });

  it('logging out ends the session on the server', async () => {
    const { b } = await signIn(app, 'agen.satu', agentPw);
    const cookie = b.cookies.hakdata_console;
    const csrf = await b.csrf();
    const out = await b.post('/console/logout', { _csrf: csrf });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/console/login?loggedOut=1');
    const reuse = await app.inject({
      url: '/console/requests',
      headers: { ...HTML, cookie: `hakdata_console=${cookie}` },
    });
    expect(reuse.statusCode).toBe(302);
    expect((await audits('console.logout')).length).toBeGreaterThanOrEqual(1);
  });
});

describe('CSRF', () => {
  it('a POST without the form token, or with another session’s token, is refused with 403 and changes nothing', async () => {
    const pending = await ctx.models.StaffAccount.countDocuments();
    const { b } = await signIn(app, 'admin.satu', adminPw);
    const other = await signIn(app, 'agen.satu', agentPw);
    const foreign = await other.b.csrf();
    const attempts: Record<string, string>[] = [
      { username: 'csrf.one', role: 'agent', password: 'a-long-password-1' },
      { username: 'csrf.two', role: 'agent', password: 'a-long-password-1', _csrf: foreign },
      { username: 'csrf.three', role: 'agent', password: 'a-long-password-1', _csrf: '' },
    ];
    for (const fields of attempts) {
      const res = await b.post('/console/staff', fields);
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('Formulir kedaluwarsa');
    }
    expect(await ctx.models.StaffAccount.countDocuments()).toBe(pending);
    expect((await audits('console.csrf.refused')).length).toBeGreaterThanOrEqual(3);
    // The header form works for scripts.
    const token = await b.csrf();
    const viaHeader = await app.inject({
      method: 'POST',
      url: '/console/staff/agen.satu/change',
      payload: 'action=unlock',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `hakdata_console=${b.cookies.hakdata_console}`,
        'x-csrf-token': token,
      },
    });
    expect(viaHeader.statusCode).toBe(303);
  });

  it('the login form needs its token too (login CSRF)', async () => {
    const b = browser(app);
    await b.get('/console/login');
    const res = await b.post('/console/login', { username: 'agen.satu', password: agentPw });
    expect(res.statusCode).toBe(403);
    expect(res.headers.location).toBeUndefined();
  });
});

describe('roles', () => {
  it('agents decide requests but get 403 on staff, audit and the queue dashboard; admins get in', async () => {
    const agent = (await signIn(app, 'agen.satu', agentPw)).b;
    const admin = (await signIn(app, 'admin.satu', adminPw)).b;
    for (const url of ['/console/staff', '/console/audit', '/console/queues/']) {
      expect((await agent.get(url)).statusCode, url).toBe(403);
      expect((await admin.get(url)).statusCode, url).toBe(200);
    }
    const json = await app.inject({
      url: '/console/queues/api/queues',
      headers: { cookie: `hakdata_console=${agent.cookies.hakdata_console}` },
    });
    expect(json.statusCode).toBe(403);
    expect(json.json()).toMatchObject({ code: 'FORBIDDEN' });
    // An agent's forged staff form is refused by role before anything else.
    const csrf = await agent.csrf();
    const res = await agent.post('/console/staff', {
      username: 'sneaky',
      role: 'admin',
      password: 'a-long-password-1',
      _csrf: csrf,
    });
    expect(res.statusCode).toBe(403);
    expect(await ctx.models.StaffAccount.countDocuments({ username: 'sneaky' })).toBe(0);
    for (const url of ['/console/requests', '/console/customers', '/console/deadletters'])
      expect((await agent.get(url)).statusCode, url).toBe(200);
    // The nav shows agents only what they may open.
    const page = (await agent.get('/console/requests')).body;
    expect(page).not.toContain('href="/console/audit"');
    expect((await admin.get('/console/requests')).body).toContain('href="/console/audit"');
  });

  it('a disabled account or a changed role takes effect on the next request', async () => {
    const pw = await addStaff(ctx, 'sementara', 'admin');
    const temp = (await signIn(app, 'sementara', pw)).b;
    expect((await temp.get('/console/staff')).statusCode).toBe(200);
    const admin = (await signIn(app, 'admin.satu', adminPw)).b;
    const csrf = await admin.csrf();
    await admin.post('/console/staff/sementara/change', { action: 'make-agent', _csrf: csrf });
    expect((await temp.get('/console/staff')).statusCode).toBe(403);
    await admin.post('/console/staff/sementara/change', { action: 'disable', _csrf: csrf });
    expect((await temp.get('/console/requests')).statusCode).toBe(302);
    expect((await signIn(app, 'sementara', pw)).res.statusCode).toBe(401);
    // The last active admin cannot remove themselves.
    const self = await admin.post('/console/staff/admin.satu/change', { action: 'disable', _csrf: csrf });
    expect(self.statusCode).toBe(400);
  });
});
