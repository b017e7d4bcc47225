import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fake SMS gateway on 127.0.0.1 (random port) for the `webhook` OTP provider: records every
 * POST, answers 200 `{"status":"queued"}`, and can be told to fail (`failNext(n, 503)`) or to be
 * slow (`delayMs`). Point the app at it with `OTP_WEBHOOK_URL=gateway.url`.
 */

export interface SmsMessage {
  to: string;
  text: string;
  /** The raw body, to check a signature against. */
  body: string;
  headers: IncomingHttpHeaders;
  at: number;
  /** What the fake answered. */
  status: number;
}

export class FakeSmsGateway {
  /** Every POST, including the ones answered with an error. */
  readonly requests: SmsMessage[] = [];
  /** Delay before answering, in ms (tests of timeouts and of timing). */
  delayMs = 0;
  private failures: number[] = [];
  private waiters: (() => void)[] = [];
  /** Per number: how many messages earlier waitForMessage calls returned. */
  private readonly seen = new Map<string, number>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeSmsGateway> {
    let gateway: FakeSmsGateway | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const g = gateway;
        if (!g) return;
        const body = Buffer.concat(chunks).toString('utf8');
        const status = g.failures.shift() ?? 200;
        setTimeout(() => {
          let parsed: { to?: unknown; text?: unknown } = {};
          try {
            parsed = JSON.parse(body) as typeof parsed;
          } catch {
            // recorded as-is
          }
          g.requests.push({
            to: String(parsed.to ?? ''),
            text: String(parsed.text ?? ''),
            body,
            headers: req.headers,
            at: Date.now(),
            status,
          });
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(status === 200 ? { status: 'queued' } : { error: 'unavailable' }));
          for (const w of g.waiters.splice(0)) w();
        }, g.delayMs);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    gateway = new FakeSmsGateway(server, `http://127.0.0.1:${port}/send`);
    server.on('connection', (s: Socket) => {
      gateway?.sockets.add(s);
      s.on('close', () => gateway?.sockets.delete(s));
    });
    return gateway;
  }

  /** Messages the gateway accepted (200), in arrival order. */
  get messages(): SmsMessage[] {
    return this.requests.filter((r) => r.status === 200);
  }

  messagesTo(to: string): SmsMessage[] {
    return this.messages.filter((m) => m.to === to);
  }

  /** Answer the next `count` requests with `status` (e.g. 503, 400). */
  failNext(count: number, status = 503): void {
    for (let i = 0; i < count; i++) this.failures.push(status);
  }

  /** Resolves with the first accepted message to `to` not yet seen by an earlier wait. */
  async waitForMessage(to: string, timeoutMs = 5000): Promise<SmsMessage> {
    const seen = this.seen.get(to) ?? 0;
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messagesTo(to)[seen];
      if (found) {
        this.seen.set(to, seen + 1);
        return found;
      }
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no SMS to ${to} within ${timeoutMs} ms`);
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
