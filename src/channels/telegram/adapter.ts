import { Telegram, TelegramError } from 'telegraf';
import type { AppContext } from '../../app/context.js';
import type { Logger } from '../../logging/logger.js';
import type { ChannelDeps } from '../registry.js';
import {
  type ChannelAdapter,
  type ChannelHealth,
  ChannelSendError,
  type InboundHandler,
  type OutboundMessage,
  type SendResult,
} from '../types.js';
import { callSignal } from './api-signal.js';
import { decodeCallbackData, encodeCallbackData } from './callback-data.js';
import { registerCommands } from './commands.js';
import {
  OutboundConversionError,
  routeUpdate,
  type TelegramCall,
  telegramUpdateSchema,
  toTelegramCalls,
} from './convert.js';
import { errorMessage, toChannelSendError } from './errors.js';
import { defaultPollingOptions, type PollingOptions, UpdatePoller } from './polling.js';
import { telegramSettingsOf } from './settings.js';
import { groupRedirectText } from './texts.js';
import { WebhookQueueConsumer } from './webhook-queue.js';

export interface TelegramAdapterOptions {
  token: string;
  apiRoot: string;
  /** Webhook mode when set (the admin server receives, see webhook-route.ts); long polling otherwise. */
  webhookUrl?: string | undefined;
  webhookSecret?: string | undefined;
  /** For the "talk to me privately" link in groups; asked from getMe when absent. */
  botUsername?: string | undefined;
  /**
   * A group whose updates are passed on (as group messages with the sender's name) instead of
   * being answered with the "talk to me privately" link: the staff chat, which the gateway's
   * staff filter takes (src/staff/chat/). A press there is answered with the handler's answer.
   */
  staffChatId?: string | undefined;
  polling?: Partial<PollingOptions>;
  /** Wait between attempts to prepare the bot (getMe, setMyCommands…) while the Bot API is down. */
  setupRetryMs?: number;
  /** Per Bot API call (documents get four times as long). */
  requestTimeoutMs?: number;
  /** At most one "talk to me privately" reply per group in this many seconds. */
  groupRedirectIntervalSeconds?: number;
}

/** What the adapter reads: a logger; Redis and its key builder (callback data, webhook queue, group redirects). */
export type TelegramAdapterDeps = Pick<AppContext, 'logger' | 'redis' | 'key'>;

export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/**
 * Telegram over the Bot API. Receives by long polling (default) or through a webhook whose
 * updates the admin server queues in Redis; sends with telegraf's Telegram client. Conversion
 * lives in convert.ts; this class moves updates and messages and keeps the connection alive.
 * Sending needs no `start()`: a worker process can create an adapter just to send.
 */
