import { afterEach, describe, expect, it, vi } from 'vitest';
import { runSeed } from '../../src/cli/seed.js';
import { loadConfig } from '../../src/config/index.js';

afterEach(() => vi.restoreAllMocks());

describe('hakdata seed', () => {
  it('refuses to add the demo customers to a production database, before connecting', async () => {
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err += String(chunk);
      return true;
    });
    const config = loadConfig({
      NODE_ENV: 'production',
      // Nothing listens here: a connection attempt would fail instead of the refusal.
      MONGODB_URI: 'mongodb://127.0.0.1:9/hakdata?serverSelectionTimeoutMS=200',
      OTP_PROVIDER: 'webhook',
      OTP_WEBHOOK_URL: 'https://sms.example.co.id/send',
      OTP_SECRET: 'q'.repeat(40),
      ADMIN_SECRET: 'z'.repeat(40),
    });
    expect(await runSeed(config)).toBe(2);
    expect(err).toBe(
      'hakdata seed: the demo customers are for development; refused with NODE_ENV=production.\n',
    );
  });
});
