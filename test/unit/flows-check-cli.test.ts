import { afterEach, describe, expect, it, vi } from 'vitest';
import { runFlowsCheck } from '../../src/cli/flows.js';

/** What `hakdata flows check [dir]` writes to stderr and stdout, and its exit code. */
async function flowsCheck(dir: string): Promise<{ code: number; err: string; out: string }> {
  let err = '';
  let out = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const code = await runFlowsCheck(dir);
  vi.restoreAllMocks();
  return { code, err, out };
}

afterEach(() => vi.restoreAllMocks());

describe('hakdata flows check', () => {
  it('passes on the real flows', async () => {
    const { code, out } = await flowsCheck('flows');
    expect(code).toBe(0);
    expect(out).toMatch(/^flows check: \d+ flows, .*all valid\.\n$/);
  });

  it('says in one line that a directory that is not there, or a file, is no flows directory', async () => {
    for (const dir of ['flowz', 'README.md']) {
      const { code, err, out } = await flowsCheck(dir);
      expect(code, dir).toBe(2);
      expect(out, dir).toBe('');
      expect(err, dir).toBe(
        `flows check: ${dir} is not a directory (give the flows directory, e.g. flows)\n`,
      );
    }
  });
});
