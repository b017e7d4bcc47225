/**
 * The one shape every channel speaks. Adapters (src/channels/<name>/) convert platform updates
 * to InboundMessage and OutboundMessage to platform calls; nothing else knows a platform exists.
 *
 * Ids and the scope they are unique in (a key built from an id must carry that scope):
 *
 * | channel  | id                         | unique within                   | key we build                     |
 * |----------|----------------------------|---------------------------------|----------------------------------|
 * | telegram | `update_id`                | one bot (increasing; offset)    | offset; webhook `<bot id>:<id>`  |
 * | telegram | `message.message_id`       | one chat (a new chat starts low)| `<chat id>:<message_id>`         |
 * | telegram | `callback_query.id`        | everywhere (global)             | `<chat id>:cb:<id>`; audit keys  |
 * | telegram | chat id / user id          | the whole of Telegram           | chat-scoped Redis keys           |
 * | whatsapp | `id._serialized`           | the account: `<fromMe>_<chat>_<id>` contains its chat | the serialized id itself |
 * | whatsapp-cloud | `wamid.…`            | the business number (it encodes the chat) | `<wa_id>:<wamid>`; webhook events once per keyed hash of it |
 * | webchat  | message id (random UUID v4)| everywhere (made by our server) | `<chat id>:<uuid>`               |
 *
 * `messageId` is the platform's id as the platform scopes it (Telegram: per chat); `messageKey`
 * is the one to build keys from. Both contain chat ids, which are personal data: never log them.
 */

export interface InboundMessage {
  /** Channel name as registered: 'telegram', 'whatsapp', 'webchat', … */
  channel: string;
  /** Where replies go. On WhatsApp this is `<digits>@c.us`, itself personal data: never log it. */
  chatId: string;
  /**
   * Platform message id, unique only within the chat on Telegram (every new chat starts near 1):
   * to compare with other ids of the same chat (a reply's quoted message), never a key by itself.
   */
  messageId: string;
  /**
   * Unique across every chat of the channel, built by the adapter (see the table above): the
   * one id dedupe keys, Redis keys and job ids are made from. Personal data (holds the chat).
   */
  messageKey: string;
  /** Platform user id of the sender (Telegram user id; WhatsApp chat id). */
  senderId: string;
  receivedAt: Date;
  /** What the customer typed (may be absent for a contact or a button press). */
  text?: string;
  /** A button pressed: the value the button carried and the message it was attached to. */
  action?: { value: string; sourceMessageId?: string };
  /** A shared contact card. `userId` is the platform user the contact belongs to, when known. */
  contact?: { phone: string; userId?: string };
  /** A number the platform itself proves the sender owns (WhatsApp chat id), E.164. */
  senderPhone?: string;
  /** The message this one replies to (e.g. a promotion), when the platform says. */
  replyToMessageId?: string;
  /** Sent in a group rather than a private chat. */
  isGroup?: boolean;
  /** Platform language hint ('id', 'en-US', …). */
  languageHint?: string;
  /**
   * The sender's display name, passed only for a staff chat (src/staff/chat/), where it names
   * who decided; never for customers.
   */
  senderName?: { first?: string; last?: string; username?: string };
  /**
   * From the group the channel is configured to serve as the staff chat (Telegram:
   * TELEGRAM_STAFF_CHAT_ID): the gateway's staff filter takes it, the customer engine never sees it.
   */
  isStaffChat?: boolean;
}

export interface Button {
  label: string;
  /** Short opaque value; adapters must keep it ≤ 64 bytes (Telegram callback data). */
  value: string;
}

/**
 * Where a text or buttons message goes within its chat, for group chats such as the staff chat.
 * A channel without the feature sends the message as a new, plain one.
 */
