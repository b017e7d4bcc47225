import { isIP } from 'node:net';
import { z } from 'zod';
import { localeSchema } from '../catalogue/index.js';

/**
 * Every environment variable hakdata reads, in one place. Each entry carries an example so a
 * bad value can be reported as "NAME: what was wrong (example: …)". Defaults are for
 * development; production refuses the development-only ones (see load.ts).
 */

/** A yes/no setting (true, 1, yes, on / false, 0, no, off): also for settings a channel declares. */
export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

/**
 * An http:// or https:// URL: also for settings a channel declares. `z.url()` alone takes any
 * scheme (ftp:, file:, javascript:), which would pass the start and fail at the first request.
 */
export const httpUrl = (message = 'must be an http(s) URL') => z.url({ protocol: /^https?$/, message });

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
/** A comma-separated list (`a, b,c`), blanks dropped: also for settings a channel declares. */
export const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

export const DEV_OTP_SECRET = 'dev-otp-secret-change-me-0000000000';
export const DEV_ADMIN_SECRET = 'dev-admin-secret-change-me-000000000';

export interface EnvField {
  schema: z.ZodType;
  example: string;
  description: string;
  /** A token or key: never echoed in errors, and production refuses the values printed for it. */
  secret: boolean;
}

/** One setting: its schema, an example, what it does, and whether it is a secret (channels declare theirs with it too). */
export const field = <T extends z.ZodType>(
  schema: T,
  example: string,
  description: string,
  options: { secret?: boolean } = {},
) => ({ schema, example, description, secret: options.secret ?? false });

