import { z } from 'zod';
import { splitText } from '../fit.js';
import type { InboundMessage, OutboundMessage } from '../types.js';
import { MAX_CALLBACK_BYTES } from './callback-data.js';
import { commandToText } from './commands.js';

// The generic split (src/channels/fit.ts), used here for what the outbox does not split: captions.
export { splitText } from '../fit.js';

/**
 * Telegram update ↔ hakdata message conversion, and nothing else: pure functions, so every
 * shape is tested without a network. Only the fields hakdata reads are validated; the rest of
 * an update passes through untouched (Telegram adds fields all the time).
 */

const user = z.looseObject({
  id: z.number().int(),
  is_bot: z.boolean().optional(),
  language_code: z.string().max(35).optional(),
  first_name: z.string().max(256).optional(),
  last_name: z.string().max(256).optional(),
  username: z.string().max(64).optional(),
});

const chat = z.looseObject({ id: z.number().int(), type: z.string() });

const message = z.looseObject({
  message_id: z.number().int(),
  date: z.number().int(),
  chat,
  from: user.optional(),
  text: z.string().max(10_000).optional(),
  caption: z.string().max(10_000).optional(),
  contact: z
    .looseObject({ phone_number: z.string().max(40), user_id: z.number().int().optional() })
    .optional(),
  reply_to_message: z.looseObject({ message_id: z.number().int() }).optional(),
});

const callbackQuery = z.looseObject({
  id: z.string(),
  from: user,
  data: z.string().max(MAX_CALLBACK_BYTES).optional(),
  message: z.looseObject({ message_id: z.number().int(), chat }).optional(),
});

export const telegramUpdateSchema = z.looseObject({
  update_id: z.number().int(),
  message: message.optional(),
  callback_query: callbackQuery.optional(),
});

export type TelegramUpdate = z.output<typeof telegramUpdateSchema>;

/** What to do with one update. `callbackQueryId`: a button press, to be answered whatever the route. */
export type UpdateRoute =
  /** A customer in a private chat: hand to the engine. */
  | { kind: 'inbound'; message: InboundMessage; callbackQueryId?: string }
  /**
   * The staff chat (a group): passed on like a customer's message, marked as a group and with
   * the sender's name, for the gateway's staff filter; a press is answered after the handler.
   */
  | { kind: 'staff'; message: InboundMessage; callbackQueryId?: string }
  /** Someone wrote in another group: answer with a link to a private chat. */
  | { kind: 'group'; chatId: string; callbackQueryId?: string }
  /** Nothing for us (bots, updates without a chat, buttons without data…). */
  | { kind: 'ignore'; callbackQueryId?: string };

export const TELEGRAM = 'telegram';

/**
 * The key of a Telegram message across every chat of the bot. Telegram numbers `message_id`
 * per chat ("Unique message identifier inside this chat"), so the chat id is part of it; a
 * button press's id is a callback query id ("Unique identifier for this query"), prefixed `cb:`.
 */
export function telegramMessageKey(chatId: string, messageId: string): string {
  return `${chatId}:${messageId}`;
}

/**
 * Where an update goes and, for a customer, the InboundMessage it becomes.
 *
 * A shared contact is passed on as it came: `contact.userId` is Telegram's `contact.user_id`
 * (absent when the card is not of a Telegram user). The adapter does not judge it; the engine
 * accepts a contact for verification only when `contact.userId === senderId`, so a contact
 * card forwarded from someone else is refused with an explanation instead of vanishing.
 */
export function routeUpdate(
  update: TelegramUpdate,
  options: { staffChatId?: string | undefined },
): UpdateRoute {
  const cb = update.callback_query;
  const msg = update.message;
  const chatOf = cb ? cb.message?.chat : msg?.chat;
  const from = cb ? cb.from : msg?.from;
  const withCb = <T extends UpdateRoute>(route: T): T => (cb ? { ...route, callbackQueryId: cb.id } : route);

  if (!chatOf || !from || from.is_bot) return withCb({ kind: 'ignore' });
  const chatId = String(chatOf.id);
  const base = {
    channel: TELEGRAM,
    chatId,
    senderId: String(from.id),
    ...(from.language_code ? { languageHint: from.language_code } : {}),
  };
  if (options.staffChatId !== undefined && chatId === options.staffChatId) {
    const staff = staffMessage(update, base);
    return staff ? withCb({ kind: 'staff', message: staff }) : withCb({ kind: 'ignore' });
  }
  if (chatOf.type !== 'private') return withCb({ kind: 'group', chatId });

  if (cb) {
    if (cb.data === undefined) return withCb({ kind: 'ignore' });
    return withCb({
      kind: 'inbound',
      message: {
        ...base,
        // A callback query id is unique and stays the same when Telegram delivers it again.
        messageId: `cb:${cb.id}`,
        messageKey: telegramMessageKey(chatId, `cb:${cb.id}`),
        receivedAt: new Date(),
        action: { value: cb.data, ...(cb.message ? { sourceMessageId: String(cb.message.message_id) } : {}) },
      },
    });
  }
  if (!msg) return { kind: 'ignore' };

  const inbound: InboundMessage = {
    ...base,
    messageId: String(msg.message_id),
    messageKey: telegramMessageKey(chatId, String(msg.message_id)),
    receivedAt: new Date(msg.date * 1000),
  };
  if (msg.contact) {
    inbound.contact = {
      phone: msg.contact.phone_number,
      ...(msg.contact.user_id !== undefined ? { userId: String(msg.contact.user_id) } : {}),
    };
  } else if (msg.text !== undefined) {
    inbound.text = commandToText(msg.text);
  } else {
    // A photo's caption, or nothing (sticker, voice note…): the engine asks the customer to type.
    inbound.text = msg.caption ?? '';
  }
  if (msg.reply_to_message) inbound.replyToMessageId = String(msg.reply_to_message.message_id);
  return { kind: 'inbound', message: inbound };
}

