import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../../src/services/processes.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.cleanup());

function startCli(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
    env: { ...process.env, ...ctx.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  return { child, output: () => output };
}

describe('hakdata start', () => {
  it('serves /healthz, then stops gracefully on SIGTERM within 10 s', async () => {
    const port = await freePort();
    const { child, output } = startCli({ ROLE: 'admin', ADMIN_PORT: String(port) });
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true,
      60_000,
      'hakdata start to answer /healthz',
    );
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const started = Date.now();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code, output()).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(output()).toContain('stopped');
  }, 90_000);

  it('refuses a bad configuration with one line per field and exit code 1', async () => {
    const { child, output } = startCli({ ADMIN_PORT: 'eighty', ROLE: 'everything' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(output()).toMatch(/ADMIN_PORT: .*\(example: \d+\)/);
    expect(output()).toMatch(/ROLE: /);
  }, 90_000);
});
