import type { Config } from '../config/index.js';
import { type ActivityDeps, activityCsv, countActivity } from './activity.js';
import { parseReportMonth, type ReportMonth } from './month.js';
import { renderReportPdf } from './pdf.js';
import { reportCsv, reportText } from './render.js';
import type { ReportLang } from './report-text.js';
import { buildRightsReport, type RightsReportDeps } from './rights-report.js';

export {
  ACTIVITY_COLUMNS,
  type ActivityDeps,
  RESTRICTED_MARK,
  restrictedCustomerIds,
  writeActivityCsv,
} from './activity.js';
export {
  MONTH_PROBLEM_TEXT,
  type MonthProblem,
  parseReportMonth,
  ReportInputError,
  type ReportMonth,
} from './month.js';
export { REPORT_TEXT, type ReportLang, type ReportText } from './report-text.js';
export {
  buildRightsReport,
  OUTCOMES,
  percentile,
  type RightsReport,
  type RightsReportDeps,
  summarise,
} from './rights-report.js';

export const REPORT_FORMATS = ['text', 'csv', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportFile {
  body: string | Buffer;
  contentType: string;
  fileName: string;
}

/** What a report reads (requests, audit events, restricted customers) and the business it names. */
export interface ReportDeps extends ActivityDeps, RightsReportDeps {
  models: ActivityDeps['models'] & RightsReportDeps['models'];
  config: { business: Pick<Config['business'], 'name'> };
}

/**
 * One month's report in one format, for the CLI and the console alike (the same figures in
 * both): `activity` is the record of processing activity (audit events, masked, CSV) instead.
 */
export async function produceReport(
  deps: ReportDeps,
  input: {
    month: string | ReportMonth;
    format: ReportFormat;
    lang: ReportLang;
    activity?: boolean;
    now?: Date;
  },
): Promise<ReportFile> {
  const month = typeof input.month === 'string' ? parseReportMonth(input.month) : input.month;
  if (input.activity)
    return {
      body: await activityCsv(deps, month),
      contentType: 'text/csv; charset=utf-8',
      fileName: `kegiatan-pemrosesan-${month.label}.csv`,
    };
  const report = await buildRightsReport(deps, month, input.now ?? new Date());
  const business = deps.config.business.name;
  switch (input.format) {
    case 'csv':
      return {
        body: reportCsv(report),
        contentType: 'text/csv; charset=utf-8',
        fileName: `laporan-hak-${month.label}.csv`,
      };
    case 'pdf':
      return {
        body: await renderReportPdf(report, {
          lang: input.lang,
          business,
          activityEvents: await countActivity(deps, month),
        }),
        contentType: 'application/pdf',
        fileName: `laporan-hak-${month.label}${input.lang === 'en' ? '-en' : ''}.pdf`,
      };
    case 'text':
      return {
        body: reportText(report, input.lang, business),
        contentType: 'text/plain; charset=utf-8',
        fileName: `laporan-hak-${month.label}.txt`,
      };
  }
}
