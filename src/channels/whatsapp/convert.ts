import { z } from 'zod';
import { normalizePhone } from '../../identity/phone.js';
import { numberedOptions } from '../fit.js';
import type { InboundMessage, OutboundMessage } from '../types.js';
import type { WhatsAppIncomingMessage, WhatsAppPlatform, WhatsAppSendOptions } from './client.js';

/**
 * Conversion between whatsapp-web.js messages and the engine's shapes. Pure functions apart
 * from the two lookups the platform must answer (quoted message, privacy-id phone), which are
 * passed in.
 */

export const CHANNEL = 'whatsapp';

/** Chats we serve: a person by phone (`<digits>@c.us`) or by privacy id (`<digits>@lid`). */
const PERSON_CHAT = /^\d{5,20}@(c\.us|lid)$/;

/** Message types that come from a person typing or sharing something; the rest is system noise. */
const CUSTOMER_TYPES = new Set([
  'chat',
  'vcard',
  'multi_vcard',
  'image',
  'video',
  'document',
  'audio',
  'ptt',
  'sticker',
  'location',
  'buttons_response',
  'list_response',
]);

export type IgnoreReason = 'own' | 'status' | 'group' | 'not_a_person' | 'system' | 'malformed';

/** The fields we read, checked: the library's objects are not typed at runtime. */
const incomingSchema = z.object({
  id: z.object({ _serialized: z.string().min(1) }),
  from: z.string(),
  fromMe: z.boolean(),
  body: z.string().catch(''),
  type: z.string(),
  timestamp: z.number().optional().catch(undefined),
  isStatus: z.boolean().optional().catch(undefined),
  broadcast: z.boolean().optional().catch(undefined),
  hasQuotedMsg: z.boolean().catch(false),
  vCards: z.array(z.string()).optional().catch(undefined),
});

/** Why a message is not for the engine, or undefined when it is. */
export function ignoreReason(msg: WhatsAppIncomingMessage): IgnoreReason | undefined {
  const parsed = incomingSchema.safeParse(msg);
  if (!parsed.success) return 'malformed';
  const m = parsed.data;
  if (m.fromMe) return 'own';
  if (m.isStatus || m.from === 'status@broadcast') return 'status';
  if (m.from.endsWith('@g.us')) return 'group';
  if (m.broadcast || !PERSON_CHAT.test(m.from)) return 'not_a_person';
  if (!CUSTOMER_TYPES.has(m.type)) return 'system';
  return undefined;
}

export interface InboundLookups {
  /** Phone chat id (`<digits>@c.us`) behind a privacy id, when WhatsApp Web tells. */
  phoneChatIdOf?(lidChatId: string): Promise<string | undefined>;
}

/** A message that passed `ignoreReason` → InboundMessage. */
export async function toInboundMessage(
  msg: WhatsAppIncomingMessage,
  lookups: InboundLookups = {},
): Promise<InboundMessage> {
  const inbound: InboundMessage = {
    channel: CHANNEL,
    chatId: msg.from,
    // `<fromMe>_<chat>_<id>`: the serialized id already names its chat, so it is the key too.
    messageId: msg.id._serialized,
    messageKey: msg.id._serialized,
    senderId: msg.from,
    receivedAt:
      typeof msg.timestamp === 'number' && msg.timestamp > 0 ? new Date(msg.timestamp * 1000) : new Date(),
  };

  // The chat id is the number WhatsApp verified at registration: offered to the engine as proof.
  const phoneChatId = msg.from.endsWith('@lid') ? await lookups.phoneChatIdOf?.(msg.from) : msg.from;
  if (phoneChatId) {
    const phone = normalizePhone(phoneChatId);
    if (phone.ok) inbound.senderPhone = phone.e164;
  }

  if (msg.type === 'vcard' || msg.type === 'multi_vcard') {
    const contact = contactFromVCards(msg.vCards?.length ? msg.vCards : [msg.body]);
    if (contact) inbound.contact = contact;
  } else if (typeof msg.body === 'string' && msg.body.trim() !== '') {
    // Media captions count as text; a voice note or sticker arrives without text.
    inbound.text = msg.body;
  }

  if (msg.hasQuotedMsg) {
    const quoted = await msg.getQuotedMessage().catch(() => undefined);
    if (quoted?.id._serialized) inbound.replyToMessageId = quoted.id._serialized;
  }
  return inbound;
}

