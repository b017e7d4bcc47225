import { z } from 'zod';
import { type Config, type EnvField, httpUrl } from '../../config/index.js';

/**
 * The Cloud API channel's settings, declared here and merged into the config schema (and so into
 * `.env.example` and the README's settings table) through its ChannelDefinition. The channel is
 * on when an access token and a phone number id are set.
 */

const templateName = z
  .string()
  .regex(/^[a-z0-9_]{1,512}$/, 'lowercase letters, digits and _ (as Meta names templates)');

const setting = (schema: z.ZodType, example: string, description: string, secret = false): EnvField => ({
  schema,
  example,
  description,
  secret,
});

export const cloudSettings = {
  WHATSAPP_CLOUD_ACCESS_TOKEN: setting(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{20,}$/, 'a system user access token from Meta Business Suite')
      .optional(),
    'EAAGexampleSystemUserAccessToken0000',
    'WhatsApp Cloud API access token (a system user token); with WHATSAPP_CLOUD_PHONE_NUMBER_ID it turns the official WhatsApp channel on.',
    true,
  ),
  WHATSAPP_CLOUD_PHONE_NUMBER_ID: setting(
    z
      .string()
      .regex(/^\d{5,20}$/, 'the numeric phone number id from WhatsApp Manager')
      .optional(),
    '106540352242922',
    'Id of the business phone number in the Cloud API (WhatsApp Manager → API setup).',
  ),
  WHATSAPP_CLOUD_APP_SECRET: setting(
    z.string().min(16, 'must be the app secret (at least 16 characters)').optional(),
    'app-secret-from-meta-app-dashboard',
    'App secret of the Meta app: every webhook POST must carry its X-Hub-Signature-256 HMAC.',
    true,
  ),
  WHATSAPP_CLOUD_VERIFY_TOKEN: setting(
    z
      .string()
      .regex(/^[\x21-\x7e]{16,256}$/, '16-256 printable characters, no spaces')
      .optional(),
    'a-long-random-verify-token',
    'Verify token typed into the Meta app dashboard with the callback URL (hub.verify_token).',
    true,
  ),
  WHATSAPP_CLOUD_API_ROOT: setting(
    httpUrl().default('https://graph.facebook.com/v21.0'),
    'https://graph.facebook.com/v21.0',
    'Graph API root with its version (tests point it at a local fake).',
  ),
  WHATSAPP_CLOUD_WEBHOOK_PATH: setting(
    z
      .string()
      .regex(/^\/[A-Za-z0-9/_-]{1,200}$/, 'a path such as /whatsapp-cloud/webhook')
      .default('/whatsapp-cloud/webhook'),
    '/whatsapp-cloud/webhook',
    'Path of the callback URL on the admin server (behind HTTPS: https://<host><path>).',
  ),
  WHATSAPP_CLOUD_MESSAGES_PER_SECOND: setting(
    z.coerce.number().positive().max(1000).default(20),
    '20',
    'Outbound rate of the Cloud API channel (Meta allows 80 per second per number by default).',
  ),
  WHATSAPP_CLOUD_TEMPLATE_LANGUAGE: setting(
    z
      .string()
      .regex(/^[a-z]{2}(_[A-Z]{2})?$/, 'a template language code such as id or en_US')
      .default('id'),
    'id',
    'Language code of the approved templates.',
  ),
  WHATSAPP_CLOUD_TEMPLATE_REQUEST_UPDATE: setting(
    templateName.default('hakdata_request_update'),
    'hakdata_request_update',
    'Approved utility template for request outcomes outside the 24-hour window: {{1}} the request ref, {{2}} the notice.',
  ),
  WHATSAPP_CLOUD_TEMPLATE_DEADLINE_NOTICE: setting(
    templateName.default('hakdata_deadline_notice'),
    'hakdata_deadline_notice',
    'Approved utility template for deadline (SLA) notices outside the 24-hour window: {{1}} the request ref, {{2}} the notice.',
  ),
  WHATSAPP_CLOUD_TEMPLATE_CODE: setting(
    templateName.default('hakdata_code'),
    'hakdata_code',
    'Approved authentication template that carries one-time codes (OTP_PROVIDER=whatsapp-cloud).',
  ),
  WHATSAPP_CLOUD_TEMPLATE_PROMOTION: setting(
    templateName.optional(),
    'hakdata_promotion',
    'Approved marketing template for promotions outside the 24-hour window: {{1}} the promotion with its stop line, in one line of at most 900 characters. Unset, such a promotion is not sent (WINDOW_CLOSED).',
  ),
} satisfies Record<string, EnvField>;

