import { normalizePhone } from '../../identity/phone.js';
import { numberedOptions, splitText } from '../fit.js';
import { ChannelSendError, type InboundMessage, type OutboundMessage } from '../types.js';
import type { CloudMessage } from './webhook.js';

export const CHANNEL = 'whatsapp-cloud';

/**
 * Meta's documented limits: text 4096 characters; reply buttons at most 3 with titles of at most
 * 20; list messages at most 10 rows with titles of at most 24 and a button label of at most 20;
 * an interactive body of at most 1024.
 */
export const LIMITS = {
  text: 4096,
  interactiveBody: 1024,
  replyButtons: 3,
  buttonTitle: 20,
  listRows: 10,
  rowTitle: 24,
  rowDescription: 72,
  buttonId: 256,
} as const;

/** `+6281287611943` → `6281287611943`: the Cloud API addresses a customer by their number (wa_id). */
export function chatIdForPhone(e164: string): string {
  return e164.replace(/\D/g, '');
}

/** A customer's message → InboundMessage; undefined for what the engine cannot read (a sticker). */
export function toInboundMessage(m: CloudMessage): InboundMessage | undefined {
  const inbound: InboundMessage = {
    channel: CHANNEL,
    chatId: m.from,
    // A wamid is unique across every chat of the number, and encodes the customer's number in
    // base64: the key names the chat too, so an erase finds the keys built from it (the session
    // store's `seen` markers) by the chat id, as on WhatsApp Web.
    messageId: m.id,
    messageKey: `${m.from}:${m.id}`,
    senderId: m.from,
    receivedAt: new Date(Number(m.timestamp) * 1000),
  };
  // The sender's number is the one WhatsApp verified at registration: proof, as on WhatsApp Web.
  const phone = normalizePhone(`+${m.from}`);
  if (phone.ok) inbound.senderPhone = phone.e164;
  if (m.context?.id) inbound.replyToMessageId = m.context.id;

  const reply = m.interactive?.button_reply ?? m.interactive?.list_reply;
  if (m.type === 'interactive' && reply) {
    inbound.action = { value: reply.id, ...(m.context?.id ? { sourceMessageId: m.context.id } : {}) };
    return inbound;
  }
  // A quick-reply button of a template: its payload (or its text).
  if (m.type === 'button' && m.button) {
    inbound.text = m.button.payload || m.button.text;
    return inbound;
  }
  if (m.type === 'text' && m.text?.body.trim()) {
    inbound.text = m.text.body;
    return inbound;
  }
  if (m.type === 'contacts') {
    for (const card of m.contacts ?? [])
      for (const p of card.phones ?? []) {
        const shared = normalizePhone(p.wa_id ? `+${p.wa_id}` : (p.phone ?? ''));
        if (shared.ok) {
          inbound.contact = { phone: shared.e164, ...(p.wa_id ? { userId: p.wa_id } : {}) };
          return inbound;
        }
      }
    return undefined;
  }
  // Media captions count as text, as on WhatsApp Web.
  const caption = m.image?.caption ?? m.document?.caption;
  if (caption?.trim()) {
    inbound.text = caption;
    return inbound;
  }
  return undefined;
}

function listRow(id: string, label: string): { id: string; title: string; description?: string } {
  if (label.length <= LIMITS.rowTitle) return { id, title: label };
  return { id, title: `${label.slice(0, LIMITS.rowTitle - 1).trimEnd()}…`, description: label };
}

/** Request bodies for one message (the document's upload is the adapter's). */
export type CloudCall =
  | { kind: 'message'; body: Record<string, unknown> }
  | { kind: 'document'; fileName: string; mimeType: string; bytes: Buffer; caption?: string };

const bad = (why: string) => new ChannelSendError('BAD_REQUEST', why);

const textCalls = (to: string, text: string): CloudCall[] => {
  if (!text.trim()) throw bad('message text is empty');
  return splitText(text, LIMITS.text).map((body) => ({
    kind: 'message',
    body: { to, type: 'text', text: { body } },
  }));
};

/**
 * OutboundMessage → Graph API calls. A menu of up to 3 short labels becomes reply buttons, up to
 * 10 a list message; longer menus or labels become numbered options (which the engine accepts
 * as replies, as on WhatsApp Web). A contact request is its text: the number already proves
 * who writes.
 */