/** The names proxy-addr (Fastify's `trustProxy`) accepts for well-known ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** `10.0.0.2`, `fd00::1`, `10.0.0.0/8`, `fd00::/8`: an address, optionally with a prefix length. */
function isAddressOrCidr(value: string): boolean {
  const [address = '', prefix, extra] = value.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Which senders may tell the admin server the client's address (X-Forwarded-For): off, or the
 * proxies' addresses. `true` and hop counts are refused: neither can tell a proxy from a client
 * that connects directly, so anyone could pick the address the sign-in limits count them by
 * (Fastify 5.12 ignores a hop count for that reason and would silently trust nobody).
 */
const trustProxy = z.string().transform((raw, check): false | string[] => {
  const value = raw.trim().toLowerCase();
  if (['false', 'off', 'no', 'none'].includes(value)) return false;
  if (value === 'true' || value === '*' || /^\d+$/.test(value)) {
    check.addIssue({
      code: 'custom',
      message: `${/^\d+$/.test(value) ? 'a hop count' : 'trusting every sender'} cannot tell a proxy from a client that connects directly; name the proxy's address or CIDR`,
    });
    return z.NEVER;
  }
  const items = value
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  for (const item of items)
    if (!isAddressOrCidr(item) && !PROXY_RANGE_NAMES.includes(item))
      check.addIssue({
        code: 'custom',
        message: `"${item}" is not an address, a CIDR (10.0.0.0/8), loopback, linklocal or uniquelocal`,
      });
  return items.length > 0 ? items : false;
});

/** The schema, field by field, so the README and `.env.example` can be checked against it. */
export const envFields = {
  NODE_ENV: field(
    z.enum(['development', 'test', 'production']).default('development'),
    'production',
    'development | test | production. Production refuses development-only settings.',
  ),
  ROLE: field(
    z.enum(['all', 'gateway', 'worker', 'admin']).default('all'),
    'worker',
    'Which parts this process runs: all, gateway (channels), worker (queues), admin (web console).',
  ),
  LOG_LEVEL: field(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    'debug',
    'pino log level.',
  ),
  MONGODB_URI: field(
    z
      .string()
      .regex(/^mongodb(\+srv)?:\/\/\S+$/, 'must be a mongodb:// or mongodb+srv:// URL')
      .default('mongodb://127.0.0.1:27017/hakdata'),
    'mongodb://127.0.0.1:27017/hakdata',
    'MongoDB connection string (MongoDB 7 or FerretDB 1.24), database name included; `?serverSelectionTimeoutMS=` sets how long an operation waits for an unreachable server (default 10000).',
  ),
  FERRETDB_POSTGRESQL_URL: field(
    z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL')
      .refine((url) => !/[?&]pool_max_conns=/.test(url), 'leave pool_max_conns out: hakdata sets it')
      .optional(),
    'postgres://postgres@127.0.0.1:5432/hakdata',
    'Development and tests: the FerretDB that `npm run services`, `npm run demo`, the test suite and the bench start keeps its data in this PostgreSQL database (create it first) instead of SQLite; hakdata caps its connection pool (`pool_max_conns`, left out of the URL). Unset: SQLite. Production uses MONGODB_URI.',
  ),
  REDIS_URL: field(
    z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379'),
    'redis://127.0.0.1:6379/0',
    'Redis for queues, sessions, OTP hashes and rate limits.',
  ),
  REDIS_PREFIX: field(
    z
      .string()
      .regex(/^[A-Za-z0-9_:.-]{1,64}$/, 'letters, digits and _ : . - only')
      .default('hakdata'),
    'hakdata',
    'Prefix of every Redis key and queue, so several installations can share one Redis.',
  ),
  STAFF_CHANNEL: field(
    z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a channel name such as telegram')
      .default('telegram'),
    'telegram',
    "Channel whose group is the staff chat (request cards, reminders, dead letters); the group and who may decide there are that channel's own settings.",
  ),
  OTP_PROVIDER: field(
    // Besides these two, the name of a channel that carries codes (checked in src/app/settings.ts).
    z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'console, webhook, or the name of a channel that carries codes')
      .default('console'),
    'webhook',
    'How one-time codes are delivered: webhook (SMS gateway), console (development only), or a channel that carries codes: whatsapp (WhatsApp Web), whatsapp-cloud (authentication template).',
  ),
  OTP_WEBHOOK_URL: field(
    httpUrl().optional(),
    'https://sms.example.id/send',
    'With OTP_PROVIDER=webhook: receives POST {"to":"+62…","text":"…"}.',
  ),
  OTP_SECRET: field(
    z.string().min(32, 'must be at least 32 characters').default(DEV_OTP_SECRET),
    'a-random-string-of-at-least-32-characters',
    'Key for hashing one-time codes and suppressed phone numbers.',
    { secret: true },
  ),
  ADMIN_HOST: field(z.string().default('127.0.0.1'), '0.0.0.0', 'Address the admin server listens on.'),
  ADMIN_PORT: field(port.default(3000), '3000', 'Port of the admin server (console, API, health, web chat).'),
  ADMIN_SECRET: field(
    z.string().min(32, 'must be at least 32 characters').default(DEV_ADMIN_SECRET),
    'another-random-string-of-32-characters',
    'Key for console session cookies and CSRF tokens.',
    { secret: true },
  ),
  TRUST_PROXY: field(
    trustProxy.default(false),
    '172.18.0.1',
    'Proxies allowed to name the client in X-Forwarded-For: their addresses or CIDRs, comma-separated (also loopback, linklocal, uniquelocal). Off: the client is the address that connects, so a forged header cannot choose the sign-in limits it is counted by.',
  ),
  METRICS_TOKEN: field(
    z
      .string()
      .regex(/^[\x21-\x7e]{16,256}$/, '16-256 printable characters, no spaces')
      .optional(),
    'a-long-random-metrics-token',
    'Bearer token Prometheus must send for /metrics (Authorization: Bearer …). Unset: /metrics answers only direct connections from loopback or private addresses, never through a proxy.',
    { secret: true },
  ),
  METRICS_HOST: field(
    z.string().default('127.0.0.1'),
    '10.0.0.5',
    'Address of the /metrics server of a gateway or worker process that runs without the admin role (keep it internal).',
  ),
  METRICS_PORT: field(
    port.optional(),
    '9464',
    'Port of that /metrics server; unset: a gateway or worker without the admin role serves no metrics (the admin server always serves /metrics).',
  ),
  PUBLIC_URL: field(
    httpUrl().optional(),
    'https://privasi.sanitajaya.id',
    'Public address of the admin server, used in links.',
  ),
  DEFAULT_LOCALE: field(localeSchema.default('id'), 'id', 'Language of new chats.'),
  SESSION_TTL_SECONDS: field(positiveInt.default(900), '900', 'A conversation idle this long expires.'),
  VERIFIED_LINK_TTL_SECONDS: field(
    positiveInt.default(86400),
    '86400',
    'How long a verified chat stays linked to its customer.',
  ),
  SLA_ACCESS_HOURS: field(positiveInt.default(72), '72', 'Deadline of access requests (UU PDP: 3×24 h).'),
  SLA_UPDATE_HOURS: field(positiveInt.default(72), '72', 'Deadline of update requests (UU PDP: 3×24 h).'),
  SLA_ERASE_HOURS: field(positiveInt.default(72), '72', 'Deadline of erase requests.'),
  SLA_UNSUBSCRIBE_HOURS: field(positiveInt.default(24), '24', 'Deadline of unsubscribe requests.'),
  SLA_RESTRICT_HOURS: field(
    positiveInt.default(72),
    '72',
    'Deadline of restriction requests, placing or lifting one (UU PDP art. 11; 3×24 h).',
  ),
  MAX_REQUESTS_PER_DAY: field(
    positiveInt.default(5),
    '5',
    'More requests than this from one customer in a day are flagged for staff.',
  ),
  OPT_OUT_WORDS: field(
    csv.default(['stop', 'berhenti', 'unreg', 'unsubscribe', 'stop promo']),
    'stop,berhenti,unreg,unsubscribe,stop promo',
    'Replies that turn marketing off from anywhere.',
  ),
  OPT_IN_WORDS: field(
    csv.default(['langganan', 'subscribe']),
    'langganan,subscribe',
    'Replies that turn marketing back on.',
  ),
  BUSINESS_NAME: field(
    z.string().min(1).default('Sanita Jaya'),
    'Sanita Jaya',
    'Business name shown to customers.',
  ),
  BUSINESS_PHONE: field(
    z.string().default('+62 812-8761-1943'),
    '+62 812-8761-1943',
    'Contact phone (policy §7).',
  ),
  BUSINESS_EMAIL: field(
    z.string().default('sedotwc-jakarta@gmail.id'),
    'sedotwc-jakarta@gmail.id',
    'Contact email (policy §7).',
  ),
  BUSINESS_WEBSITE: field(
    z.string().default('sedotwc-jakarta.id'),
    'sedotwc-jakarta.id',
    'Website (policy §7).',
  ),
} satisfies Record<string, EnvField>;

export type EnvName = keyof typeof envFields;

type Shape = { [K in EnvName]: (typeof envFields)[K]['schema'] };

export const envSchema = z.object(
  Object.fromEntries(Object.entries(envFields).map(([k, f]) => [k, f.schema])) as Shape,
);

export type Env = z.output<typeof envSchema>;
