import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../src/admin/server.js';
import type { AppContext } from '../../src/app/context.js';
import {
  ACCOUNT_FREE_FAILURES,
  ATTEMPTS_PER_ADDRESS,
  accountLockedFor,
  addressTag,
  BACKOFF_FIRST_SECONDS,
  clientAddressKey,
  LOCK_SECONDS,
  MAX_FAILURES,
  recordFailure,
  takeAddressAttempt,
} from '../../src/staff/console/lockout.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { addStaff, signIn } from './console-kit.js';

/**
 * Findings 4 and 6 of issue 19: a forged X-Forwarded-For must not choose the bucket a sign-in is
 * counted in, and a stranger must not be able to lock a staff member out of the console.
 */

let ctx: TestContext;
let app: FastifyInstance;
let adminPw: string;

beforeAll(async () => {
  ctx = await createTestContext();
  adminPw = await addStaff(ctx, 'admin.kunci', 'admin');
  app = await buildAdminServer(ctx);
});
afterAll(async () => {
  await app.close();
  await ctx.cleanup();
});

const audits = (action: string) => ctx.models.AuditEvent.find({ action }).lean();
const backoffKey = (username: string) => ctx.key('console', 'login-backoff', username);
/** The staff page's row of one account. */
const staffRow = (page: string, username: string) =>
  new RegExp(`<tr>\\s*<td[^>]*><strong>${username}</strong>[\\s\\S]*?</tr>`).exec(page)?.[0] ?? '';
const addressCapLines = () =>
  ctx.logLines.filter((l) => l.includes('too many sign-in attempts from one address')).length;