export function toCloudCalls(to: string, message: OutboundMessage, listLabel = 'Menu'): CloudCall[] {
  switch (message.kind) {
    case 'text':
    case 'contact_request':
      return textCalls(to, message.text);
    case 'buttons': {
      const { buttons, text } = message;
      if (buttons.length === 0) return textCalls(to, text);
      const fitsBody = text.length > 0 && text.length <= LIMITS.interactiveBody;
      if (
        fitsBody &&
        buttons.length <= LIMITS.replyButtons &&
        buttons.every((b) => b.label.length <= LIMITS.buttonTitle)
      )
        return [
          {
            kind: 'message',
            body: {
              to,
              type: 'interactive',
              interactive: {
                type: 'button',
                body: { text },
                action: {
                  buttons: buttons.map((b) => ({ type: 'reply', reply: { id: b.value, title: b.label } })),
                },
              },
            },
          },
        ];
      // A row title is short (24); a longer label is cut there and shown whole as the row's description.
      if (
        fitsBody &&
        buttons.length <= LIMITS.listRows &&
        buttons.every((b) => b.label.length <= LIMITS.rowDescription)
      )
        return [
          {
            kind: 'message',
            body: {
              to,
              type: 'interactive',
              interactive: {
                type: 'list',
                body: { text },
                action: {
                  button: listLabel.slice(0, LIMITS.buttonTitle),
                  sections: [{ rows: buttons.map((b) => listRow(b.value, b.label)) }],
                },
              },
            },
          },
        ];
      return textCalls(to, numberedOptions(text, buttons));
    }
    case 'document': {
      if (!message.fileName.trim()) throw bad('document has no file name');
      if (!message.mimeType.includes('/')) throw bad('document has no valid MIME type');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(message.contentBase64)) throw bad('document content is not base64');
      const bytes = Buffer.from(message.contentBase64, 'base64');
      // Meta's limit for documents is 100 MB.
      if (bytes.length === 0 || bytes.length > 100 * 1024 * 1024)
        throw bad('document is empty or above 100 MB');
      return [
        {
          kind: 'document',
          fileName: message.fileName,
          mimeType: message.mimeType,
          bytes,
          ...(message.caption ? { caption: message.caption } : {}),
        },
      ];
    }
  }
}

/**
 * The longest text parameter sent: Meta holds a template's body, its own words and the
 * parameters filled in, to 1024 characters; this leaves the template's own words 124.
 */
export const TEMPLATE_PARAMETER_MAX = 900;

/** A template parameter may not hold new lines, tabs or more than four spaces in a row (Meta). */
export function flatParameter(text: string): string {
  return text
    .replace(/\s*\n+\s*/g, ' · ')
    .replace(/\t/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** A notice as a template parameter: flattened, and cut at `max` (the notice names its request). */
export function templateParameter(text: string, max = TEMPLATE_PARAMETER_MAX): string {
  const flat = flatParameter(text);
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A template message (Meta's envelope): the approved template by name and language, filled in. */
function templateMessage(to: string, name: string, language: string, components: Record<string, unknown>[]) {
  return { to, type: 'template', template: { name, language: { code: language }, components } };
}

/** A utility template: `{{1}}` the request ref, `{{2}}` the notice. */
export function utilityTemplate(to: string, name: string, language: string, ref: string, text: string) {
  return templateMessage(to, name, language, [
    {
      type: 'body',
      parameters: [
        { type: 'text', text: ref },
        { type: 'text', text: templateParameter(text) },
      ],
    },
  ]);
}

/**
 * A marketing template (Meta: "Send a custom marketing template"): `{{1}}` the promotion, already
 * a valid parameter (flatParameter, at most TEMPLATE_PARAMETER_MAX: the adapter refuses longer).
 */
export function marketingTemplate(to: string, name: string, language: string, promotion: string) {
  return templateMessage(to, name, language, [
    { type: 'body', parameters: [{ type: 'text', text: promotion }] },
  ]);
}

/** An authentication template: the code in the body and again in the copy-code button (Meta). */
export function codeTemplate(to: string, name: string, language: string, code: string) {
  return templateMessage(to, name, language, [
    { type: 'body', parameters: [{ type: 'text', text: code }] },
    { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: code }] },
  ]);
}

/** The one-time code in the code message's text (the only run of 4 to 8 digits in it). */
export function codeIn(text: string): string | undefined {
  const runs = text.match(/\b\d{4,8}\b/g) ?? [];
  return runs.length === 1 ? runs[0] : undefined;
}
