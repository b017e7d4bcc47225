import type { Outbox } from '../../outbound/index.js';
import type { OtpProvider } from './types.js';

/** A channel that may carry codes (ChannelDefinition.deliversCodes) and how it addresses a number. */
export interface CodeChannel {
  name: string;
  chatOfPhone?(e164: string): string;
}

/**
 * Through a chat channel (OTP_PROVIDER names it): the code is queued on the outbound queue, with
 * purpose `otp`, to the chat the channel derives from the number. The channel decides the form
 * (WhatsApp Web: the text; the Cloud API: its authentication template).
 */
export function createChannelOtpProvider(outbox: Outbox, channel: CodeChannel): OtpProvider {
  const chatOfPhone = channel.chatOfPhone;
  if (!chatOfPhone) throw new Error(`channel ${channel.name} cannot address a phone number`);
  return {
    name: channel.name,
    async deliver(phone, text) {
      await outbox.send(channel.name, chatOfPhone(phone), [{ kind: 'text', text }], { purpose: 'otp' });
    },
  };
}
