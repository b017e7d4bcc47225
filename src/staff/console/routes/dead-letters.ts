import type { FastifyPluginAsync } from 'fastify';
import { isValidObjectId } from 'mongoose';
import { z } from 'zod';
import { recordAudit } from '../../../audit/record.js';
import type { DeadLetter, Models } from '../../../db/index.js';
import { staffActor } from '../../accounts.js';
import type { ConsoleDeps } from '../deps.js';
import { sendPage } from '../deps.js';
import { type DeadLetterRow, deadLettersPage } from '../views/dead-letters.js';
import { errorPage } from '../views/error.js';

const listQuery = z.object({
  status: z.enum(['open', 'resolved']).catch('open').default('open'),
  done: z.literal('1').optional().catch(undefined),
});

/** Dead letters are read and marked resolved here; the resolution is audited. */
export type DeadLetterRouteDeps = Pick<ConsoleDeps, 'now'> & {
  models: Pick<Models, 'DeadLetter' | 'AuditEvent'>;
};

/** Messages the outbound worker gave up on (`deadletters`), for staff to follow up and close. */
export const deadLetterRoutes =
  ({ now, ...deps }: DeadLetterRouteDeps): FastifyPluginAsync =>
  async (app) => {
    app.get('/console/deadletters', async (request, reply) => {
      const q = listQuery.parse(request.query ?? {});
      const docs = await deps.models.DeadLetter.find({ status: q.status })
        .sort({ createdAt: -1 })
        .limit(200)
        .lean<DeadLetter[]>();
      const rows: DeadLetterRow[] = docs.map((d) => ({
        id: String(d._id),
        channel: d.channel,
        maskedChat: d.maskedChat,
        reason: d.reason,
        detail: d.detail,
        platformCode: d.platformCode ?? null,
        purpose: d.purpose,
        requestRef: d.requestRef ?? null,
        messageKind: d.messageKind,
        attempts: d.attempts,
        status: d.status,
        resolvedBy: d.resolvedBy ?? null,
        createdAt: d.createdAt,
      }));
      return sendPage(reply, deadLettersPage(request, { status: q.status, rows, done: q.done === '1' }));
    });

    app.post<{ Params: { id: string } }>('/console/deadletters/:id/resolve', async (request, reply) => {
      if (!isValidObjectId(request.params.id)) return sendPage(reply, errorPage(request, 'notFound'), 404);
      const by = staffActor(request.staff!.username);
      const updated = await deps.models.DeadLetter.findOneAndUpdate(
        { _id: request.params.id, status: 'open' },
        { $set: { status: 'resolved', resolvedAt: now(), resolvedBy: by } },
        { new: true },
      ).lean<DeadLetter>();
      if (updated)
        await recordAudit(deps, {
          actor: by,
          action: 'deadletter.resolved',
          ...(updated.requestRef ? { ref: updated.requestRef } : {}),
          details: { deadLetter: String(updated._id), channel: updated.channel, reason: updated.reason },
          idempotencyKey: `deadletter:${String(updated._id)}:resolved`,
        });
      return reply.redirect('/console/deadletters?done=1', 303);
    });
  };
