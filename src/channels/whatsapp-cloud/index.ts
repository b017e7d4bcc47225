import { maskPhone } from '../../privacy/index.js';
import type { ChannelDefinition, ChannelDeps } from '../registry.js';
import { WhatsAppCloudAdapter } from './adapter.js';
import { CHANNEL, chatIdForPhone, LIMITS } from './convert.js';
import { accountWideRateLimit } from './errors.js';
import { cloudSettingProblems, cloudSettings, cloudSettingsOf } from './settings.js';
import { forgetWindow, WINDOW_MS } from './store.js';
import { cloudWebhookRoutes } from './webhook-route.js';

export { WhatsAppCloudAdapter } from './adapter.js';
export { cloudSettingsOf } from './settings.js';

function createAdapter(ctx: ChannelDeps): WhatsAppCloudAdapter {
  const settings = cloudSettingsOf(ctx.config);
  if (!settings)
    throw new Error('WHATSAPP_CLOUD_ACCESS_TOKEN and WHATSAPP_CLOUD_PHONE_NUMBER_ID are required');
  return new WhatsAppCloudAdapter(ctx, settings);
}

/**
 * The official WhatsApp Business Cloud API: on when an access token and a phone number id are
 * set. Stateless HTTPS, so any process may send; runs beside WhatsApp Web (another number).
 */
export const whatsappCloudChannel: ChannelDefinition = {
  name: CHANNEL,
  enabled: (ctx) => cloudSettingsOf(ctx.config) !== undefined,
  createAdapter,
  sendFrom: 'any',
  capabilities: {
    partitions: 8,
    sendsPerSecond: (config) => cloudSettingsOf(config)?.messagesPerSecond ?? 20,
    accountRateLimit: accountWideRateLimit,
    // Meta allows 80 messages a second per number by default.
    promo: { perSecond: (config) => cloudSettingsOf(config)?.messagesPerSecond ?? 20, ceiling: 80 },
    // A list row shows a label whole up to 72 characters (its title cut at 24, the rest as its description).
    limits: { text: LIMITS.text, buttons: LIMITS.listRows, buttonLabel: LIMITS.rowDescription },
    documents: true,
    serviceWindowHours: WINDOW_MS / 3_600_000,
  },
  chatOfPhone: chatIdForPhone,
  // The chat id is the customer's number: staff see it masked (`+62812****943`).
  maskChat: (chatId) => (/^\d{8,15}$/.test(chatId) ? maskPhone(`+${chatId}`) : undefined),
  forgetChat: forgetWindow,
  deliversCodes: true,
  settings: cloudSettings,
  settingProblems: cloudSettingProblems,
  routes: cloudWebhookRoutes,
};
