import { z } from 'zod';
import { type Env, type EnvField, envFields, envSchema } from './schema.js';

export interface Config {
  env: Env['NODE_ENV'];
  isProduction: boolean;
  role: Env['ROLE'];
  logLevel: Env['LOG_LEVEL'];
  mongodbUri: string;
  redisUrl: string;
  redisPrefix: string;
  /** The channel whose group is the staff chat (STAFF_CHANNEL). */
  staffChannel: string;
  otp: { provider: Env['OTP_PROVIDER']; webhookUrl: string | undefined; secret: string };
  admin: {
    host: string;
    port: number;
    secret: string;
    publicUrl: string | undefined;
    /** Fastify's `trustProxy`: false (the default) or the proxies' addresses and CIDRs. */
    trustProxy: false | string[];
  };
  /** /metrics: the admin server always serves it; gateway and worker processes on `port` when set. */
  metrics: { token: string | undefined; host: string; port: number | undefined };
  defaultLocale: Env['DEFAULT_LOCALE'];
  conversation: {
    sessionTtlSeconds: number;
    verifiedLinkTtlSeconds: number;
    optOutWords: string[];
    optInWords: string[];
  };
  /** Deadline per request type, in hours. */
  slaHours: { access: number; update: number; erase: number; unsubscribe: number; restrict: number };
  flags: { maxRequestsPerDay: number };
  business: { name: string; phone: string; email: string; website: string };
  /**
   * The values of settings declared by channels (ChannelDefinition.settings), by variable name,
   * as their schemas parsed them. Each channel reads its own; empty when none were declared.
   */
  channelSettings: Record<string, unknown>;
}

/** Settings declared outside this module (by channels), merged into the schema when loading. */
export interface ExtraSettings {
  fields: Record<string, EnvField>;
  /** Rules across those fields, given the loaded config. */
  problems?: (config: Config) => { field: string; message: string }[];
}

export interface ConfigProblem {
  field: string;
  message: string;
  example?: string;
}

/** A configuration that cannot start: one readable line per field. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `Invalid configuration:\n${problems
        .map((p) => `  ${p.field}: ${p.message}${p.example ? ` (example: ${p.example})` : ''}`)
        .join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

const baseFields = envFields as Record<string, EnvField>;

/** The default a field takes when unset, when it has one. */
function defaultOf(field: EnvField): unknown {
  const def = (field.schema as unknown as { def: { type: string; defaultValue?: unknown } }).def;
  return def.type === 'default' ? def.defaultValue : undefined;
}

/**
 * Every value this program prints for a secret: its example (in `.env.example` and in every
 * config error) and its development default. Anyone can read them, so production refuses them.
 */
export function publishedSecrets(extra: Record<string, EnvField> = {}): Map<string, string[]> {
  const published = new Map<string, string[]>();
  for (const [name, field] of Object.entries({ ...baseFields, ...extra })) {
    if (!field.secret) continue;
    const fallback = defaultOf(field);
    published.set(name, [field.example, ...(typeof fallback === 'string' ? [fallback] : [])]);
  }
  return published;
}

/**
 * A refused value as an error may show it: a URL's user and password (`mongodb://app:pw@db`, also
 * when mistyped as `mongodb//app:pw@db`, `mongodb:/app:pw@db` or `app:pw@db`) become `***`, since
 * connection strings carry passwords.
 */
export function withoutCredentials(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 0) return value;
  const slashes = value.indexOf('//');
  // Kept before the `***`: the scheme and its slashes as typed; without `//`, a `name:/` (a bare `app:` may be the user).
  const kept =
    slashes >= 0 && slashes < at
      ? slashes + 2
      : (/^[a-z][a-z0-9+.-]*:\//i.exec(value.slice(0, at))?.[0].length ?? 0);
  return `${value.slice(0, kept)}***${value.slice(at)}`;
}

