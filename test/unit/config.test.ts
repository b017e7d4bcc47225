import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { channelSettingFields, loadAppConfig } from '../../src/app/settings.js';
import { telegramSettingsOf } from '../../src/channels/telegram/settings.js';
import { webchatEnabled } from '../../src/channels/webchat/settings.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { publishedSecrets } from '../../src/config/load.js';
import { envFields } from '../../src/config/schema.js';

/** Every setting: the config module's and those the channels declare (merged by src/app/settings.ts). */
const allFields = { ...envFields, ...channelSettingFields() };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadAppConfig(env);
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
    const config = loadAppConfig({ TELEGRAM_BOT_TOKEN: '', ADMIN_PORT: '' });
    expect(telegramSettingsOf(config).token).toBeUndefined();
    expect(config.admin.port).toBe(3000);
  });

  it("applies the rules a channel declares across its settings (Telegram's webhook mode)", () => {
    const lines = problemsOf({ TELEGRAM_WEBHOOK_URL: 'https://bot.sanitajaya.id/tg' });
    expect(lines).toEqual([
      '  TELEGRAM_BOT_TOKEN: is required when TELEGRAM_WEBHOOK_URL is set (example: 123456789:AAExampleTokenFromBotFather_abcdef)',
      '  TELEGRAM_WEBHOOK_SECRET: is required in webhook mode, so forged updates are refused (example: a-long-random-secret-token)',
    ]);
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

  it('accepts a complete production configuration, without the web chat', () => {
    const config = loadAppConfig({
      NODE_ENV: 'production',
      MONGODB_URI: 'mongodb://mongo:27017/hakdata',
      REDIS_URL: 'redis://redis:6379',
      OTP_PROVIDER: 'webhook',
      OTP_WEBHOOK_URL: 'https://sms.example.co.id/send',
      OTP_SECRET: 'a'.repeat(40),
      ADMIN_SECRET: 'b'.repeat(40),
    });
    expect(config.isProduction).toBe(true);
    expect(webchatEnabled(config)).toBe(false);
    expect(problemsOf({ ...completeProduction, WEBCHAT_ENABLED: 'true' })).toEqual([
      '  WEBCHAT_ENABLED: the local web chat lets anyone pick a customer and is refused in production (example: true)',
    ]);
    expect(webchatEnabled(loadAppConfig({}))).toBe(true);
  });

  it('documents every field with an example and a description', () => {
    for (const [name, field] of Object.entries(allFields)) {
      expect(field.description.length, name).toBeGreaterThan(10);
      expect(typeof field.example, name).toBe('string');
    }
  });

  it('trusts no proxy by default; TRUST_PROXY takes addresses and CIDRs, and refuses true or a hop count', () => {
    expect(loadConfig({}).admin.trustProxy).toBe(false);
    expect(loadAppConfig(completeProduction).admin.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'off' }).admin.trustProxy).toBe(false);
    expect(
      loadConfig({ TRUST_PROXY: ' 172.18.0.1, 10.0.0.0/8 ,fd00::/8,loopback' }).admin.trustProxy,
    ).toEqual(['172.18.0.1', '10.0.0.0/8', 'fd00::/8', 'loopback']);
    for (const bad of ['true', '*', '1', '10.0.0.300', '10.0.0.0/33', 'proxy.local', '10.0.0.1/8/8']) {
      const lines = problemsOf({ TRUST_PROXY: bad });
      expect(lines, bad).toHaveLength(1);
      expect(lines[0], bad).toMatch(/^ {2}TRUST_PROXY: .+\(example: 172\.18\.0\.1\)$/);
    }
  });

  it('production refuses every secret this program prints: examples, error messages and defaults', () => {
    const printed = new Map<string, Set<string>>();
    const note = (name: string, value: string) =>
      printed.set(name, (printed.get(name) ?? new Set()).add(value));
    // What .env.example shows for each setting: `# example: X · default: Y`.
    const example = readFileSync('.env.example', 'utf8').split('\n');
    for (const [i, line] of example.entries()) {
      const setting = /^([A-Z_]+)=/.exec(line)?.[1];
      const shown = /^# example: (.*?)(?: · default: (.*))?$/.exec(example[i - 1] ?? '');
      if (!setting || !shown) continue;
      note(setting, shown[1] ?? '');
      if (shown[2]) note(setting, shown[2]);
    }
    const secrets = Object.entries(allFields).filter(([, f]) => f.secret);
    // What a config error shows: `NAME: problem (example: X)`.
    for (const [name] of secrets) {
      const example = /\(example: (.*)\)$/.exec(problemsOf({ [name]: 'x' })[0] ?? '')?.[1];
      if (example) note(name, example);
    }
    expect(secrets.map(([name]) => name).sort()).toEqual([
      'ADMIN_SECRET',
      'METRICS_TOKEN',
      'OTP_SECRET',
      'TELEGRAM_BOT_TOKEN',
      'TELEGRAM_WEBHOOK_SECRET',
      'WHATSAPP_CLOUD_ACCESS_TOKEN',
      'WHATSAPP_CLOUD_APP_SECRET',
      'WHATSAPP_CLOUD_VERIFY_TOKEN',
    ]);
    for (const [name] of secrets) {
      const values = [...(printed.get(name) ?? [])];
      expect(values.length, name).toBeGreaterThan(0);
      expect(publishedSecrets(channelSettingFields()).get(name)?.sort(), name).toEqual(values.sort());
      for (const value of values) {
        const env = {
          ...completeProduction,
          TELEGRAM_WEBHOOK_URL: 'https://bot.sanitajaya.id/tg',
          [name]: value,
        };
        const lines = problemsOf(env);
        expect(lines, `${name}=${value}`).toHaveLength(1);
        expect(lines[0], `${name}=${value}`).toMatch(new RegExp(`^ {2}${name}: .*(printed|default)`));
        // The refusal never echoes the secret.
        expect(lines[0]).not.toContain(value);
      }
    }
    // Development keeps working with the printed defaults and examples.
    expect(loadConfig({ OTP_SECRET: 'a-random-string-of-at-least-32-characters' }).otp.secret).toHaveLength(
      41,
    );
  });

  it("never echoes a connection string's password when refusing it", () => {
    const lines = problemsOf({
      MONGODB_URI: 'mongodb//app:m0ngo-Pw-7f3a@db.internal:27017/hakdata',
      REDIS_URL: 'redis//:r3dis-Pw-7f3a@cache.internal:6379',
      FERRETDB_POSTGRESQL_URL: 'postgres://app:pg-Pw-7f3a@pg.internal/hakdata?pool_max_conns=4',
      OTP_WEBHOOK_URL: 'sms//gw:sms-Pw-7f3a@sms.internal/send',
    });
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).not.toMatch(/Pw-7f3a|app:|gw:/);
    // The rest stays, so the mistake can be seen.
    expect(lines.find((l) => l.includes('MONGODB_URI'))).toContain(
      '(got "mongodb//***@db.internal:27017/hakdata")',
    );
    expect(lines.find((l) => l.includes('REDIS_URL'))).toContain('(got "redis//***@cache.internal:6379")');
  });

  it('never echoes the password of a connection string mistyped without its //', () => {
    const lines = problemsOf({
      MONGODB_URI: 'mongodb:/app:m0ngo-Pw-7f3a@db.internal:27017/hakdata',
      REDIS_URL: 'app:r3dis-Pw-7f3a@cache.internal:6379',
    });
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(/Pw-7f3a|app:/);
    expect(lines.find((l) => l.includes('MONGODB_URI'))).toContain(
      '(got "mongodb:/***@db.internal:27017/hakdata")',
    );
    expect(lines.find((l) => l.includes('REDIS_URL'))).toContain('(got "***@cache.internal:6379")');
  });

  it('takes only http(s) URLs where an http(s) URL is asked for', () => {
    for (const name of ['OTP_WEBHOOK_URL', 'PUBLIC_URL', 'TELEGRAM_API_ROOT', 'WHATSAPP_CLOUD_API_ROOT'])
      for (const bad of ['ftp://sms.example.id/send', 'file:///etc/passwd', 'javascript:alert(1)']) {
        const lines = problemsOf({ [name]: bad });
        expect(lines, `${name}=${bad}`).toHaveLength(1);
        expect(lines[0], `${name}=${bad}`).toMatch(new RegExp(`^ {2}${name}: must be an http\\(s\\) URL`));
      }
    expect(loadConfig({ OTP_WEBHOOK_URL: 'http://127.0.0.1:9000/send' }).otp.webhookUrl).toBe(
      'http://127.0.0.1:9000/send',
    );
  });

  it('marks every setting whose name says token, secret, key or password as a secret', () => {
    for (const [name, field] of Object.entries(allFields))
      if (/TOKEN|SECRET|KEY|PASSWORD/.test(name)) expect(field.secret, name).toBe(true);
  });
});

/** A production configuration with secrets of its own (valid as it stands). */
const completeProduction = {
  NODE_ENV: 'production',
  MONGODB_URI: 'mongodb://mongo:27017/hakdata',
  REDIS_URL: 'redis://redis:6379',
  OTP_PROVIDER: 'webhook',
  OTP_WEBHOOK_URL: 'https://sms.example.co.id/send',
  OTP_SECRET: 'q'.repeat(40),
  ADMIN_SECRET: 'z'.repeat(40),
  TELEGRAM_BOT_TOKEN: '987654321:AAHrealLookingTokenOfOurOwn_xyz123',
  TELEGRAM_WEBHOOK_SECRET: 'our-own-webhook-secret-7f3a9c',
  WHATSAPP_CLOUD_ACCESS_TOKEN: 'EAAGourOwnSystemUserAccessToken7f3a9c',
  WHATSAPP_CLOUD_PHONE_NUMBER_ID: '106540352242922',
  WHATSAPP_CLOUD_APP_SECRET: 'our-own-app-secret-7f3a9c',
  WHATSAPP_CLOUD_VERIFY_TOKEN: 'our-own-verify-token-7f3a9c',
};
