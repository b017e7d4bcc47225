import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { recordAudit } from '../../../audit/record.js';
import { localeSchema } from '../../../catalogue/index.js';
import {
  buildRightsReport,
  parseReportMonth,
  produceReport,
  type ReportDeps,
  ReportInputError,
} from '../../../reports/index.js';
import { staffActor } from '../../accounts.js';
import type { ConsoleDeps } from '../deps.js';
import { sendPage } from '../deps.js';
import { errorPage } from '../views/error.js';
import { reportPage } from '../views/report.js';

const pageQuery = z.object({ month: z.string().max(20).optional() });
const downloadQuery = z.object({
  month: z.string().max(20),
  format: z.enum(['csv', 'pdf']).default('csv'),
  lang: localeSchema.default('id'),
  activity: z.literal('1').optional(),
});

/** This month in Jakarta time, `YYYY-MM`: the page's default. */
const currentMonth = (now: Date) => new Date(now.getTime() + 7 * 3600_000).toISOString().slice(0, 7);

/** The report reads what `hakdata report` reads; each download is audited. */
export type ReportRouteDeps = Pick<ConsoleDeps, 'now'> & ReportDeps;

/**
 * The monthly rights report for admins: the same figures as `hakdata report` (src/reports/), and
 * its files. Exports leave the system, so each download is audited (month, format, kind).
 */
export const reportRoutes =
  ({ now, ...deps }: ReportRouteDeps): FastifyPluginAsync =>
  async (app) => {
    const admin = { config: { access: 'admin' as const } };

    app.get('/console/reports', admin, async (request, reply) => {
      const { month: raw } = pageQuery.catch({}).parse(request.query ?? {});
      const label = raw ?? currentMonth(now());
      try {
        const month = parseReportMonth(label);
        const report = await buildRightsReport(deps, month, now());
        return sendPage(reply, reportPage(request, { month: month.label, report }));
      } catch (err) {
        if (!(err instanceof ReportInputError)) throw err;
        return sendPage(
          reply,
          reportPage(request, { month: currentMonth(now()), report: undefined, error: err }),
          400,
        );
      }
    });

    app.get('/console/reports/download', admin, async (request, reply) => {
      const parsed = downloadQuery.safeParse(request.query ?? {});
      if (!parsed.success) return sendPage(reply, errorPage(request, 'invalid'), 400);
      const q = parsed.data;
      let month: ReturnType<typeof parseReportMonth>;
      try {
        month = parseReportMonth(q.month);
      } catch (err) {
        if (!(err instanceof ReportInputError)) throw err;
        return sendPage(reply, errorPage(request, 'invalid'), 400);
      }
      const activity = q.activity === '1';
      // Recorded before the file leaves the server: no record, no export.
      await recordAudit(deps, {
        actor: staffActor(request.staff!.username),
        action: 'console.report.exported',
        details: { month: month.label, format: activity ? 'activity-csv' : q.format, lang: q.lang },
        idempotencyKey: null,
      });
      const file = await produceReport(deps, { month, format: q.format, lang: q.lang, activity, now: now() });
      return reply
        .code(200)
        .type(file.contentType)
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="${file.fileName}"`)
        .send(file.body);
    });
  };