/** Reads the environment (a `.env` file is loaded by the CLI before this in development). */
export function loadConfig(
  source: NodeJS.ProcessEnv = process.env,
  extra: ExtraSettings = { fields: {} },
): Config {
  const fields: Record<string, EnvField> = { ...baseFields, ...extra.fields };
  const exampleOf = (field: string) => fields[field]?.example;
  const isSecret = (field: string) => fields[field]?.secret === true;
  // An empty value in a .env file means "not set", not "set to the empty string".
  const raw: Record<string, string> = {};
  for (const name of Object.keys(fields)) {
    const value = source[name];
    if (value !== undefined && value.trim() !== '') raw[name] = value.trim();
  }

  const extraSchema = z.object(
    Object.fromEntries(Object.entries(extra.fields).map(([k, f]) => [k, f.schema])),
  );
  const parsedExtra = extraSchema.safeParse(raw);
  const parsedBase = envSchema.safeParse(raw);
  if (!parsedBase.success || !parsedExtra.success) {
    const issues = [
      ...(parsedBase.success ? [] : parsedBase.error.issues),
      ...(parsedExtra.success ? [] : parsedExtra.error.issues),
    ];
    const seen = new Set<string>();
    const problems: ConfigProblem[] = [];
    for (const issue of issues) {
      const field = String(issue.path[0] ?? '(environment)');
      if (seen.has(field)) continue;
      seen.add(field);
      const got = raw[field];
      const shown = got === undefined ? '' : ` (got "${isSecret(field) ? '***' : withoutCredentials(got)}")`;
      problems.push({ field, message: `${issue.message}${shown}`, example: exampleOf(field) });
    }
    throw new ConfigError(problems);
  }

  const e = parsedBase.data;
  const config: Config = {
    env: e.NODE_ENV,
    isProduction: e.NODE_ENV === 'production',
    role: e.ROLE,
    logLevel: e.LOG_LEVEL,
    mongodbUri: e.MONGODB_URI,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    staffChannel: e.STAFF_CHANNEL,
    otp: { provider: e.OTP_PROVIDER, webhookUrl: e.OTP_WEBHOOK_URL, secret: e.OTP_SECRET },
    admin: {
      host: e.ADMIN_HOST,
      port: e.ADMIN_PORT,
      secret: e.ADMIN_SECRET,
      publicUrl: e.PUBLIC_URL,
      trustProxy: e.TRUST_PROXY,
    },
    metrics: { token: e.METRICS_TOKEN, host: e.METRICS_HOST, port: e.METRICS_PORT },
    defaultLocale: e.DEFAULT_LOCALE,
    conversation: {
      sessionTtlSeconds: e.SESSION_TTL_SECONDS,
      verifiedLinkTtlSeconds: e.VERIFIED_LINK_TTL_SECONDS,
      optOutWords: e.OPT_OUT_WORDS.map((w) => w.toLowerCase()),
      optInWords: e.OPT_IN_WORDS.map((w) => w.toLowerCase()),
    },
    slaHours: {
      access: e.SLA_ACCESS_HOURS,
      update: e.SLA_UPDATE_HOURS,
      erase: e.SLA_ERASE_HOURS,
      unsubscribe: e.SLA_UNSUBSCRIBE_HOURS,
      restrict: e.SLA_RESTRICT_HOURS,
    },
    flags: { maxRequestsPerDay: e.MAX_REQUESTS_PER_DAY },
    business: {
      name: e.BUSINESS_NAME,
      phone: e.BUSINESS_PHONE,
      email: e.BUSINESS_EMAIL,
      website: e.BUSINESS_WEBSITE,
    },
    channelSettings: parsedExtra.data,
  };

  const problems = [
    ...crossFieldProblems(config, exampleOf),
    ...(extra.problems?.(config) ?? []).map((p) => ({ ...p, example: exampleOf(p.field) })),
    ...publishedSecretProblems(config, raw, fields, extra.fields),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Production with a secret anyone can read in `.env.example` or an error message is no secret. */
function publishedSecretProblems(
  c: Config,
  raw: Record<string, string>,
  fields: Record<string, EnvField>,
  extra: Record<string, EnvField>,
): ConfigProblem[] {
  if (!c.isProduction) return [];
  const problems: ConfigProblem[] = [];
  for (const [name, values] of publishedSecrets(extra)) {
    // Unset means the default, which is published too.
    const value = raw[name] ?? (defaultOf(fields[name] as EnvField) as string | undefined);
    if (value === undefined || !values.includes(value)) continue;
    problems.push({
      field: name,
      message:
        value === raw[name]
          ? 'is a value printed in .env.example and in error messages; production needs one of your own'
          : 'the development default is refused in production',
    });
  }
  return problems;
}

/** Rules that involve more than one field, or the environment as a whole. */
function crossFieldProblems(c: Config, exampleOf: (field: string) => string | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (field: string, message: string) =>
    problems.push({ field, message, example: exampleOf(field) });

  if (c.otp.provider === 'webhook' && !c.otp.webhookUrl)
    add('OTP_WEBHOOK_URL', 'is required when OTP_PROVIDER=webhook');

  if (c.isProduction) {
    if (c.otp.provider === 'console')
      add(
        'OTP_PROVIDER',
        'console prints codes to the log and is refused in production; use webhook or whatsapp',
      );
  }
  return problems;
}