describe('a stranger cannot lock a staff account', () => {
  it('wrong passwords from one address lock only that address; the owner signs in from theirs', async () => {
    const pw = await addStaff(ctx, 'pemilik', 'agent');
    const stranger = '203.0.113.7';
    for (let i = 1; i < MAX_FAILURES; i++)
      expect((await signIn(app, 'pemilik', `wrong-${i}-xxxxxxxx`, stranger)).res.statusCode).toBe(401);
    const fifth = await signIn(app, 'pemilik', 'wrong-5-xxxxxxxx', stranger);
    expect(fifth.res.statusCode).toBe(429);
    expect(fifth.res.body).toContain('dikunci');
    // Keeping on from there changes nothing: refused before the password is looked at, not counted.
    for (let i = 0; i < 8; i++)
      expect((await signIn(app, 'pemilik', `more-${i}-xxxxxxxx`, stranger)).res.statusCode).toBe(429);
    expect((await signIn(app, 'pemilik', pw, stranger)).res.statusCode).toBe(429);

    const owner = await signIn(app, 'pemilik', pw, '198.51.100.20');
    expect(owner.res.statusCode).toBe(303);
    expect((await owner.b.get('/console/requests')).statusCode).toBe(200);
    // One address never reaches the account-wide backoff.
    expect(await ctx.redis.exists(backoffKey('pemilik'))).toBe(0);
    const refused = (await audits('console.login.refused_locked')).filter((e) => e.actor === 'staff:pemilik');
    expect(refused).toHaveLength(9);
    for (const e of refused) expect(e.details).toMatchObject({ scope: 'address' });
    // The account itself is not locked; the staff page says only that an address is locked out
    // of it (with the unlock), never "terkunci", which would tell the admin the owner cannot sign in.
    const admin = await signIn(app, 'admin.kunci', adminPw, '198.51.100.1');
    const row = staffRow((await admin.b.get('/console/staff')).body, 'pemilik');
    expect(row).not.toContain('terkunci');
    expect(row).toContain('1 alamat diblokir 15 menit');
    expect(row).toContain('name="action" value="unlock"');
    const lock = await accountLockedFor(ctx, 'pemilik');
    expect(lock).toMatchObject({ accountSeconds: 0, lockedAddresses: 1 });
    expect(lock.addressSeconds).toBeGreaterThan(LOCK_SECONDS - 60);
  });

  it('addresses of one IPv6 /64 count as one, so rotating through them does not help', async () => {
    const pw = await addStaff(ctx, 'enam', 'agent');
    const codes: number[] = [];
    for (let i = 1; i <= MAX_FAILURES + 1; i++)
      codes.push(
        (await signIn(app, 'enam', `wrong-${i}-xxxxxxxx`, `2001:db8:1:2::${i.toString(16)}`)).res.statusCode,
      );
    expect(codes).toEqual([401, 401, 401, 401, 429, 429]);
    expect((await signIn(app, 'enam', pw, '2001:db8:1:3::1')).res.statusCode).toBe(303);
  });

  it('guessing spread over many addresses slows the account down, except for addresses its owner used', async () => {
    const pw = await addStaff(ctx, 'sasaran', 'agent');
    const home = '198.51.100.30';
    expect((await signIn(app, 'sasaran', pw, home)).res.statusCode).toBe(303);

    // Four guesses from each of three addresses: none is locked on its own, but the account
    // passes its free allowance at the 11th failure, and the 12th guess has to wait.
    const codes: number[] = [];
    for (const address of ['192.0.2.1', '192.0.2.2', '192.0.2.3'])
      for (let i = 0; i < 4; i++)
        codes.push((await signIn(app, 'sasaran', `guess-${address}-${i}`, address)).res.statusCode);
    expect(ACCOUNT_FREE_FAILURES).toBe(10);
    expect(codes).toEqual([...Array(11).fill(401), 429]);
    const ttl = await ctx.redis.ttl(backoffKey('sasaran'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(BACKOFF_FIRST_SECONDS);
    const backoff = await audits('console.login.backoff');
    expect(backoff).toHaveLength(1);
    expect(backoff[0]?.details).toMatchObject({ accountFailures: 11, backoffSeconds: BACKOFF_FIRST_SECONDS });

    // A new address waits, even with the right password; the owner's own address does not.
    const fresh = await signIn(app, 'sasaran', pw, '198.51.100.99');
    expect(fresh.res.statusCode).toBe(429);
    expect(fresh.res.body).toContain('dikunci');
    const refused = (await audits('console.login.refused_locked')).filter((e) => e.actor === 'staff:sasaran');
    expect(refused.map((e) => (e.details as { scope?: string }).scope)).toEqual(['account', 'account']);
    expect((await signIn(app, 'sasaran', pw, home)).res.statusCode).toBe(303);

    // An admin lifts it for everyone.
    const admin = await signIn(app, 'admin.kunci', adminPw, '198.51.100.1');
    const csrf = await admin.b.csrf('/console/staff');
    expect(staffRow((await admin.b.get('/console/staff')).body, 'sasaran')).toMatch(/terkunci 1 menit/);
    expect(
      (await admin.b.post('/console/staff/sasaran/change', { action: 'unlock', _csrf: csrf })).statusCode,
    ).toBe(303);
    expect(await ctx.redis.exists(backoffKey('sasaran'))).toBe(0);
    expect((await signIn(app, 'sasaran', pw, '198.51.100.99')).res.statusCode).toBe(303);
  });

  it('the account-wide wait doubles from 30 s up to the 15-minute lock', async () => {
    const waits: number[] = [];
    for (let i = 1; i <= ACCOUNT_FREE_FAILURES + 7; i++)
      waits.push((await recordFailure(ctx, 'berlipat', `192.0.2.${100 + i}`)).backoffSeconds);
    expect(waits).toEqual([...Array(ACCOUNT_FREE_FAILURES).fill(0), 30, 60, 120, 240, 480, 900, 900]);
    expect(LOCK_SECONDS).toBe(900);
  });
});

describe('client addresses', () => {
  it('are counted as IPv4, IPv4-mapped IPv6 as IPv4, and other IPv6 by its /64', () => {
    expect(clientAddressKey('192.0.2.1')).toBe('192.0.2.1');
    expect(clientAddressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(clientAddressKey('2001:db8:1:2::a')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0db8:0001:0002:ffff:0:0:1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
  });
});

/** Uses up an address's sign-in attempts without spending scrypt time. */
async function exhaust(c: AppContext, address: string) {
  for (let i = 0; i < ATTEMPTS_PER_ADDRESS; i++) expect(await takeAddressAttempt(c, address)).toBe(0);
  expect(await takeAddressAttempt(c, address)).toBeGreaterThan(0);
}

describe('TRUST_PROXY', () => {
  it('unset: the scrypt-check cap per address holds, and a forged X-Forwarded-For does not lift it', async () => {
    await addStaff(ctx, 'dibatasi', 'agent');
    const from = '192.0.2.50';
    const codes: number[] = [];
    // Every attempt names another client; all of them are counted against the connection's address.
    for (let i = 0; i < ATTEMPTS_PER_ADDRESS; i++) {
      const forged = { 'x-forwarded-for': `10.${i}.0.1` };
      codes.push((await signIn(app, 'dibatasi', `wrong-${i}-xxxxxxxx`, from, forged)).res.statusCode);
    }
    expect(codes.filter((c) => c === 401)).toHaveLength(MAX_FAILURES - 1);
    const before = addressCapLines();
    const capped = await signIn(app, 'dibatasi', 'wrong-again-xxxx', from, {
      'x-forwarded-for': '10.200.0.1',
    });
    expect(capped.res.statusCode).toBe(429);
    expect(addressCapLines()).toBe(before + 1);
    // The cap counted the connection, not any of the forged clients.
    expect(await takeAddressAttempt(ctx, '10.1.0.1')).toBe(0);
  });

  it('naming the proxy: its forwarded clients are counted one by one; other senders’ headers stay ignored', async () => {
    const behindProxy: AppContext = {
      ...ctx,
      config: { ...ctx.config, admin: { ...ctx.config.admin, trustProxy: ['10.0.0.9', 'fd00::/8'] } },
    };
    const proxied = await buildAdminServer(behindProxy);
    try {
      await addStaff(ctx, 'lewat.proxy', 'agent');
      const proxy = '10.0.0.9';
      await exhaust(ctx, '203.0.113.99');
      let before = addressCapLines();
      const capped = await signIn(proxied, 'lewat.proxy', 'wrong-1-xxxxxxxx', proxy, {
        'x-forwarded-for': '203.0.113.99',
      });
      expect(capped.res.statusCode).toBe(429);
      expect(addressCapLines()).toBe(before + 1);
      // Another client behind the same proxy has its own allowance.
      const other = await signIn(proxied, 'lewat.proxy', 'wrong-2-xxxxxxxx', proxy, {
        'x-forwarded-for': '203.0.113.100',
      });
      expect(other.res.statusCode).toBe(401);

      // A sender that is not the proxy cannot borrow a fresh client's allowance.
      await exhaust(ctx, '192.0.2.77');
      before = addressCapLines();
      const direct = await signIn(proxied, 'lewat.proxy', 'wrong-3-xxxxxxxx', '192.0.2.77', {
        'x-forwarded-for': '203.0.113.101',
      });
      expect(direct.res.statusCode).toBe(429);
      expect(addressCapLines()).toBe(before + 1);
      expect(addressTag(ctx, '203.0.113.101')).not.toBe(addressTag(ctx, '192.0.2.77'));
    } finally {
      await proxied.close();
    }
  });
});
