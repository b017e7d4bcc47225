import type { Config } from '../../config/index.js';
import type { Outbox } from '../../outbound/index.js';
import { OtpError } from '../otp-errors.js';
import { type CodeChannel, createChannelOtpProvider } from './channel.js';
import { type ConsoleOtpDeps, createConsoleOtpProvider } from './console.js';
import type { OtpProvider } from './types.js';
import { createWebhookOtpProvider } from './webhook.js';

export { type CodeChannel, createChannelOtpProvider } from './channel.js';
export { createConsoleOtpProvider, type DevOtpEntry, readDevOtpOutbox } from './console.js';
export type { OtpProvider } from './types.js';
export { createWebhookOtpProvider, signWebhookBody, webhookSigningKey } from './webhook.js';

/**
 * The provider OTP_PROVIDER names: console, webhook, or one of `codeChannels` (the channels that
 * carry codes, handed in by whoever composes the app), which sends through `outbox`.
 */
export function createOtpProvider(
  ctx: ConsoleOtpDeps & { config: Pick<Config, 'otp'> },
  outbox?: Outbox,
  codeChannels: CodeChannel[] = [],
): OtpProvider {
  const { otp } = ctx.config;
  switch (otp.provider) {
    case 'console':
      return createConsoleOtpProvider(ctx);
    case 'webhook':
      if (!otp.webhookUrl)
        throw new OtpError('PROVIDER_MISCONFIGURED', 'OTP_WEBHOOK_URL is required when OTP_PROVIDER=webhook');
      return createWebhookOtpProvider({ url: otp.webhookUrl, secret: otp.secret, logger: ctx.logger });
    default: {
      const channel = codeChannels.find((c) => c.name === otp.provider);
      if (!channel)
        throw new OtpError(
          'PROVIDER_MISCONFIGURED',
          `OTP_PROVIDER=${otp.provider} is not a channel that carries codes`,
        );
      if (!outbox)
        throw new OtpError('PROVIDER_MISCONFIGURED', `OTP_PROVIDER=${otp.provider} needs the outbound queue`);
      return createChannelOtpProvider(outbox, channel);
    }
  }
}
