import QRCode from 'qrcode';
import qrcodeTerminal from 'qrcode-terminal';
import type { AppContext } from '../../app/context.js';
import type { Logger } from '../../logging/logger.js';
import {
  type ChannelAdapter,
  type ChannelHealth,
  ChannelSendError,
  type InboundHandler,
  type OutboundMessage,
  type SendResult,
} from '../types.js';
import type { WhatsAppClient, WhatsAppIncomingMessage, WhatsAppPlatform } from './client.js';
import {
  CHANNEL,
  ignoreReason,
  isSendableChatId,
  sendArguments,
  toInboundMessage,
  toWhatsAppCall,
  type WhatsAppCall,
} from './convert.js';
import { errorText, toChannelSendError } from './errors.js';
import { SendQueue } from './send-queue.js';
import { StatusPublisher } from './status.js';

export interface WhatsAppAdapterOptions {
  /** The library (real-client.ts) or a fake; loaded once, at start. */
  loadPlatform: () => Promise<WhatsAppPlatform>;
  messagesPerSecond: number;
  /** Random extra wait before each send. Default 300–1500 ms. */
  jitterMs?: { min: number; max: number };
  /** Messages waiting for the session at most. Default 1000. */
  maxQueued?: number;
  /** A message unsent after this long goes back to the outbound queue (UNAVAILABLE). Default 5 min. */
  maxWaitMs?: number;
  /** A sendMessage that has not answered by then is failed (UNAVAILABLE). Default 60 s. */
  sendTimeoutMs?: number;
  /** Wait before re-initializing after a disconnection: doubles from min to max. Default 2 s – 2 min. */
  reconnectMs?: { min: number; max: number };
  /** How often a connected client is asked its state, to notice a dead browser. 0 = never. Default 60 s. */
  watchdogMs?: number;
  /** Shows a QR to whoever runs the process. Default: drawn in the terminal. */
  printQr?: (qr: string) => void;
  random?: () => number;
}

const DESTROY_TIMEOUT_MS = 15_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function printQrInTerminal(qr: string): void {
  qrcodeTerminal.generate(qr, { small: true }, (art) => {
    process.stdout.write(
      `\nScan with WhatsApp on the business phone (Linked devices → Link a device):\n${art}\n`,
    );
  });
}

/**
 * WhatsApp over whatsapp-web.js (WhatsApp Web in Chromium). Keeps one client connected:
 * re-initializes a fresh one with backoff after a disconnection, a failed start or a dead
 * browser; publishes the QR and state for the admin page; sends through one rate-limited FIFO
 * that waits while the session is down. Conversion lives in convert.ts.
 */
export class WhatsAppAdapter implements ChannelAdapter {
  readonly name = CHANNEL;
  private readonly logger: Logger;
  private readonly queue: SendQueue;
  private readonly status: StatusPublisher;
  private platform: WhatsAppPlatform | undefined;
  private client: WhatsAppClient | undefined;
  /** Bumped for each client: events of a replaced client are ignored. */
  private generation = 0;
  private connected = false;
  private stopped = true;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private previousClientGone: Promise<void> = Promise.resolve();
  private onInbound: InboundHandler | undefined;
  /** Inbound messages are handed over one at a time, in arrival order. */
  private inboundChain: Promise<void> = Promise.resolve();

  constructor(
    ctx: Pick<AppContext, 'logger' | 'redis' | 'key'>,
    private readonly options: WhatsAppAdapterOptions,
  ) {
    this.logger = ctx.logger.child({ channel: CHANNEL });
    this.status = new StatusPublisher(ctx, this.logger);
    this.queue = new SendQueue({
      messagesPerSecond: options.messagesPerSecond,
      jitterMs: options.jitterMs ?? { min: 300, max: 1500 },
      maxQueued: options.maxQueued ?? 1000,
      maxWaitMs: options.maxWaitMs ?? 5 * 60_000,
      ...(options.random ? { random: options.random } : {}),
    });
  }

