import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fake of Meta's Graph API for the WhatsApp Business Cloud API, on 127.0.0.1 (random port),
 * written from Meta's documentation (developers.facebook.com/docs/whatsapp/cloud-api):
 *
 * - `POST /<version>/<phone number id>/messages` with `Authorization: Bearer <token>` sends a
 *   message and answers `{ messaging_product, contacts: [{ input, wa_id }], messages: [{ id }] }`
 *   with a `wamid.…` id; delivery is reported later by status webhooks.
 * - `POST /<version>/<phone number id>/media` (multipart/form-data: `messaging_product`, `type`,
 *   `file`) stores a file and answers `{ id }`; a document message then names that id.
 * - A template message (`type: template`, `template: { name, language: { code }, components }`)
 *   names an approved template; a body's parameters are `{ type: 'text', text }` filled into its
 *   `{{n}}` ("Send a custom marketing template": a MARKETING template is sent the same way).
 *   Errors as documented ("Cloud API error codes"): 132001 "Template name does not exist in the
 *   translation" (HTTP 404), 132015 "Template is Paused" (low quality), 132005 "Translated text
 *   too long" (a body holds 1024 characters), 100 for a parameter with a new line, a tab or more
 *   than 4 spaces in a row.
 * - Webhooks (`messages` field of `whatsapp_business_account`) are POSTed to the app's callback
 *   URL with `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body under the app secret>`;
 *   the subscription is verified by a GET with `hub.mode=subscribe`, `hub.verify_token` and
 *   `hub.challenge`, which the app must echo.
 *
 * Tests drive it as a customer would (`userSends`, `pressButton`) and inspect what the business
 * sent (`messages`, `waitForMessage`).
 */

export const GRAPH_VERSION = 'v21.0';

/** A message the business sent, as the fake accepted it. */
export interface CloudSentMessage {
  wamid: string;
  to: string;
  type: string;
  /** The request body as sent. */
  body: Record<string, unknown>;
  /** Text shown to the customer: text body, interactive body, document caption, template name. */
  text: string;
  at: number;
}

/** What one webhook POST to the app returned. */
export interface WebhookDelivery {
  status: number;
  body: string;
}

interface GraphError {
  status: number;
  code: number;
  message: string;
  details: string;
}

/** Meta's documented error shape: `{ error: { message, type, code, error_data: { details }, fbtrace_id } }`. */
function errorBody(e: GraphError): string {
  return JSON.stringify({
    error: {
      message: e.message,
      type: 'OAuthException',
      code: e.code,
      error_data: { messaging_product: 'whatsapp', details: e.details },
      fbtrace_id: randomBytes(8).toString('hex'),
    },
  });
}

/** "(#100) Invalid parameter": a request Meta refuses as malformed (docs: error code 100). */
const invalid = (details: string): GraphError => ({
  status: 400,
  code: 100,
  message: '(#100) Invalid parameter',
  details,
});

const DAY_MS = 24 * 3600 * 1000;

export interface FakeGraphApiOptions {
  token?: string;
  phoneNumberId?: string;
  appSecret?: string;
  verifyToken?: string;
  /** Approved templates (name → category); any other name is refused (132001). */
  templates?: Record<string, 'UTILITY' | 'AUTHENTICATION' | 'MARKETING'>;
}