/**
 * A staff chat update as an InboundMessage: a press carries its data and card, a message its
 * text as typed (commands too: "/batal" is an answer there) and what it replies to.
 */
function staffMessage(
  update: TelegramUpdate,
  base: Pick<InboundMessage, 'channel' | 'chatId' | 'senderId' | 'languageHint'>,
): InboundMessage | undefined {
  const cb = update.callback_query;
  const msg = update.message;
  const from = cb ? cb.from : msg?.from;
  const senderName = {
    ...(from?.first_name ? { first: from.first_name } : {}),
    ...(from?.last_name ? { last: from.last_name } : {}),
    ...(from?.username ? { username: from.username } : {}),
  };
  const common = { ...base, isGroup: true, isStaffChat: true, senderName };
  if (cb) {
    if (cb.data === undefined || !cb.message) return undefined;
    return {
      ...common,
      messageId: `cb:${cb.id}`,
      messageKey: telegramMessageKey(base.chatId, `cb:${cb.id}`),
      receivedAt: new Date(),
      action: { value: cb.data, sourceMessageId: String(cb.message.message_id) },
    };
  }
  if (!msg) return undefined;
  return {
    ...common,
    messageId: String(msg.message_id),
    messageKey: telegramMessageKey(base.chatId, String(msg.message_id)),
    receivedAt: new Date(msg.date * 1000),
    text: msg.text ?? '',
    ...(msg.reply_to_message ? { replyToMessageId: String(msg.reply_to_message.message_id) } : {}),
  };
}

/** Telegram's limits: message text and document caption length. */
export const MAX_TEXT_LENGTH = 4096;
export const MAX_CAPTION_LENGTH = 1024;
/**
 * sendDocument: "Bots can currently send files of any type of up to 50 MB in size". A bigger
 * upload gets Telegram's front end's 413 page (HTML, not JSON), which would read as an outage
 * and be retried; refused here instead, with a margin for the multipart envelope.
 */
export const MAX_DOCUMENT_BYTES = 50 * 1000 * 1000;

type InlineKeyboard = { inline_keyboard: { text: string; callback_data: string }[][] };
type ReplyMarkup =
  | { remove_keyboard: true }
  | InlineKeyboard
  | { keyboard: { text: string; request_contact: true }[][]; resize_keyboard: true; one_time_keyboard: true }
  | { force_reply: true; selective: true; input_field_placeholder?: string };

/** A `text_mention`: names a user who has no username, and makes a selective force_reply theirs. */
type MentionEntity = {
  type: 'text_mention';
  offset: number;
  length: number;
  user: { id: number; is_bot: false; first_name: string };
};

export type TelegramCall =
  | {
      method: 'sendMessage';
      text: string;
      replyMarkup?: ReplyMarkup;
      replyParameters?: { message_id: number; allow_sending_without_reply: true };
      entities?: MentionEntity[];
    }
  | { method: 'editMessageText'; messageId: number; text: string; replyMarkup?: InlineKeyboard }
  | { method: 'sendDocument'; fileName: string; content: Buffer; caption?: string };

/** An outbound message Telegram cannot take, whatever we retry. */
export class OutboundConversionError extends Error {
  readonly code = 'BAD_REQUEST';
  constructor(message: string) {
    super(message);
    this.name = 'OutboundConversionError';
  }
}

/**
 * OutboundMessage → the Bot API calls that deliver it, in order. Button values must already be
 * callback data (≤ 64 bytes, see callback-data.ts). Text longer than Telegram takes is split at
 * paragraph or line ends; a too-long caption follows its document as text.
 *
 * Plain text also removes a reply keyboard left from a contact request: `remove_keyboard` is a
 * no-op when there is none, so no state is needed to know whether the previous message asked
 * for a contact (sends may come from any process).
 */