export class TelegramAdapter implements ChannelAdapter {
  readonly name = 'telegram';
  /** telegraf's client. */
  readonly telegram: Telegram;
  private readonly logger: Logger;
  private onInbound: InboundHandler | undefined;
  private poller: UpdatePoller | undefined;
  private webhookConsumer: WebhookQueueConsumer | undefined;
  private setupTimer: NodeJS.Timeout | undefined;
  private setupRunning: Promise<void> | undefined;
  private ready = false;
  private stopped = true;
  /** Aborted by stop(): ends Bot API calls in flight during setup. */
  private lifetime = new AbortController();
  private setupProblem: string | undefined;
  private setupFailures = 0;
  private botUsername: string | undefined;
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly ctx: TelegramAdapterDeps,
    private readonly options: TelegramAdapterOptions,
  ) {
    if (options.webhookUrl && !options.webhookSecret)
      throw new Error('TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_WEBHOOK_URL is set');
    // A trailing slash keeps a path in the API root (a proxy's /telegram) when telegraf resolves URLs.
    const apiRoot = options.apiRoot.endsWith('/') ? options.apiRoot : `${options.apiRoot}/`;
    this.telegram = new Telegram(options.token, { apiRoot });
    this.logger = ctx.logger.child({ channel: 'telegram' });
    this.botUsername = options.botUsername;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  get mode(): 'webhook' | 'polling' {
    return this.options.webhookUrl ? 'webhook' : 'polling';
  }

  /**
   * Prepares the bot and begins receiving. Resolves after the first attempt whether or not the
   * Bot API answered: the process must come up while Telegram is unreachable, and setup is
   * retried in the background until it works.
   */
  async start(onInbound: InboundHandler): Promise<void> {
    this.onInbound = onInbound;
    this.stopped = false;
    this.lifetime = new AbortController();
    this.setupRunning = this.setupUntilReady();
    await this.setupRunning;
  }

  private async setupUntilReady(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.setup();
      if (this.stopped) return;
      this.ready = true;
      this.setupProblem = undefined;
      this.setupFailures = 0;
      this.beginReceiving();
    } catch (err) {
      if (this.stopped) return;
      const refused = err instanceof TelegramError && err.code === 401;
      this.setupProblem = refused ? 'token refused' : 'Bot API unreachable';
      this.setupFailures += 1;
      // The first failure and then every tenth: not a line every few seconds of an outage.
      if (this.setupFailures === 1 || this.setupFailures % 10 === 0) {
        if (refused)
          this.logger.error('telegram refused TELEGRAM_BOT_TOKEN (401): check the token from @BotFather');
        else
          this.logger.warn(
            { err: { message: errorMessage(err) }, failures: this.setupFailures },
            'telegram setup failed; retrying',
          );
      }
      this.setupTimer = setTimeout(() => {
        this.setupRunning = this.setupUntilReady();
      }, this.options.setupRetryMs ?? 5_000);
    }
  }

  private async setup(): Promise<void> {
    const signal = () => callSignal(this.requestTimeoutMs, this.lifetime.signal);
    if (!this.botUsername) this.botUsername = (await this.telegram.callApi('getMe', {}, signal())).username;
    if (this.options.webhookUrl) {
      await this.telegram.callApi(
        'setWebhook',
        {
          url: this.options.webhookUrl,
          ...(this.options.webhookSecret ? { secret_token: this.options.webhookSecret } : {}),
          allowed_updates: [...ALLOWED_UPDATES],
        },
        signal(),
      );
    } else {
      // Polling and a webhook exclude each other; keep pending updates: they are customers.
      await this.telegram.callApi('deleteWebhook', { drop_pending_updates: false }, signal());
    }
    await registerCommands(this.telegram, signal);
  }

  private beginReceiving(): void {
    const retry = {
      maxHandlerAttempts:
        this.options.polling?.maxHandlerAttempts ?? defaultPollingOptions.maxHandlerAttempts,
      minBackoffMs: this.options.polling?.minBackoffMs ?? defaultPollingOptions.minBackoffMs,
      maxBackoffMs: this.options.polling?.maxBackoffMs ?? defaultPollingOptions.maxBackoffMs,
      concurrency: this.options.polling?.concurrency ?? defaultPollingOptions.concurrency,
    };
    if (this.mode === 'webhook') {
      this.webhookConsumer = new WebhookQueueConsumer(
        this.ctx,
        (u) => this.handleUpdate(u),
        this.logger,
        retry,
      );
      this.webhookConsumer.start();
      this.logger.info('telegram webhook mode: consuming queued updates');
      return;
    }
    this.poller = new UpdatePoller(this.telegram, (u) => this.handleUpdate(u), this.logger, {
      ...defaultPollingOptions,
      ...this.options.polling,
      allowedUpdates: [...ALLOWED_UPDATES],
    });
    this.poller.start();
    this.logger.info('telegram long polling started');
  }

  /**
   * One update, whichever way it came. Throws when the handler failed, so
   * the caller tries it again; what only concerns Telegram (answering a button, the group
   * redirect) never throws.
   */
  async handleUpdate(raw: unknown): Promise<void> {
    const parsed = telegramUpdateSchema.safeParse(raw);
    if (!parsed.success) {
      this.logger.warn({ issues: parsed.error.issues.length }, 'telegram update ignored: unexpected shape');
      return;
    }
    const route = routeUpdate(parsed.data, { staffChatId: this.options.staffChatId });
    switch (route.kind) {
      case 'inbound': {
        // Stop the button's spinner at once; what the press meant (or that the menu expired)
        // is the engine's answer, sent as a message.
        if (route.callbackQueryId) await this.answerCallback(route.callbackQueryId);
        const message = route.message;
        if (message.action) message.action.value = await decodeCallbackData(this.ctx, message.action.value);
        if (!this.onInbound) throw new Error('telegram adapter not started');
        await this.onInbound(message);
        return;
      }
      case 'staff': {
        // Answered after the handler ran: staff see on the button what their press did.
        const message = route.message;
        if (message.action) message.action.value = await decodeCallbackData(this.ctx, message.action.value);
        if (!this.onInbound) throw new Error('telegram adapter not started');
        const ack = await this.onInbound(message);
        if (route.callbackQueryId)
          await this.answerCallback(route.callbackQueryId, ack ? ack.buttonAnswer : undefined);
        return;
      }
      case 'group':
        if (route.callbackQueryId) await this.answerCallback(route.callbackQueryId);
        else await this.redirectGroup(route.chatId);
        return;
      case 'ignore':
        if (route.callbackQueryId) await this.answerCallback(route.callbackQueryId);
        return;
    }
  }

  private async answerCallback(callbackQueryId: string, text?: string): Promise<void> {
    try {
      await this.telegram.callApi(
        'answerCallbackQuery',
        { callback_query_id: callbackQueryId, ...(text ? { text: text.slice(0, 200) } : {}) },
        callSignal(5_000),
      );
    } catch (err) {
      // Answered already (a redelivered update) or too old: the press is still handled.
      this.logger.debug({ err: { message: errorMessage(err) } }, 'answerCallbackQuery failed');
    }
  }

  /** Customers are served in private chats only; a group gets a link, at most once per interval. */
  private async redirectGroup(chatId: string): Promise<void> {
    try {
      const interval = this.options.groupRedirectIntervalSeconds ?? 600;
      const first = await this.ctx.redis.set(
        this.ctx.key('telegram', 'group-redirect', chatId),
        '1',
        'EX',
        interval,
        'NX',
      );
      if (first !== 'OK') return;
      await this.telegram.callApi(
        'sendMessage',
        { chat_id: chatId, text: groupRedirectText(this.botUsername) },
        callSignal(this.requestTimeoutMs),
      );
    } catch (err) {
      this.logger.warn({ err: { message: errorMessage(err) } }, 'telegram group redirect failed');
    }
  }

  async send(chatId: string, message: OutboundMessage): Promise<SendResult> {
    let calls: TelegramCall[];
    try {
      calls = toTelegramCalls(await this.withCallbackData(message));
    } catch (err) {
      if (err instanceof OutboundConversionError) throw new ChannelSendError('BAD_REQUEST', err.message);
      throw toChannelSendError(err);
    }
    let messageId: string | undefined;
    for (const call of calls) {
      try {
        const sent = await this.execute(chatId, call);
        messageId = String(sent.message_id);
      } catch (err) {
        throw toChannelSendError(err);
      }
    }
    return messageId ? { messageId } : {};
  }

  /** Button values that do not fit Telegram's 64 bytes become short references (callback-data.ts). */
  private async withCallbackData(message: OutboundMessage): Promise<OutboundMessage> {
    if (message.kind !== 'buttons') return message;
    const buttons = await Promise.all(
      message.buttons.map(async (b) => ({
        label: b.label,
        value: await encodeCallbackData(this.ctx, b.value),
      })),
    );
    return { ...message, buttons };
  }

  private execute(chatId: string, call: TelegramCall): Promise<{ message_id: number }> {
    if (call.method === 'sendMessage') {
      return this.telegram.callApi(
        'sendMessage',
        {
          chat_id: chatId,
          text: call.text,
          ...(call.replyMarkup ? { reply_markup: call.replyMarkup } : {}),
          ...(call.replyParameters ? { reply_parameters: call.replyParameters } : {}),
          ...(call.entities ? { entities: call.entities } : {}),
        },
        callSignal(this.requestTimeoutMs),
      );
    }
    if (call.method === 'editMessageText') return this.edit(chatId, call);
    return this.telegram.callApi(
      'sendDocument',
      {
        chat_id: chatId,
        document: { source: call.content, filename: call.fileName },
        ...(call.caption ? { caption: call.caption } : {}),
      },
      callSignal(this.requestTimeoutMs * 4),
    );
  }

  /**
   * editMessageText answers 400 "message is not modified" when the text and keyboard are the
   * same as the message's: what we wanted is there already, so that is a success.
   */
  private async edit(
    chatId: string,
    call: Extract<TelegramCall, { method: 'editMessageText' }>,
  ): Promise<{ message_id: number }> {
    try {
      await this.telegram.callApi(
        'editMessageText',
        {
          chat_id: chatId,
          message_id: call.messageId,
          text: call.text,
          ...(call.replyMarkup ? { reply_markup: call.replyMarkup } : {}),
        },
        callSignal(this.requestTimeoutMs),
      );
    } catch (err) {
      if (!/message is not modified/i.test(errorMessage(err))) throw err;
    }
    return { message_id: call.messageId };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.lifetime.abort();
    if (this.setupTimer) clearTimeout(this.setupTimer);
    await this.setupRunning;
    await Promise.all([this.poller?.stop(), this.webhookConsumer?.stop()]);
    this.poller = undefined;
    this.webhookConsumer = undefined;
    this.ready = false;
  }

  health(): ChannelHealth {
    if (this.stopped) return { ok: false, state: 'stopped' };
    if (!this.ready)
      return { ok: false, state: this.setupProblem ? `down: ${this.setupProblem}` : 'starting' };
    if (this.mode === 'webhook') return { ok: true, state: 'webhook' };
    const state = this.poller?.status ?? 'starting';
    return { ok: state === 'polling', state: state === 'down' ? 'down: Bot API unreachable' : state };
  }
}

export function createTelegramAdapter(
  ctx: ChannelDeps,
  extra: Partial<TelegramAdapterOptions> = {},
): TelegramAdapter {
  const t = telegramSettingsOf(ctx.config);
  const token = extra.token ?? t.token;
  if (!token) throw new Error('TELEGRAM_BOT_TOKEN is not set');
  return new TelegramAdapter(ctx, {
    apiRoot: t.apiRoot,
    webhookUrl: t.webhookUrl,
    webhookSecret: t.webhookSecret,
    botUsername: t.botUsername,
    staffChatId: t.staffChatId,
    ...extra,
    token,
  });
}
