import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../src/staff/accounts.js';
import { lockedFor, recordFailure } from '../../src/staff/console/lockout.js';
import { createSession, loadSession } from '../../src/staff/console/sessions.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { addStaff } from './console-kit.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.cleanup());

function hakdata(args: string[], input: string) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env: { ...process.env, ...ctx.env, LOG_LEVEL: 'warn' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(input);
  });
}

describe('hakdata staff add', () => {
  it('creates an account from --password-stdin; a bad role or username is an argument error (exit code 2), a taken name exit code 1', async () => {
    await addStaff(ctx, 'sudah.ada', 'agent');
    const [ok, badRole, badName, taken] = await Promise.all([
      hakdata(['staff', 'add', 'Dewi.CLI', '--role', 'agent', '--password-stdin'], 'a-cli-password-42\n'),
      hakdata(['staff', 'add', 'budi.cli', '--role', 'boss', '--password-stdin'], 'a-cli-password-42\n'),
      hakdata(['staff', 'add', 'b!', '--role', 'agent', '--password-stdin'], 'a-cli-password-42\n'),
      hakdata(['staff', 'add', 'sudah.ada', '--role', 'agent', '--password-stdin'], 'a-cli-password-42\n'),
    ]);
    expect(ok.err).toBe('');
    expect(ok.out).toContain('dewi.cli (agent) created');
    expect(ok.code).toBe(0);
    expect(badRole).toEqual({
      code: 2,
      out: '',
      err: 'hakdata staff add: --role must be agent or admin (got "boss")\n',
    });
    expect(badName).toMatchObject({ code: 2, out: '' });
    expect(badName.err).toMatch(/^Username: .+\n$/);
    expect(taken).toMatchObject({
      code: 1,
      out: '',
      err: 'A staff account named sudah.ada exists already.\n',
    });
    expect(await ctx.models.StaffAccount.countDocuments({ username: 'budi.cli' })).toBe(0);

    const account = await ctx.models.StaffAccount.findOne({ username: 'dewi.cli' }).lean();
    expect(account).toMatchObject({ role: 'agent', disabled: false, createdBy: 'cli' });
    expect(account?.passwordHash).toMatch(/^scrypt\$32768\$8\$3\$/);
    // The trailing newline of `echo` is not part of the password.
    expect(await authenticate(ctx, 'dewi.cli', 'a-cli-password-42')).toMatchObject({ ok: true });
    const created = await ctx.models.AuditEvent.findOne({
      action: 'staff.created',
      actor: 'system:cli',
    }).lean();
    expect(created?.details).toMatchObject({ username: 'dewi.cli', role: 'agent' });
  }, 90_000);
});

/** Locks `username` out for `address` (five failures) and sets the account-wide backoff (eleven). */
async function lockOut(username: string) {
  for (let i = 0; i < 5; i++) await recordFailure(ctx, username, '203.0.113.7');
  for (let i = 0; i < 6; i++) await recordFailure(ctx, username, `198.51.100.${i + 1}`);
  expect((await lockedFor(ctx, username, '203.0.113.7')).seconds).toBeGreaterThan(0);
  expect(await lockedFor(ctx, username, '192.0.2.99')).toMatchObject({ scope: 'account' });
}

