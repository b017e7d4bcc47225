import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { telegramUpdateSchema } from './convert.js';
import { enqueueWebhookUpdate } from './webhook-queue.js';

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Admin server plugin for webhook mode: Telegram POSTs updates to TELEGRAM_WEBHOOK_URL's path.
 * The route checks the secret token header (401 otherwise), validates the update and queues
 * it for the gateway (webhook-queue.ts). Off (undefined) unless URL, secret and token are set.
 */
export function telegramWebhookRoutes(ctx: AppContext): FastifyPluginAsync | undefined {
  const { webhookUrl, webhookSecret, token } = ctx.config.telegram;
  if (!webhookUrl || !webhookSecret || !token) return undefined;
  const path = new URL(webhookUrl).pathname;
  return async (app) => {
    app.post(path, { bodyLimit: 256 * 1024 }, async (request, reply) => {
      if (!sameSecret(request.headers[SECRET_HEADER], webhookSecret)) {
        request.log.warn('telegram webhook: wrong or missing secret token');
        return reply.code(401).send({ ok: false });
      }
      const parsed = telegramUpdateSchema.safeParse(request.body);
      // A malformed update will never become valid: accept it so Telegram stops resending.
      if (!parsed.success) {
        request.log.warn({ issues: parsed.error.issues.length }, 'telegram webhook: update ignored');
        return reply.send({ ok: true });
      }
      // Queue the update as Telegram sent it: the adapter validates it again when handling.
      await enqueueWebhookUpdate(ctx, request.body);
      return reply.send({ ok: true });
    });
  };
}
