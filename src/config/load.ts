import { DEV_ADMIN_SECRET, DEV_OTP_SECRET, type Env, type EnvName, envFields, envSchema } from './schema.js';

export interface Config {
  env: Env['NODE_ENV'];
  isProduction: boolean;
  role: Env['ROLE'];
  logLevel: Env['LOG_LEVEL'];
  mongodbUri: string;
  redisUrl: string;
  redisPrefix: string;
  telegram: {
    token: string | undefined;
    apiRoot: string;
    webhookUrl: string | undefined;
    webhookSecret: string | undefined;
    botUsername: string | undefined;
    staffChatId: string | undefined;
    staffUserIds: string[];
  };
  whatsapp: { enabled: boolean; sessionDir: string; messagesPerSecond: number; chromiumPath: string };
  otp: { provider: Env['OTP_PROVIDER']; webhookUrl: string | undefined; secret: string };
  admin: { host: string; port: number; secret: string; publicUrl: string | undefined };
  webchat: { enabled: boolean };
  defaultLocale: Env['DEFAULT_LOCALE'];
  conversation: {
    sessionTtlSeconds: number;
    verifiedLinkTtlSeconds: number;
    optOutWords: string[];
    optInWords: string[];
  };
  /** Deadline per request type, in hours. */
  slaHours: { access: number; update: number; erase: number; unsubscribe: number };
  flags: { maxRequestsPerDay: number };
  business: { name: string; phone: string; email: string; website: string };
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

const exampleOf = (field: string) => (envFields as Record<string, { example: string }>)[field]?.example;

/** Reads the environment (a `.env` file is loaded by the CLI before this in development). */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // An empty value in a .env file means "not set", not "set to the empty string".
  const raw: Record<string, string> = {};
  for (const name of Object.keys(envFields) as EnvName[]) {
    const value = source[name];
    if (value !== undefined && value.trim() !== '') raw[name] = value.trim();
  }

  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const seen = new Set<string>();
    const problems: ConfigProblem[] = [];
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? '(environment)');
      if (seen.has(field)) continue;
      seen.add(field);
      const got = raw[field];
      const shown =
        got === undefined
          ? ''
          : ` (got "${field.includes('SECRET') || field.includes('TOKEN') ? '***' : got}")`;
      problems.push({ field, message: `${issue.message}${shown}`, example: exampleOf(field) });
    }
    throw new ConfigError(problems);
  }

  const e = parsed.data;
  const config: Config = {
    env: e.NODE_ENV,
    isProduction: e.NODE_ENV === 'production',
    role: e.ROLE,
    logLevel: e.LOG_LEVEL,
    mongodbUri: e.MONGODB_URI,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    telegram: {
      token: e.TELEGRAM_BOT_TOKEN,
      apiRoot: e.TELEGRAM_API_ROOT.replace(/\/+$/, ''),
      webhookUrl: e.TELEGRAM_WEBHOOK_URL,
      webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
      botUsername: e.TELEGRAM_BOT_USERNAME,
      staffChatId: e.TELEGRAM_STAFF_CHAT_ID,
      staffUserIds: e.TELEGRAM_STAFF_USER_IDS,
    },
    whatsapp: {
      enabled: e.WHATSAPP_ENABLED,
      sessionDir: e.WHATSAPP_SESSION_DIR,
      messagesPerSecond: e.WHATSAPP_MESSAGES_PER_SECOND,
      chromiumPath: e.CHROMIUM_PATH,
    },
    otp: { provider: e.OTP_PROVIDER, webhookUrl: e.OTP_WEBHOOK_URL, secret: e.OTP_SECRET },
    admin: { host: e.ADMIN_HOST, port: e.ADMIN_PORT, secret: e.ADMIN_SECRET, publicUrl: e.PUBLIC_URL },
    webchat: { enabled: e.WEBCHAT_ENABLED ?? e.NODE_ENV !== 'production' },
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
    },
    flags: { maxRequestsPerDay: e.MAX_REQUESTS_PER_DAY },
    business: {
      name: e.BUSINESS_NAME,
      phone: e.BUSINESS_PHONE,
      email: e.BUSINESS_EMAIL,
      website: e.BUSINESS_WEBSITE,
    },
  };

  const problems = crossFieldProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Rules that involve more than one field, or the environment as a whole. */
function crossFieldProblems(c: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (field: string, message: string) =>
    problems.push({ field, message, example: exampleOf(field) });

  if (c.otp.provider === 'webhook' && !c.otp.webhookUrl)
    add('OTP_WEBHOOK_URL', 'is required when OTP_PROVIDER=webhook');
  if (c.otp.provider === 'whatsapp' && !c.whatsapp.enabled)
    add('WHATSAPP_ENABLED', 'must be true when OTP_PROVIDER=whatsapp');
  if (c.telegram.webhookUrl && !c.telegram.token)
    add('TELEGRAM_BOT_TOKEN', 'is required when TELEGRAM_WEBHOOK_URL is set');
  if (c.telegram.webhookUrl && !c.telegram.webhookSecret)
    add('TELEGRAM_WEBHOOK_SECRET', 'is required in webhook mode, so forged updates are refused');

  if (c.isProduction) {
    if (c.otp.provider === 'console')
      add(
        'OTP_PROVIDER',
        'console prints codes to the log and is refused in production; use webhook or whatsapp',
      );
    if (c.otp.secret === DEV_OTP_SECRET)
      add('OTP_SECRET', 'the development default is refused in production');
    if (c.admin.secret === DEV_ADMIN_SECRET)
      add('ADMIN_SECRET', 'the development default is refused in production');
    if (c.webchat.enabled)
      add('WEBCHAT_ENABLED', 'the local web chat lets anyone pick a customer and is refused in production');
  }
  return problems;
}