export class FakeGraphApi {
  readonly token: string;
  readonly phoneNumberId: string;
  readonly appSecret: string;
  readonly verifyToken: string;
  readonly templates: Record<string, 'UTILITY' | 'AUTHENTICATION' | 'MARKETING'>;
  /** Where webhooks are POSTed (the app's callback URL); set by the test once the app listens. */
  webhookUrl: string | undefined;
  /** Every message accepted, in order. */
  readonly messages: CloudSentMessage[] = [];
  /** Every request refused, with its error code. */
  readonly refused: { path: string; code: number; details: string }[] = [];
  /** Uploaded media by id. */
  readonly media = new Map<string, { type: string; fileName: string; bytes: Buffer }>();
  /** Every webhook POST made and what the app answered. */
  readonly deliveries: { body: string; status: number }[] = [];
  /** Numbers that are not WhatsApp users: accepted, then a failed status 131026. */
  readonly undeliverable = new Set<string>();
  /** Approved templates Meta has paused for low quality: refused with 132015 until taken out. */
  readonly pausedTemplates = new Set<string>();
  /** Send a `read` status after `delivered` (a customer who opens the chat). */
  readStatuses = true;
  /** Last message from each user, ms: the customer-service window (24 h) runs from it. */
  private readonly lastInbound = new Map<string, number>();
  private rateLimited = 0;
  private counter = 0;
  private readonly sockets = new Set<Socket>();
  private waiters: (() => void)[] = [];
  /** The fake's clock, so a test can move past the 24-hour window without waiting. */
  now: () => number = Date.now;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    options: FakeGraphApiOptions,
  ) {
    this.token = options.token ?? `EAAG${randomBytes(16).toString('hex')}`;
    this.phoneNumberId = options.phoneNumberId ?? '106540352242922';
    this.appSecret = options.appSecret ?? randomBytes(16).toString('hex');
    this.verifyToken = options.verifyToken ?? randomBytes(12).toString('hex');
    this.templates = options.templates ?? {
      hakdata_request_update: 'UTILITY',
      hakdata_deadline_notice: 'UTILITY',
      hakdata_code: 'AUTHENTICATION',
      hakdata_promotion: 'MARKETING',
    };
  }

  static async start(options: FakeGraphApiOptions = {}): Promise<FakeGraphApi> {
    let fake: FakeGraphApi | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!fake) return;
        fake.handle(req, Buffer.concat(chunks)).then(
          ({ status, body }) => {
            res.writeHead(status, { 'content-type': 'application/json' });
            res.end(body);
          },
          (err: unknown) => {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: { message: String(err), code: 1 } }));
          },
        );
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    fake = new FakeGraphApi(server, `http://127.0.0.1:${port}`, options);
    server.on('connection', (s: Socket) => {
      fake?.sockets.add(s);
      s.on('close', () => fake?.sockets.delete(s));
    });
    return fake;
  }

  /** The app's settings for this fake (the webhook's public URL is the app's own). */
  get env(): Record<string, string> {
    return {
      WHATSAPP_CLOUD_ACCESS_TOKEN: this.token,
      WHATSAPP_CLOUD_PHONE_NUMBER_ID: this.phoneNumberId,
      WHATSAPP_CLOUD_APP_SECRET: this.appSecret,
      WHATSAPP_CLOUD_VERIFY_TOKEN: this.verifyToken,
      WHATSAPP_CLOUD_API_ROOT: `${this.url}/${GRAPH_VERSION}`,
    };
  }

  /** Answer the next `count` sends with 130429 "Rate limit hit" (docs: throughput reached). */
  rateLimitNext(count: number): void {
    this.rateLimited += count;
  }

  private async handle(req: IncomingMessage, raw: Buffer): Promise<{ status: number; body: string }> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    const base = `/${GRAPH_VERSION}/${this.phoneNumberId}`;
    // Docs: a missing or wrong access token is OAuthException 190, HTTP 401.
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      this.refused.push({ path, code: 190, details: 'invalid token' });
      return {
        status: 401,
        body: errorBody({ status: 401, code: 190, message: 'Invalid OAuth access token.', details: '' }),
      };
    }
    if (req.method === 'POST' && path === `${base}/media`) return this.upload(req, raw);
    if (req.method === 'POST' && path === `${base}/messages`) {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        return this.refuse(path, invalid('body is not JSON'));
      }
      return this.sendMessage(path, body);
    }
    return {
      status: 404,
      body: errorBody({ status: 404, code: 803, message: 'Unknown path', details: path }),
    };
  }

  private refuse(path: string, e: GraphError): { status: number; body: string } {
    this.refused.push({ path, code: e.code, details: e.details });
    return { status: e.status, body: errorBody(e) };
  }

  /** Docs: media upload is multipart with `messaging_product=whatsapp`, `type` and `file`. */
  private async upload(req: IncomingMessage, raw: Buffer): Promise<{ status: number; body: string }> {
    const form = await new Response(raw, {
      headers: { 'content-type': String(req.headers['content-type'] ?? '') },
    })
      .formData()
      .catch(() => undefined);
    const file = form?.get('file');
    if (form?.get('messaging_product') !== 'whatsapp' || !(file instanceof Blob))
      return this.refuse('/media', invalid('messaging_product and file are required'));
    const id = String(1_000_000_000_000 + this.media.size + 1);
    this.media.set(id, {
      type: String(form.get('type') ?? file.type),
      fileName: file instanceof File ? file.name : 'file',
      bytes: Buffer.from(await file.arrayBuffer()),
    });
    return { status: 200, body: JSON.stringify({ id }) };
  }

  private sendMessage(path: string, body: Record<string, unknown>): { status: number; body: string } {
    if (body.messaging_product !== 'whatsapp')
      return this.refuse(path, invalid('messaging_product must be "whatsapp"'));
    const to = typeof body.to === 'string' ? body.to.replace(/^\+/, '') : '';
    if (!/^\d{7,15}$/.test(to)) return this.refuse(path, invalid('to must be a phone number'));
    if (this.rateLimited > 0) {
      this.rateLimited--;
      // Docs: 130429 "Rate limit hit": Cloud API message throughput has been reached.
      return this.refuse(path, {
        status: 400,
        code: 130429,
        message: 'Rate limit hit',
        details: 'Cloud API message throughput has been reached.',
      });
    }
    const checked = this.check(body);
    if (typeof checked !== 'string') return this.refuse(path, checked);
    const wamid = `wamid.${Buffer.from(`${to}:${++this.counter}:${randomBytes(6).toString('hex')}`).toString('base64url')}`;
    const sent: CloudSentMessage = {
      wamid,
      to,
      type: String(body.type),
      body,
      text: checked,
      at: Date.now(),
    };
    this.messages.push(sent);
    for (const w of this.waiters.splice(0)) w();
    // Delivery is reported asynchronously, as on the real platform.
    setImmediate(() => void this.reportDelivery(sent));
    return {
      status: 200,
      body: JSON.stringify({
        messaging_product: 'whatsapp',
        contacts: [{ input: String(body.to), wa_id: to }],
        messages: [{ id: wamid, ...(body.type === 'template' ? { message_status: 'accepted' } : {}) }],
      }),
    };
  }

  /** The documented limits of each message type; the text shown, or the error. */
  private check(body: Record<string, unknown>): string | GraphError {
    const type = body.type;
    if (type === 'text') {
      const text = (body.text as { body?: unknown } | undefined)?.body;
      // Docs: text body up to 4096 characters.
      if (typeof text !== 'string' || text.length === 0 || text.length > 4096)
        return invalid('text.body must be 1-4096 characters');
      return text;
    }
    if (type === 'interactive') return this.checkInteractive(body.interactive);
    if (type === 'document') {
      const doc = body.document as { id?: unknown; link?: unknown; caption?: unknown } | undefined;
      if (typeof doc?.id !== 'string' || !this.media.has(doc.id))
        return invalid('document.id must name uploaded media');
      return typeof doc.caption === 'string' ? doc.caption : '';
    }
    if (type === 'template') {
      const t = body.template as
        | { name?: unknown; language?: { code?: unknown }; components?: unknown }
        | undefined;
      const name = typeof t?.name === 'string' ? t.name : '';
      // Docs: 132001 "Template name does not exist in the translation".
      if (!this.templates[name])
        return {
          status: 404,
          code: 132001,
          message: 'Template name does not exist in the translation',
          details: name,
        };
      // Docs: 132015 "Template is Paused": paused for low quality, it cannot be sent.
      if (this.pausedTemplates.has(name))
        return {
          status: 400,
          code: 132015,
          message: 'Template is Paused',
          details: 'Template is paused due to low quality so it cannot be sent in a template message.',
        };
      if (typeof t?.language?.code !== 'string') return invalid('template.language.code is required');
      const components = Array.isArray(t.components) ? (t.components as Record<string, unknown>[]) : [];
      const bodyTexts = ((components.find((c) => c.type === 'body')?.parameters ?? []) as unknown[]).map(
        (p) => (p as { text?: unknown }).text,
      );
      for (const text of bodyTexts)
        if (typeof text !== 'string' || text.length === 0 || /[\n\t]| {5}/.test(text))
          return invalid('Param text cannot have new-line/tab characters or more than 4 consecutive spaces');
      // Docs: the body, its own words and the parameters filled in, holds 1024 characters.
      if (bodyTexts.reduce((n: number, text) => n + String(text).length, 0) > 1024)
        return { status: 400, code: 132005, message: 'Translated text too long', details: name };
      if (this.templates[name] === 'AUTHENTICATION') {
        // Docs: an authentication template carries the code as the body parameter and again as
        // the copy-code button's URL parameter.
        const bodyParam = components.find((c) => c.type === 'body');
        const button = components.find((c) => c.type === 'button' && c.sub_type === 'url');
        const code = (bodyParam?.parameters as { text?: unknown }[] | undefined)?.[0]?.text;
        const again = (button?.parameters as { text?: unknown }[] | undefined)?.[0]?.text;
        if (typeof code !== 'string' || code.length > 15 || again !== code)
          return invalid('authentication templates need the code in the body and the button');
      }
      return `template:${name}`;
    }
    return invalid(`unsupported message type ${String(type)}`);
  }

  private checkInteractive(raw: unknown): string | GraphError {
    const i = raw as
      | { type?: unknown; body?: { text?: unknown }; action?: Record<string, unknown> }
      | undefined;
    const text = i?.body?.text;
    // Docs: interactive body text up to 1024 characters.
    if (typeof text !== 'string' || text.length === 0 || text.length > 1024)
      return invalid('interactive.body.text must be 1-1024 characters');
    if (i?.type === 'button') {
      const buttons = (i.action?.buttons ?? []) as {
        type?: unknown;
        reply?: { id?: unknown; title?: unknown };
      }[];
      // Docs: reply buttons: at most 3, titles at most 20 characters, ids at most 256, unique.
      if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3)
        return invalid('reply buttons: 1 to 3 buttons');
      const ids = new Set<string>();
      for (const b of buttons) {
        const { id, title } = b.reply ?? {};
        if (b.type !== 'reply' || typeof id !== 'string' || id.length === 0 || id.length > 256)
          return invalid('button id must be 1-256 characters');
        if (typeof title !== 'string' || title.length === 0 || title.length > 20)
          return invalid('button title must be 1-20 characters');
        if (ids.has(id)) return invalid('button ids must be unique');
        ids.add(id);
      }
      return text;
    }
    if (i?.type === 'list') {
      const button = i.action?.button;
      const sections = (i.action?.sections ?? []) as { title?: unknown; rows?: unknown }[];
      // Docs: list messages: button label at most 20 characters, at most 10 sections and 10 rows
      // in all, row titles at most 24 characters, row ids at most 200, unique.
      if (typeof button !== 'string' || button.length === 0 || button.length > 20)
        return invalid('list button label must be 1-20 characters');
      if (!Array.isArray(sections) || sections.length < 1 || sections.length > 10)
        return invalid('list: 1 to 10 sections');
      const rows = sections.flatMap((s) =>
        Array.isArray(s.rows) ? (s.rows as Record<string, unknown>[]) : [],
      );
      if (rows.length < 1 || rows.length > 10) return invalid('list: 1 to 10 rows in all');
      const ids = new Set<string>();
      for (const r of rows) {
        if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > 200)
          return invalid('row id must be 1-200 characters');
        if (typeof r.title !== 'string' || r.title.length === 0 || r.title.length > 24)
          return invalid('row title must be 1-24 characters');
        if (typeof r.description === 'string' && r.description.length > 72)
          return invalid('row description must be at most 72 characters');
        if (ids.has(r.id)) return invalid('row ids must be unique');
        ids.add(r.id);
      }
      return text;
    }
    return invalid('interactive.type must be button or list');
  }

  /**
   * Statuses as documented: `sent`, `delivered` (and `read`), or `failed` with `errors[]`:
   * 131047 "Re-engagement message" for a free-form message more than 24 hours after the
   * customer last wrote, 131026 "Message undeliverable" for a number that cannot receive it.
   */
  private async reportDelivery(sent: CloudSentMessage): Promise<void> {
    const failure = this.failureOf(sent);
    if (failure) {
      await this.postStatus(sent, 'failed', failure);
      return;
    }
    await this.postStatus(sent, 'sent');
    await this.postStatus(sent, 'delivered');
    if (this.readStatuses) await this.postStatus(sent, 'read');
  }

  private failureOf(sent: CloudSentMessage): { code: number; title: string; details: string } | undefined {
    if (this.undeliverable.has(sent.to))
      return { code: 131026, title: 'Message undeliverable', details: 'Message failed to send.' };
    const last = this.lastInbound.get(sent.to);
    if (sent.type !== 'template' && (last === undefined || this.now() - last > DAY_MS))
      return {
        code: 131047,
        title: 'Re-engagement message',
        details:
          'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
      };
    return undefined;
  }

  private postStatus(
    sent: CloudSentMessage,
    status: 'sent' | 'delivered' | 'read' | 'failed',
    error?: { code: number; title: string; details: string },
  ): Promise<WebhookDelivery> {
    return this.postWebhook({
      statuses: [
        {
          id: sent.wamid,
          status,
          timestamp: String(Math.floor(this.now() / 1000)),
          recipient_id: sent.to,
          ...(error
            ? {
                errors: [
                  {
                    code: error.code,
                    title: error.title,
                    message: error.title,
                    error_data: { details: error.details },
                  },
                ],
              }
            : {}),
        },
      ],
    });
  }

  /** The customer writes `text`; resolves with the webhook's wamid and the app's answer. */
  userSends(
    waId: string,
    text: string,
    options: { name?: string; context?: string } = {},
  ): Promise<WebhookDelivery & { wamid: string; payload: string }> {
    return this.inbound(waId, { type: 'text', text: { body: text } }, options);
  }

  /** The customer presses a reply button (or picks a list row) of the latest interactive message to them. */
  pressButton(waId: string, title: string): Promise<WebhookDelivery & { wamid: string; payload: string }> {
    const latest = [...this.messages].reverse().find((m) => m.to === waId && m.type === 'interactive');
    const interactive = latest?.body.interactive as
      | {
          type: string;
          action: {
            buttons?: { reply: { id: string; title: string } }[];
            sections?: { rows: { id: string; title: string }[] }[];
          };
        }
      | undefined;
    if (!latest || !interactive) throw new Error('no interactive message to this user');
    if (interactive.type === 'button') {
      const reply = interactive.action.buttons?.map((b) => b.reply).find((r) => r.title === title);
      if (!reply) throw new Error(`no button "${title}"`);
      return this.inbound(
        waId,
        { type: 'interactive', interactive: { type: 'button_reply', button_reply: reply } },
        { context: latest.wamid },
      );
    }
    const row = interactive.action.sections?.flatMap((s) => s.rows).find((r) => r.title === title);
    if (!row) throw new Error(`no list row "${title}"`);
    return this.inbound(
      waId,
      {
        type: 'interactive',
        interactive: { type: 'list_reply', list_reply: { id: row.id, title: row.title } },
      },
      { context: latest.wamid },
    );
  }

  private async inbound(
    waId: string,
    content: Record<string, unknown>,
    options: { name?: string; context?: string },
  ): Promise<WebhookDelivery & { wamid: string; payload: string }> {
    const wamid = `wamid.${Buffer.from(`in:${waId}:${++this.counter}:${randomBytes(6).toString('hex')}`).toString('base64url')}`;
    this.lastInbound.set(waId, this.now());
    const payload = this.envelope({
      contacts: [{ profile: { name: options.name ?? 'Customer' }, wa_id: waId }],
      messages: [
        {
          from: waId,
          id: wamid,
          timestamp: String(Math.floor(this.now() / 1000)),
          ...(options.context ? { context: { from: this.displayNumber, id: options.context } } : {}),
          ...content,
        },
      ],
    });
    const delivery = await this.deliver(payload);
    return { ...delivery, wamid, payload };
  }

  /** The business number as Meta shows it in `metadata.display_phone_number`. */
  readonly displayNumber = '6281200000000';

  /** Docs: every webhook is `{ object: 'whatsapp_business_account', entry: [{ id, changes: [{ field: 'messages', value }] }] }`. */
  private envelope(value: Record<string, unknown>): string {
    return JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: this.displayNumber, phone_number_id: this.phoneNumberId },
                ...value,
              },
            },
          ],
        },
      ],
    });
  }

  private postWebhook(value: Record<string, unknown>): Promise<WebhookDelivery> {
    return this.deliver(this.envelope(value));
  }

  /** `sha256=<hex>` of the raw body under the app secret, as Meta signs. */
  sign(body: string, secret = this.appSecret): string {
    return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  }

  /**
   * POSTs a raw webhook body to the app, signed (or with `signature` given, as is). Meta resends
   * a webhook the app did not answer with 200; `redeliver` lets a test do the same.
   */
  async deliver(body: string, signature: string | null = this.sign(body)): Promise<WebhookDelivery> {
    if (!this.webhookUrl) return { status: 0, body: '' };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signature !== null) headers['x-hub-signature-256'] = signature;
    const res = await fetch(this.webhookUrl, { method: 'POST', headers, body }).catch(() => undefined);
    const result = { status: res?.status ?? 0, body: res ? await res.text() : '' };
    this.deliveries.push({ body, status: result.status });
    return result;
  }

  /** The subscription check Meta makes when the callback URL is saved. */
  async verifySubscription(
    verifyToken = this.verifyToken,
    challenge = '1158201444',
  ): Promise<WebhookDelivery> {
    if (!this.webhookUrl) throw new Error('webhookUrl is not set');
    const url = new URL(this.webhookUrl);
    url.searchParams.set('hub.mode', 'subscribe');
    url.searchParams.set('hub.verify_token', verifyToken);
    url.searchParams.set('hub.challenge', challenge);
    const res = await fetch(url);
    return { status: res.status, body: await res.text() };
  }

  /** Messages sent to a user, in order. */
  messagesTo(waId: string): CloudSentMessage[] {
    return this.messages.filter((m) => m.to === waId);
  }

  /** The first message to `waId` after index `after` (of `messages`) matching `match`. */
  async waitForMessage(
    waId: string,
    match: (m: CloudSentMessage) => boolean,
    options: { after?: number; timeoutMs?: number } = {},
  ): Promise<CloudSentMessage> {
    const until = Date.now() + (options.timeoutMs ?? 10_000);
    for (;;) {
      const found = this.messages.slice(options.after ?? 0).find((m) => m.to === waId && match(m));
      if (found) return found;
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no matching message to ${waId.slice(-4)} in time`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
