import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fake Telegram Bot API server for tests, on 127.0.0.1 (random port). It behaves like the
 * real one where the bot can tell the difference, and lets a test play the customer.
 *
 *   const fake = await FakeTelegramBotApi.start();
 *   // app config: TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_ROOT=fake.apiRoot (or `fake.env`)
 *   fake.userSends(5001, 'akses');                       // a customer types in their private chat
 *   const reply = await fake.waitForMessage(5001, (m) => m.text?.includes('Kode') ?? false);
 *   fake.pressButton(5001, { label: 'Ya' });            // presses a button the bot sent
 *   fake.shareContact(5001, '6281287611943');           // shares their own contact card
 *   fake.shareContact(5001, '628111', { contactUserId: 999 }); // someone else's card
 *   fake.messagesTo(5001);                              // everything the bot sent there, in order
 *   await fake.close();
 *
 * Behaviour, each as the Bot API documentation (https://core.telegram.org/bots/api) states it;
 * the comment beside each piece of code quotes or names the documented behaviour, and
 * test/integration/fake-telegram-contract.test.ts checks every one:
 * - `message_id` is numbered per chat ("Unique message identifier inside this chat"): every new
 *   chat starts at 1, and the customer's and the bot's messages share the chat's sequence.
 * - `update_id` increases by one per update ("Update identifiers start from a certain positive
 *   number and increase sequentially"); `firstUpdateId` picks the start.
 * - Every call is recorded in `calls` (method, params from JSON or multipart, uploaded files,
 *   the status answered and the result), failed ones too.
 * - `getUpdates` long-polls (its `timeout`, capped at `maxPollSeconds`), forgets updates below
 *   `offset` ("confirmed as soon as getUpdates is called with an offset higher than its
 *   update_id"), answers 409 while a webhook is set, and ends an older getUpdates still waiting
 *   with 409 when a new one arrives (two bots on one token).
 * - After `setWebhook`, updates are POSTed to its URL with the X-Telegram-Bot-Api-Secret-Token
 *   header, in order, retried a few times on failure (see `webhookDeliveries`).
 * - sendMessage/sendDocument check what Telegram checks (empty or > 4096-character text,
 *   callback data > 64 bytes, caption > 1024, missing document, a chat the bot does not know)
 *   and answer 400 like it; an upload over 50 MB gets the 413 Telegram's front end answers.
 * - editMessageText/editMessageReplyMarkup: 400 "message to edit not found" for a message the
 *   bot did not send in that chat, 400 "message is not modified" when nothing would change.
 * - Failures on demand: `rateLimit` (429 + parameters.retry_after, then a flood window: see
 *   below), `failFor` (503), `goOffline` (connection refused), `userBlocksBot` (403 "Forbidden:
 *   bot was blocked by the user").
 * - Flood control is the bot's: once a 429 gave `retry_after` N, every call of the bot (of the
 *   rate-limited method, when `rateLimit` named one), to any chat, answers 429 with the seconds
 *   left until the N seconds have passed. ResponseParameters.retry_after is "the number of seconds
 *   left to wait before the request can be repeated"; the Bot FAQ ("My bot is hitting limits, how
 *   do I avoid this?") gives a limit per bot (about 30 messages a second to different chats)
 *   beside the per-chat and per-group ones, and a 429 does not say which one it is, so the fake
 *   plays the bot-wide one (what python-telegram-bot's rate limiter assumes too: a RetryAfter
 *   halts all its requests).
 *
 * A chat is known to the bot once its user wrote (private chat) or, for a group, once someone
 * wrote there or the test said the bot is a member (`botJoinsGroup`, `knownChats`): sending
 * anywhere else is Telegram's 400 "chat not found". In a private chat Telegram's chat id equals
 * the user id; the helpers follow that. Group and supergroup ids are negative.
 */

export interface UploadedFile {
  /** Multipart field name ('document'). */
  field: string;
  fileName: string;
  size: number;
  mimeType?: string;
  content: Buffer;
}

export interface FakeCall {
  method: string;
  /** JSON body, or the multipart/urlencoded fields (JSON-looking values parsed: reply_markup…). */
  params: Record<string, unknown>;
  /** Files of a multipart call (sendDocument). */
  files: UploadedFile[];
  /** When the call arrived (ms epoch). */
  at: number;
  /** What the fake answered: 200, 400, 401, 403, 409, 429, 503… */
  status: number;
  /** The `result` of a successful send (message_id, chat, date…). */
  result?: { message_id: number } & Record<string, unknown>;
}

/** One message the bot sent (sendMessage or sendDocument), easier to assert on than a call. */
export interface SentMessage {
  method: 'sendMessage' | 'sendDocument';
  chatId: string;
  messageId: number;
  text?: string;
  caption?: string;
  /** Inline keyboard buttons, flattened. */
  buttons: { text: string; data: string }[];
  /** A reply keyboard asking for the user's phone (request_contact). */
  contactRequest?: { label: string };
  /** `reply_markup.remove_keyboard` was set. */
  removesKeyboard: boolean;
  document?: UploadedFile;
  call: FakeCall;
}

export interface UserOptions {
  firstName?: string;
  username?: string;
  /** The user's Telegram language ('id', 'en'…), seen by the bot as `from.language_code`. */
  languageCode?: string;
}

export interface WebhookDelivery {
  updateId: number;
  attempt: number;
  /** HTTP status, or 0 when the connection failed. */
  status: number;
}

export interface FakeTelegramOptions {
  /** Default `123456:fake-token-for-tests-abcdefghij`. */
  token?: string;
  /** Default `HakdataTestBot`. */
  botUsername?: string;
  /** Cap on a getUpdates long poll, so tests never wait the client's full timeout. Default 2. */
  maxPollSeconds?: number;
  /**
   * Chats (and groups the bot is a member of) the bot may send to before anyone wrote there, or a
   * rule for them (e.g. every private chat, for tests that link thousands of verified chats).
   */
  knownChats?: (number | string)[] | ((chatId: string) => boolean);
  /** The first `update_id` (Telegram starts "from a certain positive number"). Default 1. */
  firstUpdateId?: number;
}

type Update = Record<string, unknown> & { update_id: number };
type PollOutcome = 'ready' | 'conflict' | 'gone';

interface Poller {
  wake: (outcome: PollOutcome) => void;
}

/** sendMessage `text`: "1-4096 characters after entities parsing". */
const MAX_TEXT = 4096;
/** sendDocument `caption`: "0-1024 characters after entities parsing". */
const MAX_CAPTION = 1024;
/** InlineKeyboardButton `callback_data`: "1-64 bytes". */
const MAX_CALLBACK_BYTES = 64;
/** sendDocument: "Bots can currently send files of any type of up to 50 MB in size". */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** What Telegram's front end (nginx) answers a request body over the limit: HTML, not JSON. */
const TOO_LARGE_HTML =
  '<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

export class FakeTelegramBotApi {
  readonly token: string;
  readonly botUsername: string;
  readonly botId: number;
  /** Every call the bot made, in arrival order. */
  readonly calls: FakeCall[] = [];
  /** Every webhook POST attempt (webhook mode). */
  readonly webhookDeliveries: WebhookDelivery[] = [];
  private readonly updates: Update[] = [];
  private nextUpdateId: number;
  /** Last message_id used in each chat: Telegram numbers messages per chat. */
  private readonly lastMessageId = new Map<string, number>();
  /** Text and markup of every message the bot sent, by `<chat>:<message_id>` (for edits). */
  private readonly botMessages = new Map<string, { text?: string; markup: string }>();
  /** Chats the bot may send to: users who wrote to it, groups it is a member of. */
  private readonly knownChats = new Set<string>();
  private knownChatRule: (chatId: string) => boolean = () => false;
  private nextCallbackId = 1;
  private pollers: Poller[] = [];
  private callWaiters: (() => void)[] = [];
  private readonly sockets = new Set<Socket>();
  /** Armed by `rateLimit`: the next matching call outside a flood window opens one. */
  private rateLimits: { method: string | undefined; retryAfter: number; remaining: number }[] = [];
  /** Open flood windows: every matching call before `until` (ms epoch) answers 429. */
  private floodWindows: { method: string | undefined; until: number }[] = [];
  private readonly blocked = new Set<string>();
  private downUntil = 0;
  private offlineTimer: NodeJS.Timeout | undefined;
  private port = 0;
  private readonly maxPollMs: number;
  private webhook: { url: string; secret?: string } | undefined;
  private webhookChain: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private server: Server,
    options: FakeTelegramOptions,
  ) {
    this.token = options.token ?? '123456:fake-token-for-tests-abcdefghij';
    this.botUsername = options.botUsername ?? 'HakdataTestBot';
    this.botId = Number(this.token.split(':')[0]);
    this.maxPollMs = (options.maxPollSeconds ?? 2) * 1000;
    this.nextUpdateId = options.firstUpdateId ?? 1;
    if (typeof options.knownChats === 'function') this.knownChatRule = options.knownChats;
    else for (const chat of options.knownChats ?? []) this.knownChats.add(String(chat));
  }

  static async start(options: FakeTelegramOptions = {}): Promise<FakeTelegramBotApi> {
    const fake = new FakeTelegramBotApi(createServer(), options);
    await fake.listen(0);
    return fake;
  }

  /** For TELEGRAM_API_ROOT. */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Environment entries pointing a config at this fake. */
  get env(): Record<string, string> {
    return { TELEGRAM_BOT_TOKEN: this.token, TELEGRAM_API_ROOT: this.apiRoot };
  }

  /** Number of calls so far: pass as `after` to only look at calls made from now on. */
  get callCount(): number {
    return this.calls.length;
  }

  /** The webhook the bot set (`setWebhook`), if any. */
  get webhookInfo(): { url: string; secret?: string } | undefined {
    return this.webhook;
  }

  // ---- playing the customer ----------------------------------------------------------------

  /** Queues any update (or delivers it to the webhook); `update_id` is assigned. */
  injectUpdate(update: Record<string, unknown>): Update {
    // "Update identifiers start from a certain positive number and increase sequentially."
    const full = { ...update, update_id: this.nextUpdateId++ };
    // Whoever writes in a chat (or presses a button there) makes it a chat the bot can answer.
    const message = (update.message ?? (update.callback_query as { message?: unknown })?.message) as
      | { chat?: { id?: unknown } }
      | undefined;
    if (message?.chat?.id !== undefined) this.knownChats.add(String(message.chat.id));
    this.updates.push(full);
    if (this.webhook) this.deliverToWebhook(full);
    else this.wakePollers('ready');
    return full;
  }

  /** A user types `text` in their private chat with the bot. Returns the message id. */
  userSends(userId: number, text: string, options: UserOptions & { replyTo?: number } = {}): number {
    const message = this.privateMessage(userId, options);
    message.text = text;
    if (text.startsWith('/')) {
      const length = text.split(/\s/)[0]?.length ?? text.length;
      message.entities = [{ type: 'bot_command', offset: 0, length }];
    }
    if (options.replyTo !== undefined)
      message.reply_to_message = {
        message_id: options.replyTo,
        chat: message.chat,
        date: nowSeconds(),
        text: '',
      };
    this.injectUpdate({ message });
    return message.message_id as number;
  }

  /**
   * A user presses an inline button. Give `data` (and `messageId`) directly, or a `label`: the
   * button is then looked up in the latest message with inline buttons the bot sent to the
   * chat (the user's private chat, or `chatId` for a group such as the staff chat).
   * Returns the callback query id (to find the matching answerCallbackQuery).
   */
  pressButton(
    userId: number,
    button: { data?: string; label?: string; messageId?: number; chatId?: number },
    options: UserOptions = {},
  ): string {
    const chatId = button.chatId ?? userId;
    let data = button.data;
    let messageId = button.messageId;
    if (data === undefined) {
      const matches = (m: SentMessage) =>
        m.buttons.some((b) => button.label === undefined || b.text === button.label);
      const sent = [...this.messagesTo(chatId)].reverse().find(matches);
      const found = sent?.buttons.find((b) => button.label === undefined || b.text === button.label);
      if (!sent || !found) {
        const labels = this.messagesTo(chatId).flatMap((m) => m.buttons.map((b) => b.text));
        throw new Error(
          `no inline button "${button.label ?? '(any)'}" sent to ${chatId}; buttons seen: ${labels.join(', ')}`,
        );
      }
      data = found.data;
      messageId ??= sent.messageId;
    }
    // A callback query id is "Unique identifier for this query": global, unlike message ids.
    const id = `${this.botId}${String(this.nextCallbackId++).padStart(6, '0')}`;
    this.injectUpdate({
      callback_query: {
        id,
        from: this.user(userId, options),
        chat_instance: String(chatId),
        data,
        message: {
          message_id: messageId ?? this.lastMessageId.get(String(chatId)) ?? 1,
          chat: this.chat(chatId),
          date: nowSeconds(),
          text: '',
        },
      },
    });
    return id;
  }

  /**
   * A user shares a contact card with the request_contact button: by default their own
   * (`contact.user_id` = their id). `contactUserId` makes it someone else's card; `null` a card
   * without a Telegram user (typed-in contact). Phone as Telegram sends it: digits, no plus.
   */
  shareContact(
    userId: number,
    phone: string,
    options: UserOptions & { contactUserId?: number | null } = {},
  ): number {
    const message = this.privateMessage(userId, options);
    const contact: Record<string, unknown> = { phone_number: phone, first_name: options.firstName ?? 'Test' };
    if (options.contactUserId !== null) contact.user_id = options.contactUserId ?? userId;
    message.contact = contact;
    this.injectUpdate({ message });
    return message.message_id as number;
  }

  /** A user writes in a group (negative id; e.g. the staff chat) where the bot is a member. */
  groupSends(groupChatId: number, userId: number, text: string, options: UserOptions = {}): number {
    const message_id = this.nextMessageIdIn(groupChatId);
    this.injectUpdate({
      message: {
        message_id,
        from: this.user(userId, options),
        chat: this.chat(groupChatId),
        date: nowSeconds(),
        text,
      },
    });
    return message_id;
  }

  /** The bot is (or was made) a member of a group: it may send there before anyone writes. */
  botJoinsGroup(groupChatId: number | string): void {
    this.knownChats.add(String(groupChatId));
  }

  /** A user opened the bot (pressed Start) without writing yet: the bot may write to them. */
  userStartsBot(userId: number | string): void {
    this.knownChats.add(String(userId));
  }

  /** Whether the bot may send to this chat (someone wrote there, or the test said it may). */
  knowsChat(chatId: number | string): boolean {
    return this.knownChats.has(String(chatId)) || this.knownChatRule(String(chatId));
  }

  /** The message_id the next message in this chat will get (Telegram numbers per chat from 1). */
  nextMessageIdFor(chatId: number | string): number {
    return (this.lastMessageId.get(String(chatId)) ?? 0) + 1;
  }

  /** Updates queued and not yet confirmed by a getUpdates offset (or delivered to the webhook). */
  get pendingUpdates(): number {
    return this.updates.length;
  }

  // ---- failures ----------------------------------------------------------------------------

  /**
   * The next call (of `method`, or of any method) answers 429 with `retry_after` seconds and opens
   * a flood window: every such call of the bot, whatever its chat, answers 429 (with the seconds
   * left) until they have passed. `times` windows, one after the other: the first call after one
   * passed opens the next. Default 1.
   */
  rateLimit(retryAfterSeconds: number, options: { method?: string; times?: number } = {}): void {
    this.rateLimits.push({
      method: options.method,
      retryAfter: retryAfterSeconds,
      remaining: options.times ?? 1,
    });
  }

  /** Every call answers 503 for `ms` milliseconds (or until `recover()`). */
  failFor(ms = Number.POSITIVE_INFINITY): void {
    this.downUntil = Date.now() + ms;
    this.wakePollers('ready');
  }

  /**
   * Stops listening: open connections are cut and new ones refused (ECONNREFUSED), for `ms`
   * milliseconds when given, else until `recover()`.
   */
  async goOffline(ms?: number): Promise<void> {
    this.wakePollers('gone');
    for (const s of this.sockets) s.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (ms !== undefined) this.offlineTimer = setTimeout(() => void this.recover(), ms);
  }

  /** Ends 503 mode, pending rate limits and open flood windows, and listens again (same port) if offline. */
  async recover(): Promise<void> {
    clearTimeout(this.offlineTimer);
    this.downUntil = 0;
    this.rateLimits = [];
    this.floodWindows = [];
    if (!this.server.listening && !this.closed) {
      this.server = createServer();
      await this.listen(this.port);
    }
  }

  /** Sends to this chat answer 403 "bot was blocked by the user" (until `userUnblocksBot`). */
  userBlocksBot(chatId: number | string): void {
    // Only a user who had a chat with the bot can block it: the chat exists, sends get 403.
    this.knownChats.add(String(chatId));
    this.blocked.add(String(chatId));
  }

  userUnblocksBot(chatId: number | string): void {
    this.blocked.delete(String(chatId));
  }

  // ---- assertions --------------------------------------------------------------------------

  /** Successful calls of a method. */
  callsOf(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method && c.status === 200);
  }

  /** Messages the bot sent successfully to a chat (sendMessage, sendDocument), in order. */
  messagesTo(chatId: number | string, options: { after?: number } = {}): SentMessage[] {
    return this.calls
      .slice(options.after ?? 0)
      .filter(
        (c) =>
          c.status === 200 &&
          (c.method === 'sendMessage' || c.method === 'sendDocument') &&
          String(c.params.chat_id) === String(chatId),
      )
      .map(toSentMessage);
  }

  /** Texts the bot sent to a chat, in order; a document shows as `[document name] caption`. */
  textsTo(chatId: number | string, options: { after?: number } = {}): string[] {
    return this.messagesTo(chatId, options).map((m) =>
      m.document ? `[document ${m.document.fileName}]${m.caption ? ` ${m.caption}` : ''}` : (m.text ?? ''),
    );
  }

  /** The commands last set for a language (`undefined`: the default list). */
  commands(languageCode?: string): { command: string; description: string }[] | undefined {
    const call = this.callsOf('setMyCommands')
      .filter((c) => c.params.language_code === languageCode)
      .at(-1);
    return call?.params.commands as { command: string; description: string }[] | undefined;
  }

  /**
   * Resolves with the first call of `method` (made already, or from now on within the timeout,
   * default 10 s) that matches. Options: `after` only looks at calls from that index (see
   * `callCount`); `status` is the answer the call got (default 200: successful calls only).
   */
  async waitForCall(
    method: string,
    predicate: (call: FakeCall) => boolean = () => true,
    timeoutOrOptions: number | { timeoutMs?: number; after?: number; status?: number } = {},
  ): Promise<FakeCall> {
    const options = typeof timeoutOrOptions === 'number' ? { timeoutMs: timeoutOrOptions } : timeoutOrOptions;
    const from = options.after ?? 0;
    const status = options.status ?? 200;
    return this.waitFor(
      () => this.calls.slice(from).find((c) => c.method === method && c.status === status && predicate(c)),
      options.timeoutMs ?? 10_000,
      () => `timed out waiting for ${method} answered ${status}; calls so far: ${this.describeCalls()}`,
    );
  }

  /** Resolves with the first message to the chat (from `after`) that matches. */
  async waitForMessage(
    chatId: number | string,
    predicate: (message: SentMessage) => boolean = () => true,
    options: { after?: number; timeoutMs?: number } = {},
  ): Promise<SentMessage> {
    return this.waitFor(
      () => this.messagesTo(chatId, options).find(predicate),
      options.timeoutMs ?? 10_000,
      () =>
        `timed out waiting for a message to ${chatId}; it got: ${JSON.stringify(this.textsTo(chatId, options))}`,
    );
  }

  /** Resolves once `count` messages reached the chat (from `after`); returns them all. */
  async waitForMessages(
    chatId: number | string,
    count: number,
    options: { after?: number; timeoutMs?: number } = {},
  ): Promise<SentMessage[]> {
    return this.waitFor(
      () => {
        const sent = this.messagesTo(chatId, options);
        return sent.length >= count ? sent : undefined;
      },
      options.timeoutMs ?? 10_000,
      () =>
        `chat ${chatId} got fewer than ${count} messages: ${JSON.stringify(this.textsTo(chatId, options))}`,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.offlineTimer);
    this.wakePollers('gone');
    for (const s of this.sockets) s.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- the server --------------------------------------------------------------------------

  private async waitFor<T>(find: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(describe());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.callWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private describeCalls(): string {
    return this.calls.map((c) => `${c.method}→${c.status}`).join(', ');
  }

  private async listen(port: number): Promise<void> {
    this.server.on('request', (req, res) => {
      this.handle(req, res).catch((err: Error) => {
        if (!res.headersSent) reply(res, 500, { ok: false, error_code: 500, description: err.message });
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  private wakePollers(outcome: PollOutcome) {
    for (const poller of this.pollers.splice(0)) poller.wake(outcome);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const body = await readBody(req);
    if (!match) return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method = ''] = match;
    if (body.length > MAX_UPLOAD_BYTES) {
      // "up to 50 MB": a bigger upload never reaches the Bot API; the front end answers 413 in HTML.
      this.calls.push({ method, params: {}, files: [], at: Date.now(), status: 413 });
      for (const w of this.callWaiters.splice(0)) w();
      res.writeHead(413, { 'content-type': 'text/html' });
      res.end(TOO_LARGE_HTML);
      return;
    }
    const { params, files } = parseParams(req.headers['content-type'] ?? '', body);
    for (const [k, v] of url.searchParams) params[k] ??= parseValue(k, v);
    delete params.method; // telegraf repeats the method as a multipart field
    const call: FakeCall = { method, params, files, at: Date.now(), status: 200 };
    const finish = (status: number, payload: Record<string, unknown>) => {
      call.status = status;
      this.calls.push(call);
      for (const w of this.callWaiters.splice(0)) w();
      reply(res, status, payload);
    };
    const fail = (status: number, description: string, extra: Record<string, unknown> = {}) =>
      finish(status, { ok: false, error_code: status, description, ...extra });

    if (token !== this.token) return fail(401, 'Unauthorized');
    if (Date.now() < this.downUntil) return fail(503, 'Service Unavailable');
    // Flood control: 429 "Too Many Requests: retry after N" with ResponseParameters.retry_after,
    // "the number of seconds left to wait before the request can be repeated". The wait is the
    // bot's (see the header): any chat's call before it passed is refused too, with what is left.
    const now = Date.now();
    const matches = (r: { method: string | undefined }) => r.method === undefined || r.method === method;
    this.floodWindows = this.floodWindows.filter((w) => w.until > now);
    const window = this.floodWindows.find(matches);
    if (window) {
      const left = Math.ceil((window.until - now) / 1000);
      return fail(429, `Too Many Requests: retry after ${left}`, { parameters: { retry_after: left } });
    }
    const limit = this.rateLimits.find((r) => r.remaining > 0 && matches(r));
    if (limit) {
      limit.remaining -= 1;
      this.rateLimits = this.rateLimits.filter((r) => r.remaining > 0);
      this.floodWindows.push({ method: limit.method, until: now + limit.retryAfter * 1000 });
      return fail(429, `Too Many Requests: retry after ${limit.retryAfter}`, {
        parameters: { retry_after: limit.retryAfter },
      });
    }

    switch (method) {
      case 'getMe':
        return finish(200, {
          ok: true,
          result: {
            id: this.botId,
            is_bot: true,
            first_name: 'Hakdata Test',
            username: this.botUsername,
            can_join_groups: true,
            can_read_all_group_messages: false,
            supports_inline_queries: false,
          },
        });
      case 'getUpdates': {
        // getUpdates: "This method will not work if an outgoing webhook is set up."
        if (this.webhook) return fail(409, "Conflict: can't use getUpdates method while webhook is active");
        const outcome = await this.waitForUpdates(params, res);
        // One long poll per bot: a second getUpdates ends the first with 409 Conflict.
        if (outcome === 'conflict')
          return fail(
            409,
            'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
          );
        if (outcome === 'gone') return;
        return finish(200, { ok: true, result: this.updates.slice(0, Number(params.limit ?? 100)) });
      }
      case 'setWebhook': {
        if (typeof params.url !== 'string' || params.url === '')
          return fail(400, 'Bad Request: bad webhook: URL is empty');
        const secret = typeof params.secret_token === 'string' ? params.secret_token : undefined;
        this.webhook = { url: params.url, ...(secret ? { secret } : {}) };
        this.wakePollers('conflict');
        for (const update of this.updates) this.deliverToWebhook(update);
        return finish(200, { ok: true, result: true, description: 'Webhook was set' });
      }
      case 'deleteWebhook':
        this.webhook = undefined;
        if (params.drop_pending_updates === true || params.drop_pending_updates === 'true')
          this.updates.length = 0;
        return finish(200, { ok: true, result: true });
      case 'setMyCommands':
      case 'deleteMyCommands':
      case 'answerCallbackQuery':
      case 'sendChatAction':
      case 'deleteMessage':
        return finish(200, { ok: true, result: true });
      case 'sendMessage':
      case 'sendDocument':
      case 'editMessageText':
      case 'editMessageReplyMarkup': {
        const problem = this.checkSend(method, params, files);
        if (problem) return fail(problem.status, problem.description);
        const chatId = String(params.chat_id);
        const editing = method.startsWith('edit');
        const messageId = editing ? Number(params.message_id) : this.nextMessageIdIn(chatId);
        const stored = this.botMessages.get(`${chatId}:${messageId}`);
        const text = typeof params.text === 'string' ? params.text : stored?.text;
        const markup = JSON.stringify(params.reply_markup ?? null);
        this.botMessages.set(`${chatId}:${messageId}`, { ...(text !== undefined ? { text } : {}), markup });
        const result: FakeCall['result'] = {
          message_id: messageId,
          chat: this.chat(Number(chatId)),
          date: nowSeconds(),
          ...(params.text !== undefined ? { text: params.text } : {}),
          ...(params.caption !== undefined ? { caption: params.caption } : {}),
        };
        const file = files[0];
        if (file)
          result.document = { file_name: file.fileName, file_size: file.size, mime_type: file.mimeType };
        call.result = result;
        return finish(200, { ok: true, result });
      }
      default:
        return fail(404, 'Not Found');
    }
  }

  /** Telegram's checks that a bot can trip over. */
  private checkSend(
    method: string,
    params: Record<string, unknown>,
    files: UploadedFile[],
  ): { status: number; description: string } | undefined {
    const chatId = params.chat_id;
    if (chatId === undefined || chatId === '')
      return { status: 400, description: 'Bad Request: chat_id is empty' };
    // A chat that does not exist, or one the bot never talked in: "Bad Request: chat not found".
    if (!/^-?\d+$/.test(String(chatId)) || !this.knowsChat(String(chatId)))
      return { status: 400, description: 'Bad Request: chat not found' };
    // A user who blocked the bot: 403 "Forbidden: bot was blocked by the user", on every send.
    if (this.blocked.has(String(chatId)))
      return { status: 403, description: 'Forbidden: bot was blocked by the user' };
    if (method.startsWith('edit')) {
      // Only the bot's own messages in that chat can be edited; an unknown id is not found.
      const current = this.botMessages.get(`${chatId}:${Number(params.message_id)}`);
      if (!current) return { status: 400, description: 'Bad Request: message to edit not found' };
      const text = method === 'editMessageText' ? params.text : current.text;
      if (text === current.text && JSON.stringify(params.reply_markup ?? null) === current.markup)
        return {
          status: 400,
          description:
            'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
        };
    }
    if (method === 'sendMessage' || method === 'editMessageText') {
      const text = typeof params.text === 'string' ? params.text : '';
      if (text.trim() === '') return { status: 400, description: 'Bad Request: message text is empty' };
      if (text.length > MAX_TEXT) return { status: 400, description: 'Bad Request: message is too long' };
    }
    if (method === 'sendDocument') {
      if (files.length === 0 && typeof params.document !== 'string')
        return { status: 400, description: 'Bad Request: there is no document in the request' };
      if (typeof params.caption === 'string' && params.caption.length > MAX_CAPTION)
        return { status: 400, description: 'Bad Request: message caption is too long' };
    }
    const markup = params.reply_markup as { inline_keyboard?: { callback_data?: string }[][] } | undefined;
    for (const b of markup?.inline_keyboard?.flat() ?? []) {
      const bytes = Buffer.byteLength(b.callback_data ?? '', 'utf8');
      if (b.callback_data !== undefined && (bytes === 0 || bytes > MAX_CALLBACK_BYTES))
        return { status: 400, description: 'Bad Request: BUTTON_DATA_INVALID' };
    }
    return undefined;
  }

  /** Long poll: resolves when updates are there, the wait is over, or another poll took over. */
  private async waitForUpdates(params: Record<string, unknown>, res: ServerResponse): Promise<PollOutcome> {
    const offset = Number(params.offset ?? 0);
    // Confirmed updates are forgotten, as Telegram does.
    if (offset > 0)
      while (this.updates.length > 0 && (this.updates[0]?.update_id ?? 0) < offset) this.updates.shift();
    // A new getUpdates ends one still waiting: Telegram's "terminated by other getUpdates request".
    this.wakePollers('conflict');
    if (this.updates.length > 0) return 'ready';
    const waitMs = Math.min(Number(params.timeout ?? 0) * 1000, this.maxPollMs);
    if (waitMs <= 0) return 'ready';
    return new Promise((resolve) => {
      const poller: Poller = {
        wake: (outcome) => {
          clearTimeout(timer);
          res.off('close', gone);
          resolve(outcome);
        },
      };
      const timer = setTimeout(() => {
        this.pollers = this.pollers.filter((p) => p !== poller);
        poller.wake('ready');
      }, waitMs);
      // The client gave up (aborted, or went away): this poll no longer counts.
      const gone = () => {
        if (res.writableFinished) return;
        this.pollers = this.pollers.filter((p) => p !== poller);
        clearTimeout(timer);
        resolve('gone');
      };
      res.on('close', gone);
      this.pollers.push(poller);
    });
  }

  /** Webhook mode: POST each update in order; failed deliveries are retried, then left pending. */
  private deliverToWebhook(update: Update): void {
    const webhook = this.webhook;
    if (!webhook) return;
    this.webhookChain = this.webhookChain.then(async () => {
      if (this.closed || !this.updates.includes(update)) return;
      for (let attempt = 1; attempt <= 5; attempt++) {
        let status = 0;
        try {
          const response = await fetch(webhook.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(webhook.secret ? { 'x-telegram-bot-api-secret-token': webhook.secret } : {}),
            },
            body: JSON.stringify(update),
            signal: AbortSignal.timeout(5_000),
          });
          status = response.status;
          await response.arrayBuffer();
        } catch {
          status = 0;
        }
        this.webhookDeliveries.push({ updateId: update.update_id, attempt, status });
        for (const w of this.callWaiters.splice(0)) w();
        if (status >= 200 && status < 300) {
          const i = this.updates.indexOf(update);
          if (i !== -1) this.updates.splice(i, 1);
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    });
  }

  private user(userId: number, options: UserOptions) {
    return {
      id: userId,
      is_bot: false,
      first_name: options.firstName ?? 'Test',
      ...(options.username ? { username: options.username } : {}),
      ...(options.languageCode ? { language_code: options.languageCode } : {}),
    };
  }

  private chat(chatId: number) {
    if (chatId > 0) return { id: chatId, type: 'private', first_name: 'Test' };
    return { id: chatId, type: chatId < -1_000_000_000_000 ? 'supergroup' : 'group', title: 'Group' };
  }

  /** "Unique message identifier inside this chat": each chat has its own sequence, from 1. */
  private nextMessageIdIn(chatId: number | string): number {
    const next = (this.lastMessageId.get(String(chatId)) ?? 0) + 1;
    this.lastMessageId.set(String(chatId), next);
    return next;
  }

  private privateMessage(userId: number, options: UserOptions): Record<string, unknown> {
    return {
      message_id: this.nextMessageIdIn(userId),
      from: this.user(userId, options),
      chat: { ...this.chat(userId), first_name: options.firstName ?? 'Test' },
      date: nowSeconds(),
    };
  }
}

function toSentMessage(call: FakeCall): SentMessage {
  const markup = call.params.reply_markup as
    | {
        inline_keyboard?: { text: string; callback_data?: string }[][];
        keyboard?: { text: string; request_contact?: boolean }[][];
        remove_keyboard?: boolean;
      }
    | undefined;
  const contactButton = markup?.keyboard?.flat().find((b) => b.request_contact);
  const document = call.files[0];
  return {
    method: call.method as SentMessage['method'],
    chatId: String(call.params.chat_id),
    messageId: call.result?.message_id ?? 0,
    ...(typeof call.params.text === 'string' ? { text: call.params.text } : {}),
    ...(typeof call.params.caption === 'string' ? { caption: call.params.caption } : {}),
    buttons: (markup?.inline_keyboard?.flat() ?? []).map((b) => ({
      text: b.text,
      data: b.callback_data ?? '',
    })),
    ...(contactButton ? { contactRequest: { label: contactButton.text } } : {}),
    removesKeyboard: markup?.remove_keyboard === true,
    ...(document ? { document } : {}),
    call,
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function reply(res: ServerResponse, status: number, payload: unknown) {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Fields Telegram takes as JSON inside a form; everything else stays a string. */
const JSON_FIELDS = new Set([
  'reply_markup',
  'commands',
  'allowed_updates',
  'entities',
  'caption_entities',
  'reply_parameters',
  'link_preview_options',
  'scope',
]);

function parseValue(name: string, value: string): unknown {
  if (JSON_FIELDS.has(name)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  if (value === 'true' || value === 'false') return value === 'true';
  return value;
}

function parseParams(
  contentType: string,
  body: Buffer,
): { params: Record<string, unknown>; files: UploadedFile[] } {
  if (contentType.startsWith('application/json')) {
    return {
      params: body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {},
      files: [],
    };
  }
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (contentType.startsWith('multipart/form-data') && boundary) {
    return parseMultipart(body, boundary[1] ?? boundary[2] ?? '');
  }
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const params: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = parseValue(k, v);
    return { params, files: [] };
  }
  return { params: {}, files: [] };
}

/** Just enough multipart/form-data for what telegraf sends: text fields and file parts. */
function parseMultipart(
  body: Buffer,
  boundary: string,
): { params: Record<string, unknown>; files: UploadedFile[] } {
  const params: Record<string, unknown> = {};
  const files: UploadedFile[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    // A part runs from after "--boundary\r\n" to the "\r\n" before the next delimiter.
    const part = body.subarray(start + delimiter.length + 2, next - 2);
    start = next;
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) continue;
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/.exec(headers)?.[1] ?? '';
    const fileName = /filename="([^"]*)"/.exec(headers)?.[1];
    if (fileName !== undefined) {
      const mimeType = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1];
      files.push({
        field: name,
        fileName,
        size: content.length,
        content: Buffer.from(content),
        ...(mimeType ? { mimeType } : {}),
      });
      params[name] = `attach://${name}`;
    } else {
      params[name] = parseValue(name, content.toString('utf8'));
    }
  }
  return { params, files };
}
