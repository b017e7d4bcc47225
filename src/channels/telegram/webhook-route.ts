import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { telegramUpdateSchema } from './convert.js';
import { telegramSettingsOf } from './settings.js';
import { enqueueWebhookUpdate } from './webhook-queue.js';

/** What the route reads: the Telegram settings, and Redis and its key builder (the update queue). */
export type TelegramWebhookDeps = Pick<AppContext, 'config' | 'redis' | 'key'>;

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
 * it for the gateway (webhook-queue.ts), once per update_id. Off (undefined) unless URL, secret
 * and token are set.
 */
export function telegramWebhookRoutes(ctx: TelegramWebhookDeps): FastifyPluginAsync | undefined {
  const { webhookUrl, webhookSecret, token } = telegramSettingsOf(ctx.config);
  if (!webhookUrl || !webhookSecret || !token) return undefined;
  const path = new URL(webhookUrl).pathname;
  // The token's first part is the bot's id: public, and the scope of every update_id.
  const botId = token.split(':')[0] ?? 'bot';
  return async (app) => {
    // Public to the console's guard: Telegram proves itself with the secret token checked here.
    app.post(path, { bodyLimit: 256 * 1024, config: { access: 'public' } }, async (request, reply) => {
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
      // Queue the update as Telegram sent it (its update_id checked just above): the adapter
      // validates it again when handling.
      const update = request.body as { update_id: number };
      const queued = await enqueueWebhookUpdate(ctx, update, botId);
      if (!queued)
        request.log.info(
          { updateId: update.update_id },
          'telegram webhook: repeated update ignored (already queued)',
        );
      return reply.send({ ok: true });
    });
  };
}
