import type { FastifyPluginAsync } from 'fastify';
import { cloudSettingsOf } from './settings.js';
import { type CloudStore, enqueueOnce, openWindow } from './store.js';
import { eventsOf, validSignature, verificationAnswer } from './webhook.js';

/**
 * The callback URL Meta calls (on the admin server, public: it proves itself by the verify
 * token and the signature). GET answers the subscription check; POST checks
 * `X-Hub-Signature-256` over the raw body (401 otherwise), queues each message and status once
 * by its id (Meta re-delivers a webhook until it gets a 200) and opens the customer's 24-hour
 * window from the time they wrote. Off (undefined) unless the channel is configured.
 */
export function cloudWebhookRoutes(ctx: CloudStore): FastifyPluginAsync | undefined {
  const settings = cloudSettingsOf(ctx.config);
  if (!settings?.appSecret || !settings.verifyToken) return undefined;
  const { appSecret, verifyToken, webhookPath, phoneNumberId } = settings;
  return async (app) => {
    // The signature is over the exact bytes Meta sent: keep them (this plugin's scope only).
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
      done(null, body),
    );

    app.get(webhookPath, { config: { access: 'public' } }, async (request, reply) => {
      const challenge = verificationAnswer(request.query as Record<string, unknown>, verifyToken);
      if (challenge === undefined) {
        request.log.warn('whatsapp-cloud webhook: subscription check refused (wrong mode or verify token)');
        return reply.code(403).send('forbidden');
      }
      return reply.type('text/plain').send(challenge);
    });

    app.post(
      webhookPath,
      { config: { access: 'public' }, bodyLimit: 1024 * 1024 },
      async (request, reply) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        if (!validSignature(raw, request.headers['x-hub-signature-256'], appSecret)) {
          request.log.warn('whatsapp-cloud webhook: wrong or missing X-Hub-Signature-256');
          return reply.code(401).send({ ok: false });
        }
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          // Signed but unreadable will never become readable: accepted, so Meta stops resending.
          request.log.warn('whatsapp-cloud webhook: body is not JSON, ignored');
          return reply.send({ ok: true });
        }
        const { events, skipped } = eventsOf(body, phoneNumberId);
        if (skipped > 0)
          request.log.warn(
            { skipped },
            'whatsapp-cloud webhook: items ignored (malformed or another number)',
          );
        let repeated = 0;
        for (const event of events) {
          if (event.kind === 'message')
            await openWindow(ctx, event.message.from, new Date(Number(event.message.timestamp) * 1000));
          if (!(await enqueueOnce(ctx, event))) repeated++;
        }
        if (repeated > 0)
          request.log.info(
            { repeated },
            'whatsapp-cloud webhook: re-delivered events ignored (already queued)',
          );
        return reply.send({ ok: true });
      },
    );
  };
}
