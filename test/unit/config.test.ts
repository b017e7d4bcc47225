import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { envFields } from '../../src/config/schema.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message.split('\n').slice(1);
  }
  throw new Error('expected the configuration to be refused');
}

describe('configuration', () => {
  it('starts in development with no settings at all', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.defaultLocale).toBe('id');
    expect(config.slaHours.access).toBe(72);
    expect(config.otp.provider).toBe('console');
  });

  it('reports one readable line per bad field, with the name, the problem and an example', () => {
    const lines = problemsOf({ ADMIN_PORT: 'eighty', REDIS_URL: 'localhost', DEFAULT_LOCALE: 'fr' });
    expect(lines).toHaveLength(3);
    const port = lines.find((l) => l.includes('ADMIN_PORT'));
    expect(port).toMatch(/ADMIN_PORT: .+\(example: \d+\)/);
    expect(lines.find((l) => l.includes('REDIS_URL'))).toMatch(/redis:\/\//);
    expect(lines.find((l) => l.includes('DEFAULT_LOCALE'))).toBeDefined();
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ TELEGRAM_BOT_TOKEN: '', ADMIN_PORT: '' }).telegram.token).toBeUndefined();
  });

  it('refuses development-only settings in production', () => {
    const lines = problemsOf({
      NODE_ENV: 'production',
      MONGODB_URI: 'mongodb://mongo:27017/hakdata',
      REDIS_URL: 'redis://redis:6379',
    });
    expect(lines.some((l) => l.startsWith('  OTP_PROVIDER:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('  OTP_SECRET:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('  ADMIN_SECRET:'))).toBe(true);
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      MONGODB_URI: 'mongodb://mongo:27017/hakdata',
      REDIS_URL: 'redis://redis:6379',
      OTP_PROVIDER: 'webhook',
      OTP_WEBHOOK_URL: 'https://sms.example.co.id/send',
      OTP_SECRET: 'a'.repeat(40),
      ADMIN_SECRET: 'b'.repeat(40),
    });
    expect(config.isProduction).toBe(true);
    expect(config.webchat.enabled).toBe(false);
  });

  it('documents every field with an example and a description', () => {
    for (const [name, field] of Object.entries(envFields)) {
      expect(field.description.length, name).toBeGreaterThan(10);
      expect(typeof field.example, name).toBe('string');
    }
  });
});