/**
 * The first phone number of the shared vCard(s). WhatsApp writes
 * `TEL;type=CELL;waid=6281287611943:+62 812-8761-1943`: `waid` is the WhatsApp account.
 */
export function contactFromVCards(vCards: string[]): InboundMessage['contact'] {
  for (const card of vCards) {
    for (const line of card.split(/\r?\n/)) {
      const match = /^(?:item\d+\.)?TEL([^:]*):(.*)$/i.exec(line.trim());
      if (!match) continue;
      const params = match[1] ?? '';
      const value = (match[2] ?? '').trim();
      const waid = /;waid=(\d+)/i.exec(params)?.[1];
      const phone = normalizePhone(waid ?? value);
      if (phone.ok) return waid ? { phone: phone.e164, userId: `${waid}@c.us` } : { phone: phone.e164 };
    }
  }
  return undefined;
}

/** `+6281287611943` → `6281287611943@c.us`: where to send to a number (e.g. a one-time code). */
export function chatIdForPhone(e164: string): string {
  return `${e164.replace(/\D/g, '')}@c.us`;
}

export function isSendableChatId(chatId: string): boolean {
  return PERSON_CHAT.test(chatId);
}

export class OutboundConversionError extends Error {
  readonly code = 'BAD_REQUEST';
}

/** What `client.sendMessage` is called with. */
export type WhatsAppCall =
  | { kind: 'text'; text: string }
  | { kind: 'document'; mimeType: string; base64: string; fileName: string; options: WhatsAppSendOptions };

/** WhatsApp's own limit on a text message. */
const MAX_TEXT = 65_536;
/** WhatsApp Web refuses documents above 100 MB (base64 is 4/3 of that). */
const MAX_BASE64 = Math.ceil((100 * 1024 * 1024 * 4) / 3);

/**
 * OutboundMessage → one WhatsApp call. WhatsApp Web buttons are unreliable (deprecated by the
 * library), so buttons become numbered options the engine accepts as replies; a contact
 * request becomes its text, since the chat id already proves the number.
 */
export function toWhatsAppCall(message: OutboundMessage): WhatsAppCall {
  switch (message.kind) {
    case 'text':
      return { kind: 'text', text: checkedText(message.text) };
    case 'buttons': {
      if (message.buttons.length === 0) return { kind: 'text', text: checkedText(message.text) };
      return { kind: 'text', text: checkedText(numberedOptions(message.text, message.buttons)) };
    }
    case 'contact_request':
      return { kind: 'text', text: checkedText(message.text) };
    case 'document': {
      if (!message.fileName.trim()) throw new OutboundConversionError('document has no file name');
      if (!message.mimeType.includes('/'))
        throw new OutboundConversionError('document has no valid MIME type');
      if (!message.contentBase64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(message.contentBase64))
        throw new OutboundConversionError('document content is not base64');
      if (message.contentBase64.length > MAX_BASE64)
        throw new OutboundConversionError('document is larger than WhatsApp accepts (100 MB)');
      const options: WhatsAppSendOptions = { sendMediaAsDocument: true };
      if (message.caption) options.caption = message.caption;
      return {
        kind: 'document',
        mimeType: message.mimeType,
        base64: message.contentBase64,
        fileName: message.fileName,
        options,
      };
    }
  }
}

function checkedText(text: string): string {
  if (!text.trim()) throw new OutboundConversionError('message text is empty');
  if (text.length > MAX_TEXT)
    throw new OutboundConversionError(`message text is longer than ${MAX_TEXT} characters`);
  return text;
}

/** The arguments of `client.sendMessage` for a call. */
export function sendArguments(
  call: WhatsAppCall,
  platform: Pick<WhatsAppPlatform, 'createMedia'>,
): [content: string | ReturnType<WhatsAppPlatform['createMedia']>, options?: WhatsAppSendOptions] {
  if (call.kind === 'text') return [call.text];
  return [platform.createMedia(call.mimeType, call.base64, call.fileName), call.options];
}