export function toTelegramCalls(message: OutboundMessage): TelegramCall[] {
  switch (message.kind) {
    case 'text':
      if (message.replaces || message.replyTo || message.askReplyFrom) return placedCalls(message);
      return textCalls(message.text, { remove_keyboard: true });
    case 'buttons': {
      if (message.buttons.length === 0)
        throw new OutboundConversionError('a buttons message needs at least one button');
      for (const b of message.buttons) {
        const bytes = Buffer.byteLength(b.value, 'utf8');
        if (bytes === 0 || bytes > MAX_CALLBACK_BYTES)
          throw new OutboundConversionError(
            `button value must be 1-${MAX_CALLBACK_BYTES} bytes (got ${bytes})`,
          );
      }
      // One button per row: labels are sentences ("Akses data saya"), not icons.
      const inline_keyboard = message.buttons.map((b) => [{ text: b.label, callback_data: b.value }]);
      if (message.replaces || message.replyTo || message.askReplyFrom)
        return placedCalls(message, { inline_keyboard });
      return textCalls(message.text, { inline_keyboard });
    }
    case 'contact_request':
      return textCalls(message.text, {
        keyboard: [[{ text: message.buttonLabel, request_contact: true }]],
        resize_keyboard: true,
        one_time_keyboard: true,
      });
    case 'document': {
      const content = Buffer.from(message.contentBase64, 'base64');
      if (content.length === 0) throw new OutboundConversionError('document is empty');
      if (content.length > MAX_DOCUMENT_BYTES)
        throw new OutboundConversionError('document is larger than Telegram takes from bots (50 MB)');
      const fileName = safeFileName(message.fileName);
      const caption = message.caption?.trim();
      if (!caption) return [{ method: 'sendDocument', fileName, content }];
      if (caption.length <= MAX_CAPTION_LENGTH)
        return [{ method: 'sendDocument', fileName, content, caption }];
      return [{ method: 'sendDocument', fileName, content }, ...textCalls(caption, undefined)];
    }
  }
}

/**
 * A message placed in a group (MessagePlacement): an edit of an earlier message (one call: an
 * edit cannot be split), or a new one quoting a message and/or asking one member to answer.
 * No `remove_keyboard` here: in a group it would take the keyboard from every member.
 */
function placedCalls(
  message: Extract<OutboundMessage, { kind: 'text' | 'buttons' }>,
  keyboard?: InlineKeyboard,
): TelegramCall[] {
  const id = (value: string) => {
    if (!/^\d{1,12}$/.test(value)) throw new OutboundConversionError('not a Telegram message id');
    return Number(value);
  };
  if (message.replaces) {
    if (message.text.trim().length === 0) throw new OutboundConversionError('message text is empty');
    if (message.text.length > MAX_TEXT_LENGTH) throw new OutboundConversionError('an edit cannot be split');
    return [
      {
        method: 'editMessageText',
        messageId: id(message.replaces),
        text: message.text,
        ...(keyboard ? { replyMarkup: keyboard } : {}),
      },
    ];
  }
  const ask = message.askReplyFrom;
  const markup: ReplyMarkup | undefined = ask
    ? {
        force_reply: true,
        selective: true,
        ...(ask.placeholder ? { input_field_placeholder: ask.placeholder } : {}),
      }
    : keyboard;
  const calls = textCalls(message.text, markup);
  const first = calls[0];
  if (first?.method !== 'sendMessage') return calls;
  if (message.replyTo)
    first.replyParameters = { message_id: id(message.replyTo), allow_sending_without_reply: true };
  // Mentioning the member makes the force_reply `selective` theirs: only their keyboard opens.
  if (ask && /^\d{1,20}$/.test(ask.userId) && first.text.startsWith(ask.name))
    first.entities = [
      {
        type: 'text_mention',
        offset: 0,
        length: ask.name.length,
        user: { id: Number(ask.userId), is_bot: false, first_name: ask.name },
      },
    ];
  return calls;
}

/** The markup goes on the last part, so buttons sit under the end of the text. */
function textCalls(text: string, replyMarkup: ReplyMarkup | undefined): TelegramCall[] {
  if (text.trim().length === 0) throw new OutboundConversionError('message text is empty');
  const parts = splitText(text, MAX_TEXT_LENGTH);
  return parts.map((part, i) => ({
    method: 'sendMessage' as const,
    text: part,
    ...(replyMarkup && i === parts.length - 1 ? { replyMarkup } : {}),
  }));
}

/** The name goes into a multipart header unescaped (telegraf): no quotes, backslashes or line breaks. */
export function safeFileName(name: string): string {
  const cleaned = name.replace(/[\r\n"\\/]/g, '_').trim();
  return cleaned.length > 0 ? cleaned.slice(0, 200) : 'document';
}
