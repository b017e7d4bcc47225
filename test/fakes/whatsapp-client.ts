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
 * A fake of the whatsapp-web.js `Client` event surface. Tests play WhatsApp: `emitQr`,
 * `emitReady`, `receive` (a customer's message), `disconnect`. Every call the adapter makes is
 * recorded in `calls`; `sendMessage` answers with a message id, or with the error queued by
 * `failNextSend`. Media are the library's real `MessageMedia`, so `instanceof` holds.
 */

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
    const id = `true_${chatId}_FAKE${this.index}x${this.nextId++}`;
    this.sent.push({ chatId, content, options, at: Date.now(), id });
    return { id: { _serialized: id } };
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

  disconnect(reason = 'CONFLICT'): void {
    this.emit('disconnected', reason);
  }

  receive(message: IncomingFields): WhatsAppIncomingMessage {
    const full = incomingMessage(message);
    this.emit('message', full);
    return full;
  }

  private record(method: FakeCall['method'], args: unknown[]): void {
    this.calls.push({ method, args, at: Date.now() });
  }
}

/** A message's fields; `quotedId` makes it a reply to that message. */
export type IncomingFields = Partial<WhatsAppIncomingMessage> & { from: string; quotedId?: string };

let messageCounter = 0;

/** A received message with whatsapp-web.js's shape; override any field. */
export function incomingMessage(fields: IncomingFields): WhatsAppIncomingMessage {
  const { quotedId, ...rest } = fields;
  const n = ++messageCounter;
  return {
    id: { _serialized: `false_${fields.from}_IN${n}` },
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
