import type { ChannelDefinition } from '../registry.js';
import { WebchatAdapter } from './adapter.js';
import { webchatRoutes } from './routes.js';
import { webchatEnabled, webchatSettingProblems, webchatSettings } from './settings.js';
import { deleteReplies } from './store.js';

/** The development web chat (`/chat` on the admin server). Refused in production by the config. */
export const webchatChannel: ChannelDefinition = {
  name: 'webchat',
  enabled: (ctx) => webchatEnabled(ctx.config),
  createAdapter: (ctx) => new WebchatAdapter(ctx),
  sendFrom: 'any',
  capabilities: {
    partitions: 8,
    promo: { perSecond: () => 25 },
    limits: { text: 8192, buttons: 20, buttonLabel: 200 },
    documents: true,
  },
  forgetChat: deleteReplies,
  routes: webchatRoutes,
  settings: webchatSettings,
  settingProblems: webchatSettingProblems,
};
