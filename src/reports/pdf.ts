import PDFDocument from 'pdfkit';
import {
  type Column,
  FONT,
  FONT_BOLD,
  footers,
  heading,
  labelled,
  paragraph,
  pdfSafe,
  table,
} from '../pdf/layout.js';
import { REPORT_TEXT, type ReportLang } from './report-text.js';
import { OUTCOMES, type RightsReport, type TypeRow } from './rights-report.js';

/**
 * The monthly rights report as a PDF (pdfkit, the access package's layout helpers): readable
 * Indonesian, or English with `--lang en`. Figures only; the record of processing activity is
 * the CSV (`--activity`), and the PDF says how many events it holds.
 */
export function renderReportPdf(
  r: RightsReport,
  options: { lang: ReportLang; business: string; activityEvents: number },
): Promise<Buffer> {
  const t = REPORT_TEXT[options.lang];
  const long = new Intl.DateTimeFormat(t.intl, {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'Asia/Jakarta',
  });
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 48, bottom: 52, left: 40, right: 40 },
    bufferPages: true,
    lang: options.lang,
    info: {
      Title: `${t.title} ${r.month.label} - ${options.business}`,
      Author: options.business,
      Creator: 'hakdata',
      CreationDate: r.generatedAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  try {
    const left = doc.page.margins.left;
    doc.font(FONT_BOLD).fontSize(18).fillColor('#102a43').text(pdfSafe(t.title), left, doc.y);
    doc
      .font(FONT)
      .fontSize(12)
      .text(pdfSafe(t.subtitle(options.business, r.month.label)));
    doc.moveDown(0.5);
    labelled(doc, [
      [
        t.period,
        `${long.format(r.month.start)} – ${long.format(new Date(r.month.end.getTime() - 60_000))} WIB`,
      ],
      [t.generatedAt, `${long.format(r.generatedAt)} WIB`],
      [t.total, String(r.total)],
    ]);
    doc.moveDown(0.3);
    paragraph(doc, t.periodNote, { muted: true });

    heading(doc, t.byType);
    const typeColumns: Column<TypeRow>[] = [
      { header: t.type, width: 165, cell: (row) => t.types[row.type] },
      ...OUTCOMES.map(
        (o): Column<TypeRow> => ({
          header: t.outcome[o],
          width: 70,
          align: 'right',
          cell: (row) => String(row[o]),
        }),
      ),
    ];
    table(doc, typeColumns, r.byType, { empty: t.none });

    heading(doc, t.completionHeading);
    paragraph(doc, t.completionNote, { muted: true });
    const completionRows = [
      { label: t.total, d: r.completion },
      ...r.byType
        .filter((row) => row.completion.count > 0)
        .map((row) => ({ label: t.types[row.type], d: row.completion })),
    ];
    table(
      doc,
      [
        { header: t.type, width: 200, cell: (x) => x.label },
        { header: t.completedCount, width: 90, align: 'right', cell: (x) => String(x.d.count) },
        { header: t.median, width: 110, align: 'right', cell: (x) => t.hours(x.d.medianHours) },
        { header: t.p95, width: 110, align: 'right', cell: (x) => t.hours(x.d.p95Hours) },
      ],
      completionRows,
      { empty: t.none },
    );

    heading(doc, t.deadlineHeading);
    labelled(
      doc,
      (Object.keys(r.deadline) as (keyof RightsReport['deadline'])[]).map((k) => [
        t.deadline[k],
        String(r.deadline[k]),
      ]),
      220,
    );
    doc.moveDown(0.2);
    paragraph(doc, t.deadlineNote, { muted: true });

    heading(doc, t.rejectedHeading);
    paragraph(doc, t.rejectedNote, { muted: true });
    doc.moveDown(0.2);
    table(
      doc,
      [
        { header: t.category, width: 250, cell: (x) => x.category },
        { header: t.count, width: 80, align: 'right', cell: (x) => String(x.count) },
      ],
      r.rejectedBy,
      { empty: t.none },
    );
    heading(doc, t.failedHeading);
    table(
      doc,
      [
        { header: t.code, width: 250, cell: (x) => x.code },
        { header: t.count, width: 80, align: 'right', cell: (x) => String(x.count) },
      ],
      r.failedBy,
      { empty: t.none },
    );

    heading(doc, t.channelHeading);
    table(
      doc,
      [
        { header: t.channel, width: 200, cell: (x) => x.channel },
        { header: t.total, width: 100, align: 'right', cell: (x) => String(x.total) },
        { header: t.outcome.completed, width: 100, align: 'right', cell: (x) => String(x.completed) },
      ],
      r.byChannel,
      { empty: t.none },
    );

    heading(doc, t.activityHeading);
    paragraph(doc, t.activityNote(options.activityEvents));

    footers(doc, (page, pages) => t.footer(options.business, page, pages));
    doc.end();
  } catch (err) {
    doc.destroy?.();
    return Promise.reject(err);
  }
  return done;
}