export interface MessagePlacement {
  /** Quote this earlier message of the same chat (the platform's id). */
  replyTo?: string;
  /** Replace this earlier message of the bot (the platform's id) instead of sending a new one. */
  replaces?: string;
  /**
   * Ask one member of a group for an answer: the text begins with `name`, which mentions them,
   * and only their reply field opens (Telegram: a text_mention with a selective force_reply).
   */
  askReplyFrom?: { userId: string; name: string; placeholder?: string };
}

export type OutboundMessage =
  | ({ kind: 'text'; text: string } & MessagePlacement)
  | ({ kind: 'buttons'; text: string; buttons: Button[] } & MessagePlacement)
  | { kind: 'contact_request'; text: string; buttonLabel: string }
  | {
      kind: 'document';
      fileName: string;
      mimeType: string;
      /** Base64, so the message survives a trip through the outbound queue as JSON. */
      contentBase64: string;
      caption?: string;
    };

/** What a send returned: the platform id of the message, to match replies (e.g. STOP to a promo). */
export interface SendResult {
  messageId?: string;
}

/**
 * `WINDOW_CLOSED`: the platform lets a business write first only with approved templates (the
 * WhatsApp Cloud API's 24-hour customer-service window), and this message is not one.
 */
export type ChannelErrorCode =
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'CHAT_BLOCKED'
  | 'BAD_REQUEST'
  | 'WINDOW_CLOSED';

/** A send that failed, with what the outbound worker needs to decide: retry when, or give up. */
export class ChannelSendError extends Error {
  constructor(
    readonly code: ChannelErrorCode,
    message: string,
    /** From the platform (Telegram's `retry_after`), in milliseconds. */
    readonly retryAfterMs?: number,
    /**
     * The platform's own error code (the Graph API's `131047`), kept apart from the message so
     * the dead letter shows it whole: the message's digit runs are masked.
     */
    readonly platformCode?: string,
  ) {
    super(message);
    this.name = 'ChannelSendError';
  }
  get retryable(): boolean {
    return this.code === 'RATE_LIMITED' || this.code === 'UNAVAILABLE';
  }
}

export interface ChannelHealth {
  ok: boolean;
  /** e.g. 'polling', 'webhook', 'waiting for QR scan', 'disconnected'. */
  state: string;
}

/**
 * What a handler may answer to an inbound message besides replies (which go through the outbox):
 * a short text shown on the pressed button (Telegram's answerCallbackQuery).
 */
export interface InboundAck {
  buttonAnswer?: string;
}

/** Customer handlers answer nothing (`void`); the staff chat's may answer a press. */
export type InboundHandler = (message: InboundMessage) => Promise<void> | Promise<InboundAck | undefined>;

/**
 * Why a message is sent (from the outbound job's meta; no personal data): a channel that may
 * write first only with approved templates chooses one by it, and reports a later failure with it.
 */
export interface SendContext {
  purpose?: string;
  requestRef?: string;
  promoId?: string;
}

/** A message the platform accepted and later reported as not delivered (a status webhook). */
export interface DeliveryFailure {
  channel: string;
  /** Personal data: for the dead letter's hash and mask only, never logged. */
  chatId: string;
  /** The platform's id of the message, unique in the channel: the dead letter's key. */
  messageId: string;
  code: ChannelErrorCode;
  /** The platform's sentence, without numbers or addresses. */
  detail: string;
  /** The platform's error code (the Graph API's `131047`): a code, never free text. */
  platformCode?: string;
  messageKind: string;
  context: SendContext;
}

/** What the gateway hands an adapter besides its inbound messages. */
export interface ChannelHooks {
  onDeliveryFailed?(failure: DeliveryFailure): Promise<void>;
}

export interface ChannelAdapter {
  readonly name: string;
  /** Begin receiving; every inbound message is passed to `onInbound`. */
  start(onInbound: InboundHandler, hooks?: ChannelHooks): Promise<void>;
  /** Deliver one message to a chat. Throws ChannelSendError. */
  send(chatId: string, message: OutboundMessage, context?: SendContext): Promise<SendResult>;
  stop(): Promise<void>;
  health(): ChannelHealth;
}
