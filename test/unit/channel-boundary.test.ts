import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { loadAppConfig } from '../../src/app/settings.js';
import { channelDefinitions, defaultPromoChannels, staffChatOf } from '../../src/channels/registry.js';
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
 * What files outside src/channels/<name>/ may still say of a channel, and why; each entry is a
 * finding of `namings` below. Anything else fails the test, and so does an entry no longer found
 * (take it off: the list only shrinks).
 */
const ALLOWED: Record<string, { names: string[]; why: string }> = {
  // STAFF_CHANNEL's default: a setting whose value is a channel's name.
  'config/schema.ts': { names: ["'telegram'"], why: 'STAFF_CHANNEL default' },
  // The registry: one line per channel, importing its folder.
  'channels/registry.ts': {
    names: [
      'import channels/telegram/',
      'import channels/webchat/',
      'import channels/whatsapp/',
      'import channels/whatsapp-cloud/',
    ],
    why: 'the registry lines',
  },
  // `hakdata demo` is the web chat's demonstration: it turns the channel on.
  'cli/demo.ts': { names: ['WEBCHAT_ENABLED'], why: 'the demo runs the web chat' },
  // A staff account's link to their Telegram user id: staff identity, not a channel rule.
  'staff/accounts.ts': { names: ["'telegram'"], why: 'staff account telegram link' },
  'staff/console/routes/staff.ts': { names: ["'telegram'"], why: 'staff account telegram link' },
  'staff/console/views/staff.ts': { names: ["'telegram'"], why: 'staff account telegram link' },
};

/** The code of a file without its comments: what it does, not what it documents. */
function codeOf(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:\\'"`])\/\/.*$/gm, '$1');
}

const names = channelDefinitions.map((d) => d.name);
const settingNames = channelDefinitions.flatMap((d) => Object.keys(d.settings ?? {}));

/**
 * How a file names a channel: its name as a string (`'telegram'`), a setting the channel declares
 * (`TELEGRAM_STAFF_CHAT_ID`), an import from its folder, or a config block named after it
 * (`config.telegram`).
 */
function namings(file: string, source = readFileSync(join(SRC, file), 'utf8')): string[] {
  const text = codeOf(source);
  const found = new Set<string>();
  for (const m of text.matchAll(/['"`]([a-z][a-z0-9-]*)['"`]/g))
    if (names.includes(m[1] ?? '')) found.add(`'${m[1]}'`);
  for (const m of text.matchAll(/\b[A-Z][A-Z0-9_]+\b/g)) if (settingNames.includes(m[0])) found.add(m[0]);
  for (const m of text.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = relative(SRC, join(SRC, dirname(file), m[1] ?? ''));
    const channel = /^channels\/([^/]+)\//.exec(target)?.[1];
    if (channel) found.add(`import channels/${channel}/`);
  }
  for (const m of text.matchAll(/\bconfig\.([a-z][a-zA-Z]*)\b/g))
    if (names.includes(m[1] ?? '')) found.add(`config.${m[1]}`);
  return [...found].sort();
}

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

  it("takes the staff chat from STAFF_CHANNEL's own settings, none from a channel without a staff group", () => {
    const env = {
      NODE_ENV: 'test',
      TELEGRAM_STAFF_CHAT_ID: '-1001234567890',
      TELEGRAM_STAFF_USER_IDS: '11, 22',
    };
    expect(staffChatOf(loadAppConfig(env))).toEqual({
      channel: 'telegram',
      chatId: '-1001234567890',
      userIds: ['11', '22'],
      userIdsSetting: 'TELEGRAM_STAFF_USER_IDS',
    });
    expect(staffChatOf(loadAppConfig({ ...env, STAFF_CHANNEL: 'webchat' }))).toBeUndefined();
    expect(staffChatOf(loadAppConfig({ NODE_ENV: 'test' }))).toBeUndefined();
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
  const outside = sourceFiles(SRC)
    .map((file) => relative(SRC, file))
    .filter((file) => !/^channels\/[^/]+\//.test(file));
  const found = new Map(outside.map((file) => [file, namings(file)] as const));

  it('says no channel name, channel setting, channel folder or channel config block, but where ALLOWED says why', () => {
    const offenders = [...found].flatMap(([file, said]) =>
      said.filter((n) => !ALLOWED[file]?.names.includes(n)).map((n) => `${file}: ${n}`),
    );
    expect(offenders).toEqual([]);
  });

  it('lists in ALLOWED only what is still said (take a fixed one off)', () => {
    const gone = Object.entries(ALLOWED).flatMap(([file, { names: allowed }]) =>
      allowed.filter((n) => !found.get(file)?.includes(n)).map((n) => `${file}: ${n}`),
    );
    expect(gone).toEqual([]);
  });

  it('finds each kind of naming, in code and not in comments (the check itself can fail)', () => {
    const sample = [
      "import { x } from '../channels/telegram/settings.js';",
      "const c = 'whatsapp-cloud';",
      'const id = ctx.config.telegram.staffChatId ?? process.env.TELEGRAM_STAFF_CHAT_ID;',
      "// TELEGRAM_BOT_TOKEN and 'webchat' in a comment document, and are not counted",
      "/* nor 'whatsapp' here */",
    ].join('\n');
    expect(namings('staff/example.ts', sample)).toEqual([
      "'whatsapp-cloud'",
      'TELEGRAM_STAFF_CHAT_ID',
      'config.telegram',
      'import channels/telegram/',
    ]);
  });
});
