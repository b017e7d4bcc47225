import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../src/staff/accounts.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

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
  it('creates an account from --password-stdin; a bad role fails with exit code 1', async () => {
    const [ok, badRole] = await Promise.all([
      hakdata(['staff', 'add', 'Dewi.CLI', '--role', 'agent', '--password-stdin'], 'a-cli-password-42\n'),
      hakdata(['staff', 'add', 'budi.cli', '--role', 'boss', '--password-stdin'], 'a-cli-password-42\n'),
    ]);
    expect(ok.err).toBe('');
    expect(ok.out).toContain('dewi.cli (agent) created');
    expect(ok.code).toBe(0);
    expect(badRole.code).toBe(1);
    expect(badRole.err).toContain('--role must be agent or admin');

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
