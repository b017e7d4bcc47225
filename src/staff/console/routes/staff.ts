import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  changeStaff,
  createStaffAccount,
  listStaff,
  type StaffAccountDeps,
  type StaffChange,
  StaffError,
  staffActor,
} from '../../accounts.js';
import { sendPage } from '../deps.js';
import { texts } from '../i18n.js';
import { staffPage } from '../views/staff.js';

const createBody = z.object({
  username: z.string().max(64),
  role: z.enum(['agent', 'admin']),
  password: z.string().max(1024),
});
const changeBody = z.object({
  action: z.enum(['disable', 'enable', 'unlock', 'make-admin', 'make-agent', 'telegram']),
  telegramUserId: z.string().trim().max(20).optional(),
});
/** A refusal in the console's language (the CLI and the logs keep the English message). */
const errorText = (request: FastifyRequest, err: StaffError) =>
  request.lang === 'id' ? err.id : err.message;

const noticeQuery = z.object({ done: z.enum(['created', 'changed']).optional().catch(undefined) });

function toChange(body: z.infer<typeof changeBody>): StaffChange {
  switch (body.action) {
    case 'make-admin':
      return { kind: 'role', role: 'admin' };
    case 'make-agent':
      return { kind: 'role', role: 'agent' };
    case 'telegram':
      return { kind: 'telegram', telegramUserId: body.telegramUserId ? body.telegramUserId : null };
    default:
      return { kind: body.action };
  }
}

/** Staff accounts (admins): list, create, disable/enable, role, unlock, Telegram link. */
export const staffRoutes =
  (deps: StaffAccountDeps): FastifyPluginAsync =>
  async (app) => {
    const admin = { config: { access: 'admin' as const } };

    const render = async (request: FastifyRequest, notice?: { kind: 'ok' | 'error'; text: string }) =>
      staffPage(request, { staff: await listStaff(deps), notice });

    app.get('/console/staff', admin, async (request, reply) => {
      const { done } = noticeQuery.parse(request.query ?? {});
      const t = texts[request.lang].staff;
      return sendPage(reply, await render(request, done ? { kind: 'ok', text: t[done] } : undefined));
    });

    app.post('/console/staff', admin, async (request, reply) => {
      const body = createBody.safeParse(request.body ?? {});
      if (!body.success)
        return sendPage(
          reply,
          await render(request, { kind: 'error', text: texts[request.lang].errors.invalid }),
          400,
        );
      try {
        await createStaffAccount(deps, { ...body.data, createdBy: staffActor(request.staff!.username) });
      } catch (err) {
        if (!(err instanceof StaffError)) throw err;
        return sendPage(reply, await render(request, { kind: 'error', text: errorText(request, err) }), 400);
      }
      return reply.redirect('/console/staff?done=created', 303);
    });

    app.post<{ Params: { username: string } }>(
      '/console/staff/:username/change',
      admin,
      async (request, reply) => {
        const body = changeBody.safeParse(request.body ?? {});
        if (!body.success)
          return sendPage(
            reply,
            await render(request, { kind: 'error', text: texts[request.lang].errors.invalid }),
            400,
          );
        try {
          await changeStaff(deps, request.params.username, toChange(body.data), request.staff!);
        } catch (err) {
          if (!(err instanceof StaffError)) throw err;
          return sendPage(
            reply,
            await render(request, { kind: 'error', text: errorText(request, err) }),
            err.code === 'NOT_FOUND' ? 404 : 400,
          );
        }
        return reply.redirect('/console/staff?done=changed', 303);
      },
    );
  };
