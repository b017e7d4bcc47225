import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { loadAppConfig } from '../../src/app/settings.js';
import { channelDefinitions, defaultPromoChannels } from '../../src/channels/registry.js';
import { outboundQueueNames } from '../../src/outbound/index.js';
import { defaultRate } from '../../src/promo/throttle.js';

/**
 * The channel boundary (README, Adding a channel): each channel declares what it can do in its
 * ChannelDefinition, generic code asks and never names a channel, and the two WhatsApp channels
 * can run side by side from one configuration.
 */

const SRC = new URL('../../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Files outside src/channels/<name>/ that may still say a channel's name, and why. Anything else
 * naming one (as a string: `'telegram'`, `"whatsapp"`) fails the test.
 */
const ALLOWED: Record<string, string> = {
  // The default of STAFF_CHANNEL: a setting naming the staff chat's channel.
  'config/schema.ts': 'STAFF_CHANNEL default',
  // A staff account's link to their Telegram user id: staff identity, not a channel rule.
  'staff/accounts.ts': 'staff account telegram link',
  'staff/console/routes/staff.ts': 'staff account telegram link',
  'staff/console/views/staff.ts': 'staff account telegram link',
  // The doc comment of InboundMessage.channel lists examples.
  'channels/types.ts': 'documentation',
};

const CLOUD = {
  WHATSAPP_CLOUD_ACCESS_TOKEN: 'EAAGexampleTokenForTheTest000000',
  WHATSAPP_CLOUD_PHONE_NUMBER_ID: '106540352242922',
  WHATSAPP_CLOUD_APP_SECRET: 'an-app-secret-for-the-test',
  WHATSAPP_CLOUD_VERIFY_TOKEN: 'a-verify-token-for-the-test',
};

describe('channel capabilities', () => {
  it('every registered channel declares partitions, promo pace, limits and documents', () => {
    const config = loadAppConfig({ NODE_ENV: 'test' });
    for (const d of channelDefinitions) {
      expect(d.capabilities.partitions, d.name).toBeGreaterThanOrEqual(1);
      expect(d.capabilities.promo.perSecond(config), d.name).toBeGreaterThan(0);
      expect(d.capabilities.limits.text, d.name).toBeGreaterThan(0);
      expect(typeof d.capabilities.documents, d.name).toBe('boolean');
    }
  });

  it('keeps the outbound layout and promo defaults the channels had before they declared them', () => {
    const ctx = {
      config: loadAppConfig({ NODE_ENV: 'test', WHATSAPP_MESSAGES_PER_SECOND: '2' }),
    } as AppContext;
    const partitions = (name: string) =>
      channelDefinitions.find((d) => d.name === name)?.capabilities.partitions;
    expect(partitions('whatsapp')).toBe(1);
    expect(partitions('telegram')).toBe(8);
    expect(defaultRate(ctx, 'whatsapp')).toBe(2);
    expect(defaultRate(ctx, 'telegram')).toBe(25);
    expect(defaultPromoChannels()).toEqual(['whatsapp', 'telegram']);
  });

  it('runs both WhatsApp channels side by side: own queues, own chats for the same number', () => {
    const config = loadAppConfig({ NODE_ENV: 'test', WHATSAPP_ENABLED: 'true', ...CLOUD });
    const ctx = { config } as AppContext;
    const web = channelDefinitions.find((d) => d.name === 'whatsapp');
    const cloud = channelDefinitions.find((d) => d.name === 'whatsapp-cloud');
    expect(web?.enabled(ctx)).toBe(true);
    expect(cloud?.enabled(ctx)).toBe(true);
    expect(web?.chatOfPhone?.('+6281287611943')).toBe('6281287611943@c.us');
    expect(cloud?.chatOfPhone?.('+6281287611943')).toBe('6281287611943');
    const webQueues = outboundQueueNames('whatsapp', web?.capabilities.partitions ?? 0);
    const cloudQueues = outboundQueueNames('whatsapp-cloud', cloud?.capabilities.partitions ?? 0);
    expect(webQueues.filter((q) => cloudQueues.includes(q))).toEqual([]);
  });

  it('refuses the Cloud API channel without its app secret, and OTP_PROVIDER naming no code channel', () => {
    const { WHATSAPP_CLOUD_APP_SECRET: _dropped, ...noSecret } = CLOUD;
    expect(() => loadAppConfig({ NODE_ENV: 'test', ...noSecret })).toThrow(/WHATSAPP_CLOUD_APP_SECRET/);
    expect(() => loadAppConfig({ NODE_ENV: 'test', OTP_PROVIDER: 'telegram' })).toThrow(/OTP_PROVIDER/);
    expect(() => loadAppConfig({ NODE_ENV: 'test', OTP_PROVIDER: 'whatsapp-cloud' })).toThrow(
      /WHATSAPP_CLOUD_ACCESS_TOKEN/,
    );
    expect(loadAppConfig({ NODE_ENV: 'test', OTP_PROVIDER: 'whatsapp-cloud', ...CLOUD }).otp.provider).toBe(
      'whatsapp-cloud',
    );
  });
});

describe('no file outside src/channels/<name>/ names a channel', () => {
  it('says no registered channel name as a string, except where ALLOWED says why', () => {
    const names = channelDefinitions.map((d) => d.name);
    const quoted = new RegExp(`['"\`](${names.join('|')})['"\`]`);
    const offenders = sourceFiles(SRC)
      .map((file) => relative(SRC, file))
      .filter((file) => !/^channels\/[^/]+\//.test(file) && !(file in ALLOWED))
      .filter((file) => quoted.test(readFileSync(join(SRC, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