const schema = z.object({
  WHATSAPP_CLOUD_ACCESS_TOKEN: z.string().optional(),
  WHATSAPP_CLOUD_PHONE_NUMBER_ID: z.string().optional(),
  WHATSAPP_CLOUD_APP_SECRET: z.string().optional(),
  WHATSAPP_CLOUD_VERIFY_TOKEN: z.string().optional(),
  WHATSAPP_CLOUD_API_ROOT: z.string().default('https://graph.facebook.com/v21.0'),
  WHATSAPP_CLOUD_WEBHOOK_PATH: z.string().default('/whatsapp-cloud/webhook'),
  WHATSAPP_CLOUD_MESSAGES_PER_SECOND: z.number().default(20),
  WHATSAPP_CLOUD_TEMPLATE_LANGUAGE: z.string().default('id'),
  WHATSAPP_CLOUD_TEMPLATE_REQUEST_UPDATE: z.string().default('hakdata_request_update'),
  WHATSAPP_CLOUD_TEMPLATE_DEADLINE_NOTICE: z.string().default('hakdata_deadline_notice'),
  WHATSAPP_CLOUD_TEMPLATE_CODE: z.string().default('hakdata_code'),
  WHATSAPP_CLOUD_TEMPLATE_PROMOTION: z.string().optional(),
});

export interface CloudSettings {
  accessToken: string;
  phoneNumberId: string;
  appSecret: string | undefined;
  verifyToken: string | undefined;
  apiRoot: string;
  webhookPath: string;
  messagesPerSecond: number;
  templates: {
    language: string;
    requestUpdate: string;
    deadlineNotice: string;
    code: string;
    /** The marketing template promotions go as outside the window; none, they are not sent there. */
    promotion: string | undefined;
  };
}

/** The channel's settings from the loaded config; undefined when the channel is off. */
export function cloudSettingsOf(config: Pick<Config, 'channelSettings'>): CloudSettings | undefined {
  const s = schema.parse(config.channelSettings ?? {});
  if (!s.WHATSAPP_CLOUD_ACCESS_TOKEN || !s.WHATSAPP_CLOUD_PHONE_NUMBER_ID) return undefined;
  return {
    accessToken: s.WHATSAPP_CLOUD_ACCESS_TOKEN,
    phoneNumberId: s.WHATSAPP_CLOUD_PHONE_NUMBER_ID,
    appSecret: s.WHATSAPP_CLOUD_APP_SECRET,
    verifyToken: s.WHATSAPP_CLOUD_VERIFY_TOKEN,
    apiRoot: s.WHATSAPP_CLOUD_API_ROOT.replace(/\/+$/, ''),
    webhookPath: s.WHATSAPP_CLOUD_WEBHOOK_PATH,
    messagesPerSecond: s.WHATSAPP_CLOUD_MESSAGES_PER_SECOND,
    templates: {
      language: s.WHATSAPP_CLOUD_TEMPLATE_LANGUAGE,
      requestUpdate: s.WHATSAPP_CLOUD_TEMPLATE_REQUEST_UPDATE,
      deadlineNotice: s.WHATSAPP_CLOUD_TEMPLATE_DEADLINE_NOTICE,
      code: s.WHATSAPP_CLOUD_TEMPLATE_CODE,
      promotion: s.WHATSAPP_CLOUD_TEMPLATE_PROMOTION,
    },
  };
}

/** Settings that only make sense together (checked when the config is loaded). */
export function cloudSettingProblems(
  config: Pick<Config, 'channelSettings' | 'otp'>,
): { field: string; message: string }[] {
  const s = cloudSettingsOf(config);
  const problems: { field: string; message: string }[] = [];
  if (!s) {
    if (config.otp.provider === 'whatsapp-cloud')
      problems.push({
        field: 'WHATSAPP_CLOUD_ACCESS_TOKEN',
        message: 'and WHATSAPP_CLOUD_PHONE_NUMBER_ID are required when OTP_PROVIDER=whatsapp-cloud',
      });
    return problems;
  }
  // Without the app secret a forged webhook could speak for any customer's number.
  if (!s.appSecret)
    problems.push({
      field: 'WHATSAPP_CLOUD_APP_SECRET',
      message: 'is required with WHATSAPP_CLOUD_ACCESS_TOKEN',
    });
  if (!s.verifyToken)
    problems.push({
      field: 'WHATSAPP_CLOUD_VERIFY_TOKEN',
      message: 'is required with WHATSAPP_CLOUD_ACCESS_TOKEN',
    });
  return problems;
}
