import { EventEmitter } from 'node:events';
import wwebjs from 'whatsapp-web.js';
import type {
  WhatsAppClient,
  WhatsAppIncomingMessage,
  WhatsAppMedia,
  WhatsAppPlatform,
  WhatsAppSendOptions,
  WhatsAppSentMessage,
} from '../../src/channels/whatsapp/client.js';

/**
 * A fake of the whatsapp-web.js (1.34) `Client` event surface. Tests play WhatsApp: `emitQr`,
 * `emitReady`, `receive` (a customer's message), `redeliver`, `disconnect`, `ack`. Every call the
 * adapter makes is recorded in `calls`; `sendMessage` answers with a message, or with the error
 * queued by `failNextSend`. Media are the library's real `MessageMedia`, so `instanceof` holds.
 *
 * What it copies from the library (its index.d.ts and src/util/Constants.js), checked by
 * test/integration/fake-whatsapp-contract.test.ts:
 * - A message's id is a MessageId `{ fromMe, remote, id, _serialized }` with
 *   `_serialized = <fromMe>_<remote>_<id>` ("false_554199999999@c.us_1234567890ABCDEFGHIJ"):
 *   the serialized id names its chat, the bare `id` does not (here it repeats across chats).
 * - Senders are `<digits>@c.us`, or `<digits>@lid` (a privacy id; `getContactLidAndPhone` maps
 *   it to the phone chat id when WhatsApp Web knows it), groups `…@g.us`, `status@broadcast`.
 * - `message` may come again for a message already seen (a reconnecting session replays what
 *   it had not marked read); the MessageId is the same object's id every time.
 * - `disconnected` carries a WAState ('CONFLICT', 'UNPAIRED', …) or 'LOGOUT'.
 * - `message_ack` (message, ack) follows a send: ACK_SERVER (1) once WhatsApp took it, then
 *   ACK_DEVICE (2), ACK_READ (3) as `ack()` reports them; ACK_ERROR is -1.
 */

/** whatsapp-web.js `MessageAck` (src/util/Constants.js). */
export const MessageAck = {
  ACK_ERROR: -1,
  ACK_PENDING: 0,
  ACK_SERVER: 1,
  ACK_DEVICE: 2,
  ACK_READ: 3,
  ACK_PLAYED: 4,
} as const;

/** whatsapp-web.js `MessageId`. */
export interface MessageId {
  fromMe: boolean;
  remote: string;
  id: string;
  _serialized: string;
}

export interface FakeCall {
  method: 'initialize' | 'sendMessage' | 'destroy' | 'getState' | 'getContactLidAndPhone';
  args: unknown[];
  at: number;
}

export interface SentRecord {
  chatId: string;
  content: string | WhatsAppMedia;
  options: WhatsAppSendOptions | undefined;
  at: number;
  id: string;
}

export class FakeWhatsAppClient extends EventEmitter implements WhatsAppClient {
  readonly calls: FakeCall[] = [];
  readonly sent: SentRecord[] = [];
  destroyed = false;
  /** What getState answers; an Error makes it reject (a dead browser). */
  state: string | Error = 'CONNECTED';
  /** Privacy id → phone chat id, for getContactLidAndPhone. */
  readonly lidPhones = new Map<string, string>();
  /** Every `message_ack` emitted: serialized id and ack value. */
  readonly acks: { id: string; ack: number }[] = [];
  private readonly sendFailures: unknown[] = [];
  private initializeResult: Error | undefined;
  private nextId = 1;

  constructor(
    readonly index: number,
    private readonly onInitialize?: (client: FakeWhatsAppClient) => void,
  ) {
    super();
  }

  failInitialize(err: Error): void {
    this.initializeResult = err;
  }

  /** The next sendMessage rejects with `err` (or resolves to `undefined` when `err` is null). */
  failNextSend(err: unknown): void {
    this.sendFailures.push(err);
  }

  async initialize(): Promise<void> {
    this.record('initialize', []);
    if (this.initializeResult) throw this.initializeResult;
    this.onInitialize?.(this);
  }

  async sendMessage(
    chatId: string,
    content: string | WhatsAppMedia,
    options?: WhatsAppSendOptions,
  ): Promise<WhatsAppSentMessage | undefined> {
    this.record('sendMessage', options === undefined ? [chatId, content] : [chatId, content, options]);
    if (this.sendFailures.length > 0) {
      const failure = this.sendFailures.shift();
      if (failure === null) return undefined;
      throw failure;
    }
    const inner = `FAKE${this.index}x${this.nextId++}`;
    const messageId: MessageId = {
      fromMe: true,
      remote: chatId,
      id: inner,
      _serialized: `true_${chatId}_${inner}`,
    };
    const id = messageId._serialized;
    this.sent.push({ chatId, content, options, at: Date.now(), id });
    // WhatsApp's server takes the message: the library reports ACK_SERVER through `message_ack`.
    setImmediate(() => this.ack(id, MessageAck.ACK_SERVER));
    return { id: messageId };
  }

