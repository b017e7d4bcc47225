import { createHmac } from 'node:crypto';
import type { Logger } from '../../logging/logger.js';
import { OtpError } from '../otp-errors.js';
import type { OtpProvider } from './types.js';

export interface WebhookOtpOptions {
  url: string;
  /** OTP_SECRET: the signing key is derived from it, so the gateway never holds the secret itself. */
  secret: string;
  logger: Logger;
  /** Per attempt. Default 5 s. */
  timeoutMs?: number;
  /** Extra attempts after a timeout, network error, 429 or 5xx. Default 1. */
  retries?: number;
}

/**
 * The key an SMS gateway uses to check `X-Hakdata-Signature`. Derived from OTP_SECRET rather
 * than OTP_SECRET itself, because OTP_SECRET also keys the suppression list's phone hashes.
 * Operators print it with: node -e "console.log(require('crypto').createHmac('sha256',
 * process.env.OTP_SECRET).update('otp-webhook-signing-key').digest('hex'))"
 */
export function webhookSigningKey(secret: string): string {
  return createHmac('sha256', secret).update('otp-webhook-signing-key').digest('hex');
}

/** `sha256=<hex HMAC of "<timestamp>.<body>">`: the gateway can refuse forged and replayed calls. */
export function signWebhookBody(signingKey: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', signingKey).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Any SMS gateway that accepts `POST {"to": "+62…", "text": "…"}`. Headers:
 * `X-Hakdata-Timestamp` (unix seconds) and `X-Hakdata-Signature` (see signWebhookBody).
 * A 2xx answer means delivered to the gateway; 4xx is not retried (the request is wrong);
 * timeouts, network errors, 429 and 5xx are retried once.
 */
export function createWebhookOtpProvider(options: WebhookOtpOptions): OtpProvider {
  const timeoutMs = options.timeoutMs ?? 5000;
  const retries = options.retries ?? 1;
  const signingKey = webhookSigningKey(options.secret);
  const logger = options.logger.child({ component: 'otp-webhook' });

  async function attempt(body: string): Promise<{ ok: true } | { ok: false; retry: boolean; why: string }> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const res = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hakdata-timestamp': timestamp,
          'x-hakdata-signature': signWebhookBody(signingKey, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Drain the answer so the connection is reused; its content is not ours to log.
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true };
      return { ok: false, retry: res.status === 429 || res.status >= 500, why: `HTTP ${res.status}` };
    } catch (err) {
      const name = err instanceof Error ? err.name : 'Error';
      const why = name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'network error';
      return { ok: false, retry: true, why };
    }
  }

  return {
    name: 'webhook',
    async deliver(phone, text) {
      const body = JSON.stringify({ to: phone, text });
      let why = '';
      for (let n = 0; n <= retries; n++) {
        const result = await attempt(body);
        if (result.ok) return;
        why = result.why;
        logger.warn({ attempt: n + 1, why }, 'SMS gateway did not accept the code');
        if (!result.retry) break;
      }
      throw new OtpError('DELIVERY_FAILED', `The SMS gateway did not accept the code (${why})`);
    },
  };
}
