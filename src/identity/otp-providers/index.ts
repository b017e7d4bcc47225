import type { AppContext } from '../../app/context.js';
import type { Outbox } from '../../outbound/index.js';
import { OtpError } from '../otp-errors.js';
import { createConsoleOtpProvider } from './console.js';
import type { OtpProvider } from './types.js';
import { createWebhookOtpProvider } from './webhook.js';
import { createWhatsAppOtpProvider } from './whatsapp.js';

export { createConsoleOtpProvider, type DevOtpEntry, readDevOtpOutbox } from './console.js';
export type { OtpProvider } from './types.js';
export { createWebhookOtpProvider, signWebhookBody, webhookSigningKey } from './webhook.js';
export { createWhatsAppOtpProvider } from './whatsapp.js';

/** The provider OTP_PROVIDER names. `outbox` is needed for `whatsapp`. */
export function createOtpProvider(ctx: AppContext, outbox?: Outbox): OtpProvider {
  const { otp } = ctx.config;
  switch (otp.provider) {
    case 'console':
      return createConsoleOtpProvider(ctx);
    case 'webhook':
      if (!otp.webhookUrl)
        throw new OtpError('PROVIDER_MISCONFIGURED', 'OTP_WEBHOOK_URL is required when OTP_PROVIDER=webhook');
      return createWebhookOtpProvider({ url: otp.webhookUrl, secret: otp.secret, logger: ctx.logger });
    case 'whatsapp':
      if (!outbox)
        throw new OtpError('PROVIDER_MISCONFIGURED', 'OTP_PROVIDER=whatsapp needs the outbound queue');
      return createWhatsAppOtpProvider(outbox);
  }
}
