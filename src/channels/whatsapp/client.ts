/**
 * The part of whatsapp-web.js the adapter touches, as a narrow interface. The real `Client`
 * satisfies it structurally (see real-client.ts); tests drive a fake (test/fakes/whatsapp-client.ts).
 * Everything outside real-client.ts works against these types only.
 */

/** A received message: only the fields the adapter reads. */
export interface WhatsAppIncomingMessage {
  id: { _serialized: string };
  /** `<digits>@c.us` (a person), `<digits>@lid` (a person behind a privacy id), `…@g.us` (a group), `status@broadcast`. */
  from: string;
  fromMe: boolean;
  body: string;
  /** 'chat', 'vcard', 'multi_vcard', 'image', 'document', 'ptt', 'revoked', 'e2e_notification', … */
  type: string;
  /** Seconds since the epoch. */
  timestamp: number;
  isStatus?: boolean;
  broadcast?: boolean;
  hasQuotedMsg: boolean;
  vCards?: string[];
  getQuotedMessage(): Promise<{ id: { _serialized: string } } | undefined>;
}

/** whatsapp-web.js `MessageMedia`: created by the platform so its `instanceof` checks hold. */
export interface WhatsAppMedia {
  mimetype: string;
  data: string;
  filename?: string | null;
}

export interface WhatsAppSendOptions {
  sendMediaAsDocument?: boolean;
  caption?: string;
}

export interface WhatsAppSentMessage {
  id: { _serialized: string };
}

export interface WhatsAppClient {
  on(event: 'qr', listener: (qr: string) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'message', listener: (message: WhatsAppIncomingMessage) => void): unknown;
  /** Reason: a WAState ('CONFLICT', 'UNPAIRED', …), 'LOGOUT' or 'Max qrcode retries reached'. */
  on(event: 'disconnected', listener: (reason: string) => void): unknown;
  on(event: 'auth_failure', listener: (message: string) => void): unknown;
  initialize(): Promise<void>;
  /** Resolves to undefined/null when WhatsApp Web has no such chat. */
  sendMessage(
    chatId: string,
    content: string | WhatsAppMedia,
    options?: WhatsAppSendOptions,
  ): Promise<WhatsAppSentMessage | undefined | null>;
  destroy(): Promise<void>;
  /** 'CONNECTED', 'TIMEOUT', 'UNPAIRED', … or null; rejects when the browser page is gone. */
  getState(): Promise<string | null>;
  /** Maps a privacy id (`…@lid`) to the phone chat id (`pn`, `<digits>@c.us`). */
  getContactLidAndPhone?(userIds: string[]): Promise<{ lid: string; pn: string }[]>;
}

/** How the adapter gets clients and media objects: the real library, or a fake in tests. */
export interface WhatsAppPlatform {
  /** A fresh client for each (re)connection: a destroyed client is never reused. */
  createClient(): WhatsAppClient;
  createMedia(mimeType: string, base64: string, fileName: string): WhatsAppMedia;
}