describe('hakdata staff set-password', () => {
  it('sets a new password from stdin, lifts the locks, ends only that account’s sessions, audits without the password', async () => {
    const oldPassword = await addStaff(ctx, 'lupa.admin', 'admin');
    await addStaff(ctx, 'rekan.agen', 'agent');
    await lockOut('lupa.admin');
    const mine = [
      await createSession(ctx, { username: 'lupa.admin', role: 'admin' }),
      await createSession(ctx, { username: 'lupa.admin', role: 'admin' }),
    ];
    const other = await createSession(ctx, { username: 'rekan.agen', role: 'agent' });
    const anonymous = await createSession(ctx);

    const res = await hakdata(
      ['staff', 'set-password', 'Lupa.Admin', '--password-stdin'],
      'a-new-cli-password-7\n',
    );
    expect(res.err).toBe('');
    expect(res.out).toBe(
      'Password of lupa.admin (admin) set; its sign-in locks lifted, 2 console sessions ended.\n',
    );
    expect(res.code).toBe(0);

    for (const s of mine) expect(await loadSession(ctx, s.id)).toBeUndefined();
    expect(await loadSession(ctx, other.id)).toMatchObject({ username: 'rekan.agen' });
    expect(await loadSession(ctx, anonymous.id)).toBeDefined();
    expect(await lockedFor(ctx, 'lupa.admin', '203.0.113.7')).toEqual({ seconds: 0, scope: null });
    expect(await lockedFor(ctx, 'lupa.admin', '192.0.2.99')).toEqual({ seconds: 0, scope: null });

    const account = await ctx.models.StaffAccount.findOne({ username: 'lupa.admin' }).lean();
    expect(account?.passwordHash).toMatch(/^scrypt\$32768\$8\$3\$/);
    expect(await authenticate(ctx, 'lupa.admin', 'a-new-cli-password-7', '203.0.113.7')).toMatchObject({
      ok: true,
    });
    expect(await authenticate(ctx, 'lupa.admin', oldPassword, '192.0.2.5')).toMatchObject({ ok: false });

    const events = await ctx.models.AuditEvent.find({ action: 'staff.password_set' }).lean();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: 'system:cli',
      details: { username: 'lupa.admin', sessionsEnded: 2 },
    });
    expect(JSON.stringify(events)).not.toContain('a-new-cli-password-7');
  }, 90_000);

  it('refuses a short password and a missing terminal (argument errors, exit code 2) and an unknown account (exit code 1), changing nothing', async () => {
    await addStaff(ctx, 'tetap.agen', 'agent');
    const session = await createSession(ctx, { username: 'tetap.agen', role: 'agent' });
    const before = await ctx.models.StaffAccount.findOne({ username: 'tetap.agen' }).lean();
    const [short, unknown, noTerminal] = await Promise.all([
      hakdata(['staff', 'set-password', 'tetap.agen', '--password-stdin'], 'pendek\n'),
      hakdata(['staff', 'set-password', 'tidak.ada', '--password-stdin'], 'a-new-cli-password-7\n'),
      hakdata(['staff', 'set-password', 'tetap.agen'], 'a-new-cli-password-7\n'),
    ]);
    expect(short).toMatchObject({ code: 2, out: '', err: 'The password needs at least 12 characters.\n' });
    expect(unknown).toMatchObject({ code: 1, out: '', err: 'No staff account tidak.ada.\n' });
    expect(noTerminal).toMatchObject({
      code: 2,
      out: '',
      err: 'No terminal to ask for the password: pipe it in with --password-stdin.\n',
    });
    const after = await ctx.models.StaffAccount.findOne({ username: 'tetap.agen' }).lean();
    expect(after?.passwordHash).toBe(before?.passwordHash);
    expect(await loadSession(ctx, session.id)).toBeDefined();
    expect(await ctx.models.AuditEvent.countDocuments({ 'details.username': 'tetap.agen' })).toBe(0);
  }, 90_000);
});

describe('hakdata staff unlock', () => {
  it('lifts every lock of the account, audited as the CLI; an unknown account is exit code 1', async () => {
    await addStaff(ctx, 'terkunci', 'agent');
    await lockOut('terkunci');
    const [res, unknown] = await Promise.all([
      hakdata(['staff', 'unlock', 'terkunci'], ''),
      hakdata(['staff', 'unlock', 'tidak.ada'], ''),
    ]);
    expect(res).toMatchObject({
      code: 0,
      err: '',
      out: 'Sign-in locks of terkunci lifted: every address may try again.\n',
    });
    expect(await lockedFor(ctx, 'terkunci', '203.0.113.7')).toEqual({ seconds: 0, scope: null });
    expect(await lockedFor(ctx, 'terkunci', '192.0.2.99')).toEqual({ seconds: 0, scope: null });
    const unlock = await ctx.models.AuditEvent.findOne({
      action: 'staff.unlock',
      actor: 'system:cli',
    }).lean();
    expect(unlock?.details).toMatchObject({ username: 'terkunci' });
    expect(unknown).toMatchObject({ code: 1, out: '', err: 'No staff account tidak.ada.\n' });
  }, 90_000);
});

describe('usage errors', () => {
  it('are one line naming the command and exit code 2; --help is exit code 0', async () => {
    const [noMonth, noRole, noUsername, unknownOption, forceAlone, help] = await Promise.all([
      hakdata(['report'], ''),
      hakdata(['staff', 'add', 'budi', '--password-stdin'], 'a-cli-password-42\n'),
      hakdata(['staff', 'set-password'], ''),
      hakdata(['staff', 'unlock', 'budi', '--now'], ''),
      hakdata(['promo', 'send', '--file', 'examples/promo.yaml', '--force'], ''),
      hakdata(['report', '--help'], ''),
    ]);
    expect(noMonth).toEqual({
      code: 2,
      out: '',
      err: "hakdata report: required option '--month <YYYY-MM>' not specified (hakdata report --help)\n",
    });
    expect(noRole).toEqual({
      code: 2,
      out: '',
      err: "hakdata staff add: required option '--role <role>' not specified (hakdata staff add --help)\n",
    });
    expect(noUsername).toEqual({
      code: 2,
      out: '',
      err: "hakdata staff set-password: missing required argument 'username' (hakdata staff set-password --help)\n",
    });
    expect(unknownOption).toEqual({
      code: 2,
      out: '',
      err: "hakdata staff unlock: unknown option '--now' (hakdata staff unlock --help)\n",
    });
    // A new send never takes a promo over: --force without --resume would be ignored, so it is refused.
    expect(forceAlone).toEqual({
      code: 2,
      out: '',
      err: 'hakdata promo send: --force goes only with --resume <promoId> (taking over a promo another sender seems to hold)\n',
    });
    expect(await ctx.models.Promo.countDocuments({})).toBe(0);
    expect(help.code).toBe(0);
    expect(help.err).toBe('');
    expect(help.out).toMatch(/^Usage: hakdata report \[options\]\n/);
    expect(help.out).toContain('--month <YYYY-MM>');
  }, 90_000);
});
