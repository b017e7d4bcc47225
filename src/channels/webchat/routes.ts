import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import { localeSchema } from '../../catalogue/index.js';
import { readDevOtpOutbox } from '../../identity/otp-providers/index.js';
import type { ChannelRouteDeps } from '../registry.js';
import { webchatPage } from './page.js';
import { webchatEnabled } from './settings.js';
import { postInbound, repliesAfter } from './store.js';

const chatId = z.string().regex(/^[a-z0-9-]{8,40}$/, 'a chat id from the page');
const sendSchema = z.object({
  chatId,
  text: z.string().max(20_000).optional(),
  action: z.object({ value: z.string().max(256) }).optional(),
  contact: z.object({ phone: z.string().max(40) }).optional(),
  language: localeSchema.optional(),
});
const repliesSchema = z.object({ chatId, after: z.coerce.number().int().min(0).default(0) });
const tokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

/**
 * The replies of a chat hold what the bot sent it, documents included, so they are handed only
 * to the page the chat was issued to: the server makes the chat id and a token bound to it
 * (HMAC under ADMIN_SECRET, nothing stored), and `/chat/api/replies` wants both. A chat id seen
 * elsewhere (a log, a screenshot, the dashboard) opens nothing.
 */
export function webchatToken(ctx: Pick<AppContext, 'config'>, id: string): string {
  return createHmac('sha256', ctx.config.admin.secret).update(`webchat-chat\u0000${id}`).digest('base64url');
}

function tokenFits(ctx: Pick<AppContext, 'config'>, id: string, token: unknown): boolean {
  const parsed = tokenSchema.safeParse(token);
  if (!parsed.success) return false;
  const expected = Buffer.from(webchatToken(ctx, id));
  const given = Buffer.from(parsed.data);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * `/chat`: the development web chat. A newcomer picks a demo customer and talks to the same
 * engine and session store as the real channels; the development OTP outbox shows beside it.
 * Off unless WEBCHAT_ENABLED (never in production).
 */
export function webchatRoutes(ctx: ChannelRouteDeps): FastifyPluginAsync | undefined {
  if (!webchatEnabled(ctx.config)) return undefined;
  return async (app) => {
    app.get('/chat', async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(webchatPage(ctx.config.business.name)),
    );

    app.get('/chat/api/customers', async () => {
      const customers = await ctx.models.Customer.find(
        { erasedAt: null, phone: { $exists: true } },
        { customerNo: 1, name: 1, phone: 1, 'marketingConsent.granted': 1 },
      )
        .sort({ customerNo: 1 })
        .limit(12)
        .lean();
      return {
        customers: customers.map((c) => ({
          customerNo: c.customerNo,
          name: c.name,
          phone: c.phone,
          marketing: c.marketingConsent?.granted ?? false,
        })),
      };
    });

    app.post('/chat/api/send', async (req, reply) => {
      const parsed = sendSchema.safeParse(req.body);
      if (!parsed.success)
        return reply.code(400).send({ error: 'invalid message', issues: parsed.error.issues });
      const { chatId: id, text, action, contact, language } = parsed.data;
      // Made here, not by the page: a random UUID is unique everywhere; the key adds the chat.
      const messageId = randomUUID();
      await postInbound(ctx, {
        channel: 'webchat',
        chatId: id,
        senderId: id,
        messageId,
        messageKey: `${id}:${messageId}`,
        receivedAt: new Date(),
        ...(text !== undefined ? { text } : {}),
        ...(action ? { action } : {}),
        // The page's "share my number" button shares the sender's own contact.
        ...(contact ? { contact: { phone: contact.phone, userId: id } } : {}),
        ...(language ? { languageHint: language } : {}),
      });
      return reply.code(202).send({ accepted: true });
    });

    // A new chat for the page: its id and the token that reads its replies.
    app.post('/chat/api/chats', async (_req, reply) => {
      const id = `web-${randomUUID()}`;
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ chatId: id, token: webchatToken(ctx, id) });
    });

    app.get('/chat/api/replies', async (req, reply) => {
      const parsed = repliesSchema.safeParse(req.query);
      if (!parsed.success) return reply.code(400).send({ error: 'invalid query' });
      if (!tokenFits(ctx, parsed.data.chatId, req.headers['x-chat-token'])) {
        ctx.logger.info({ component: 'webchat' }, 'web chat replies refused: no valid token for the chat');
        return reply.code(403).send({ error: 'this chat belongs to another page: open a new chat' });
      }
      return { replies: await repliesAfter(ctx, parsed.data.chatId, parsed.data.after) };
    });

    app.get('/chat/api/otp', async () => ({ codes: (await readDevOtpOutbox(ctx)).slice(0, 10) }));
  };
}