  async start(onInbound: InboundHandler): Promise<void> {
    if (!this.stopped) throw new Error('WhatsApp adapter already started');
    this.onInbound = onInbound;
    this.stopped = false;
    this.queue.reopen();
    this.platform ??= await this.options.loadPlatform();
    // Chromium and WhatsApp Web take seconds to minutes: the gateway does not wait for them.
    this.connect();
    const every = this.options.watchdogMs ?? 60_000;
    if (every > 0) this.watchdogTimer = setInterval(() => void this.checkAlive(), every);
  }

  /** PNG data URL of the QR to scan, while waiting for one. */
  latestQr(): string | undefined {
    return this.status.status.qrDataUrl;
  }

  /** Messages waiting to be sent. */
  get queued(): number {
    return this.queue.size;
  }

  health(): ChannelHealth {
    const { state } = this.status.status;
    return { ok: state === 'connected' && !this.stopped, state: this.stopped ? 'stopped' : state };
  }

  async send(chatId: string, message: OutboundMessage): Promise<SendResult> {
    if (!isSendableChatId(chatId))
      throw new ChannelSendError(
        'BAD_REQUEST',
        'not a WhatsApp chat of a person (<digits>@c.us or <digits>@lid)',
      );
    let call: WhatsAppCall;
    try {
      call = toWhatsAppCall(message);
    } catch (err) {
      throw toChannelSendError(err);
    }
    return this.queue.enqueue(() => this.deliver(chatId, call));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.connected = false;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.watchdogTimer);
    this.queue.stop();
    this.generation++;
    const client = this.client;
    this.client = undefined;
    if (client) await this.destroy(client);
    await this.previousClientGone;
    await this.status.publish('stopped');
  }

  private connect(): void {
    if (this.stopped || !this.platform) return;
    const generation = ++this.generation;
    const current = () => generation === this.generation && !this.stopped;
    let client: WhatsAppClient;
    try {
      client = this.platform.createClient();
    } catch (err) {
      this.connectionLost(`client not created: ${errorText(err)}`);
      return;
    }
    this.client = client;
    client.on('qr', (qr) => {
      if (current()) void this.showQr(qr, generation);
    });
    client.on('ready', () => {
      if (current()) this.becameReady();
    });
    client.on('message', (msg) => {
      if (current()) this.inboundChain = this.inboundChain.then(() => this.receive(msg, client));
    });
    client.on('disconnected', (reason) => {
      if (!current()) return;
      if (reason === 'LOGOUT')
        this.logger.error(
          'whatsapp: the business phone unlinked this device; scan the new QR to link it again',
        );
      this.connectionLost(`disconnected (${errorText(reason)})`);
    });
    client.on('auth_failure', (message) => {
      if (current()) this.connectionLost(`authentication failed (${errorText(message)})`);
    });
    void this.status.publish('starting');
    this.logger.info({ attempt: this.attempts }, 'whatsapp client initializing');
    client.initialize().then(
      // Replaced or stopped while starting: its browser may have launched after destroy().
      () => (current() ? undefined : this.destroy(client)),
      (err: unknown) => {
        if (current()) this.connectionLost(`initialize failed: ${errorText(err)}`);
      },
    );
  }

  private async showQr(qr: string, generation: number): Promise<void> {
    this.connected = false;
    this.queue.pause();
    try {
      (this.options.printQr ?? printQrInTerminal)(qr);
    } catch (err) {
      this.logger.warn({ err: { message: errorText(err) } }, 'whatsapp QR not printed');
    }
    let dataUrl: string | undefined;
    try {
      dataUrl = await QRCode.toDataURL(qr, { margin: 2, width: 320 });
    } catch (err) {
      this.logger.warn({ err: { message: errorText(err) } }, 'whatsapp QR image not rendered');
    }
    // Scanned (ready) or replaced while the image was drawn: this QR is stale.
    if (generation !== this.generation || this.connected || this.stopped) return;
    this.logger.info('whatsapp waiting for QR scan: see the terminal or /whatsapp/qr on the admin server');
    await this.status.publish('waiting for QR scan', dataUrl);
  }

  private becameReady(): void {
    this.connected = true;
    this.attempts = 0;
    void this.status.publish('connected');
    this.logger.info({ queued: this.queue.size }, 'whatsapp connected');
    this.queue.resume();
  }

  /** Drops the client and schedules a fresh one; waiting messages stay queued. */
  private connectionLost(why: string): void {
    this.connected = false;
    this.queue.pause();
    this.generation++;
    const old = this.client;
    this.client = undefined;
    // A new Chromium cannot open the profile while the old one holds it.
    if (old) this.previousClientGone = this.destroy(old);
    if (this.stopped) return;
    const delay = this.backoffMs();
    this.attempts++;
    this.logger.warn(
      { why, attempt: this.attempts, retryInMs: delay, queued: this.queue.size },
      'whatsapp connection lost',
    );
    void this.status.publish('reconnecting');
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      void this.previousClientGone.then(() => this.connect());
    }, delay);
  }

  private backoffMs(): number {
    const { min, max } = this.options.reconnectMs ?? { min: 2_000, max: 120_000 };
    const base = Math.min(max, min * 2 ** Math.min(this.attempts, 20));
    // ±25 %, so several gateways restarted together do not reconnect in step.
    return Math.round(base * (0.75 + 0.5 * (this.options.random ?? Math.random)()));
  }

  private async destroy(client: WhatsAppClient): Promise<void> {
    try {
      await withTimeout(client.destroy(), DESTROY_TIMEOUT_MS, 'destroy');
    } catch (err) {
      this.logger.debug({ err: { message: errorText(err) } }, 'whatsapp client destroy failed');
    }
  }

  /** WhatsApp Web can die without a 'disconnected' event (browser crash): ask it now and then. */
  private async checkAlive(): Promise<void> {
    const client = this.client;
    if (!client || !this.connected) return;
    const generation = this.generation;
    try {
      await withTimeout(client.getState(), 15_000, 'getState');
    } catch (err) {
      if (generation === this.generation && !this.stopped)
        this.connectionLost(`not responding: ${errorText(err)}`);
    }
  }

  private async receive(msg: WhatsAppIncomingMessage, client: WhatsAppClient): Promise<void> {
    try {
      const reason = ignoreReason(msg);
      if (reason) {
        this.logger.debug({ reason }, 'whatsapp message ignored');
        return;
      }
      const inbound = await toInboundMessage(msg, {
        phoneChatIdOf: async (lid) => {
          if (!client.getContactLidAndPhone) return undefined;
          const found = await withTimeout(client.getContactLidAndPhone([lid]), 10_000, 'lid lookup').catch(
            () => [],
          );
          return found.find((entry) => entry.lid === lid)?.pn || undefined;
        },
      });
      await this.onInbound?.(inbound);
    } catch (err) {
      this.logger.error({ err: { message: errorText(err) } }, 'whatsapp message handling failed');
    }
  }

  private async deliver(chatId: string, call: WhatsAppCall): Promise<SendResult> {
    const client = this.client;
    const platform = this.platform;
    if (!client || !platform || !this.connected)
      throw new ChannelSendError('UNAVAILABLE', 'WhatsApp session is not connected');
    try {
      const sent = await withTimeout(
        client.sendMessage(chatId, ...sendArguments(call, platform)),
        this.options.sendTimeoutMs ?? 60_000,
        'sendMessage',
      );
      if (!sent?.id?._serialized)
        throw new ChannelSendError(
          'BAD_REQUEST',
          'WhatsApp Web has no such chat (is the number on WhatsApp?)',
        );
      return { messageId: sent.id._serialized };
    } catch (err) {
      const error = toChannelSendError(err);
      this.logger.warn(
        { errorCode: error.code, err: { message: error.message }, kind: call.kind },
        'whatsapp send failed',
      );
      throw error;
    }
  }
}
