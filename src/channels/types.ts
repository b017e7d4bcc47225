/**
 * The one shape every channel speaks. Adapters (src/channels/<name>/) convert platform updates
 * to InboundMessage and OutboundMessage to platform calls; nothing else knows a platform exists.
 */

export interface InboundMessage {
  /** Channel name as registered: 'telegram', 'whatsapp', 'webchat', … */
  channel: string;
  /** Where replies go. On WhatsApp this is `<digits>@c.us`, itself personal data: never log it. */
  chatId: string;
  /** Platform message id, unique within the chat: inbound messages are de-duplicated on it. */
  messageId: string;
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
}

export interface Button {
  label: string;
  /** Short opaque value; adapters must keep it ≤ 64 bytes (Telegram callback data). */
  value: string;
}

export type OutboundMessage =
  | { kind: 'text'; text: string }
  | { kind: 'buttons'; text: string; buttons: Button[] }
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

export type ChannelErrorCode = 'RATE_LIMITED' | 'UNAVAILABLE' | 'CHAT_BLOCKED' | 'BAD_REQUEST';

/** A send that failed, with what the outbound worker needs to decide: retry when, or give up. */
export class ChannelSendError extends Error {
  constructor(
    readonly code: ChannelErrorCode,
    message: string,
    /** From the platform (Telegram's `retry_after`), in milliseconds. */
    readonly retryAfterMs?: number,
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

export type InboundHandler = (message: InboundMessage) => Promise<void>;

export interface ChannelAdapter {
  readonly name: string;
  /** Begin receiving; every inbound message is passed to `onInbound`. */
  start(onInbound: InboundHandler): Promise<void>;
  /** Deliver one message to a chat. Throws ChannelSendError. */
  send(chatId: string, message: OutboundMessage): Promise<SendResult>;
  stop(): Promise<void>;
  health(): ChannelHealth;
}