  /** A sent message's delivery state changes ('message_ack' with the new MessageAck value). */
  ack(serializedId: string, ack: number): void {
    this.acks.push({ id: serializedId, ack });
    this.emit('message_ack', { id: { _serialized: serializedId }, ack }, ack);
  }

  async destroy(): Promise<void> {
    this.record('destroy', []);
    this.destroyed = true;
  }

  async getState(): Promise<string | null> {
    this.record('getState', []);
    if (this.state instanceof Error) throw this.state;
    return this.state;
  }

  async getContactLidAndPhone(userIds: string[]): Promise<{ lid: string; pn: string }[]> {
    this.record('getContactLidAndPhone', [userIds]);
    return userIds.map((lid) => ({ lid, pn: this.lidPhones.get(lid) ?? '' }));
  }

  emitQr(qr = `2@fakeRef${this.index},fakeKey,fakeIdentity,fakeSecret`): void {
    this.emit('qr', qr);
  }

  emitReady(): void {
    this.emit('ready');
  }

  /** `disconnected` with a WAState ('CONFLICT', 'UNPAIRED', 'TIMEOUT'…) or 'LOGOUT'. */
  disconnect(reason = 'CONFLICT'): void {
    this.emit('disconnected', reason);
  }

  receive(message: IncomingFields): WhatsAppIncomingMessage {
    const full = incomingMessage(message);
    this.emit('message', full);
    return full;
  }

  /** The same message emitted again (a reconnecting session replays it): same MessageId. */
  redeliver(message: WhatsAppIncomingMessage): void {
    this.emit('message', message);
  }

  private record(method: FakeCall['method'], args: unknown[]): void {
    this.calls.push({ method, args, at: Date.now() });
  }
}

/** A message's fields; `quotedId` makes it a reply to that message. */
export type IncomingFields = Partial<WhatsAppIncomingMessage> & { from: string; quotedId?: string };

/** Per chat: the bare `id` part repeats across chats, so only `_serialized` identifies a message. */
const messageCounters = new Map<string, number>();

/** A received message with whatsapp-web.js's shape; override any field. */
export function incomingMessage(fields: IncomingFields): WhatsAppIncomingMessage {
  const { quotedId, ...rest } = fields;
  const n = (messageCounters.get(fields.from) ?? 0) + 1;
  messageCounters.set(fields.from, n);
  // Upper-case hex like the library's examples; numbered per chat, so equal across chats.
  const inner = `3EB0${n.toString(16).toUpperCase().padStart(16, '0')}`;
  const fromMe = fields.fromMe ?? false;
  const id: MessageId = {
    fromMe,
    remote: fields.from,
    id: inner,
    _serialized: `${fromMe}_${fields.from}_${inner}`,
  };
  return {
    id,
    fromMe: false,
    body: '',
    type: 'chat',
    timestamp: Math.floor(Date.now() / 1000),
    isStatus: false,
    broadcast: false,
    hasQuotedMsg: quotedId !== undefined,
    vCards: [],
    getQuotedMessage: async () => (quotedId ? { id: { _serialized: quotedId } } : undefined),
    ...rest,
  };
}

/** A platform whose clients are fakes; `clients` holds every one created, newest last. */
export class FakeWhatsAppPlatform implements WhatsAppPlatform {
  readonly clients: FakeWhatsAppClient[] = [];
  /** This many next clients fail to initialize (Chromium missing, WhatsApp Web unreachable…). */
  initializeFailures = 0;

  /** What each new client does on initialize: nothing, show a QR, or connect at once. */
  constructor(public behaviour: 'idle' | 'qr' | 'ready' = 'ready') {}

  get current(): FakeWhatsAppClient {
    const client = this.clients.at(-1);
    if (!client) throw new Error('no client created yet');
    return client;
  }

  createClient(): FakeWhatsAppClient {
    const client = new FakeWhatsAppClient(this.clients.length, (c) => {
      // Like the library: events arrive after initialize() has been called.
      if (this.behaviour === 'qr') setImmediate(() => c.emitQr());
      if (this.behaviour === 'ready') setImmediate(() => c.emitReady());
    });
    if (this.initializeFailures > 0) {
      this.initializeFailures--;
      client.failInitialize(new Error('Failed to launch the browser process'));
    }
    this.clients.push(client);
    return client;
  }

  createMedia(mimeType: string, base64: string, fileName: string): WhatsAppMedia {
    return new wwebjs.MessageMedia(mimeType, base64, fileName);
  }
}
