import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import { readDevOtpOutbox } from '../../identity/otp-providers/index.js';
import { webchatPage } from './page.js';
import { postInbound, repliesAfter } from './store.js';

const chatId = z.string().regex(/^[a-z0-9-]{8,40}$/, 'a chat id from the page');
const sendSchema = z.object({
  chatId,
  text: z.string().max(20_000).optional(),
  action: z.object({ value: z.string().max(256) }).optional(),
  contact: z.object({ phone: z.string().max(40) }).optional(),
  language: z.enum(['id', 'en']).optional(),
});
const repliesSchema = z.object({ chatId, after: z.coerce.number().int().min(0).default(0) });

/**
 * `/chat`: the development web chat. A newcomer picks a demo customer and talks to the same
 * engine and session store as the real channels; the development OTP outbox shows beside it.
 * Off unless WEBCHAT_ENABLED (never in production).
 */
export function webchatRoutes(ctx: AppContext): FastifyPluginAsync | undefined {
  if (!ctx.config.webchat.enabled) return undefined;
  return async (app) => {
    app.get('/chat', async (_req, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(webchatPage(ctx)),
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

    app.get('/chat/api/replies', async (req, reply) => {
      const parsed = repliesSchema.safeParse(req.query);
      if (!parsed.success) return reply.code(400).send({ error: 'invalid query' });
      return { replies: await repliesAfter(ctx, parsed.data.chatId, parsed.data.after) };
    });

    app.get('/chat/api/otp', async () => ({ codes: (await readDevOtpOutbox(ctx)).slice(0, 10) }));
  };
}
