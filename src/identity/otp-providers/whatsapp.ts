import type { Outbox } from '../../outbound/index.js';
import type { OtpProvider } from './types.js';

/**
 * Through the business WhatsApp number: the code is queued on the outbound queue to the chat
 * `<digits>@c.us`, which the gateway holding the WhatsApp session sends.
 */
export function createWhatsAppOtpProvider(outbox: Outbox): OtpProvider {
  return {
    name: 'whatsapp',
    async deliver(phone, text) {
      await outbox.send('whatsapp', `${phone.replace(/\D/g, '')}@c.us`, [{ kind: 'text', text }], {
        purpose: 'otp',
      });
    },
  };
}
