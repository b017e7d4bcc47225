import PDFDocument from 'pdfkit';
import {
  type Column,
  contentWidth,
  FONT,
  FONT_BOLD,
  footers,
  heading,
  labelled,
  paragraph,
  pdfSafe,
  table,
} from '../../pdf/layout.js';
import type { AccessPackage, AccessPackageOrder, AccessPackageRequest } from './json.js';
import { PDF_TEXT, type PdfText, type SectionText } from './pdf-text.js';

/**
 * `data-saya.pdf`: the same package as data-saya.json, for a person to read. It is drawn from the
 * validated JSON document, so the two can never disagree. Built in memory; nothing touches disk.
 */

export const ACCESS_PACKAGE_PDF_NAME = 'data-saya.pdf';
const TIME_ZONE = 'Asia/Jakarta';

interface Formatters {
  dateTime(iso: string | null): string;
  long(iso: string): string;
  amount(rupiah: number): string;
}

function formatters(t: PdfText): Formatters {
  const short = new Intl.DateTimeFormat(t.intl, {
    timeZone: TIME_ZONE,
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const long = new Intl.DateTimeFormat(t.intl, {
    timeZone: TIME_ZONE,
    dateStyle: 'long',
    timeStyle: 'short',
  });
  const number = new Intl.NumberFormat(t.intl, { maximumFractionDigits: 0 });
  const part = (parts: Intl.DateTimeFormatPart[], type: Intl.DateTimeFormatPartTypes) =>
    parts.find((p) => p.type === type)?.value ?? '';
  return {
    // One fixed shape (dd/mm/yyyy hh:mm) whatever the locale's punctuation, so columns line up.
    dateTime: (iso) => {
      if (!iso) return '-';
      const p = short.formatToParts(new Date(iso));
      return `${part(p, 'day')}/${part(p, 'month')}/${part(p, 'year')} ${part(p, 'hour')}:${part(p, 'minute')}`;
    },
    long: (iso) => `${long.format(new Date(iso))} WIB`,
    amount: (rupiah) => number.format(rupiah),
  };
}

export function renderAccessPdf(pkg: AccessPackage): Promise<Buffer> {
  const t = PDF_TEXT[pkg.locale];
  const f = formatters(t);
  const { business, sections } = pkg;
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 48, bottom: 52, left: 40, right: 40 },
    bufferPages: true,
    lang: pkg.locale,
    info: {
      Title: `${t.documentTitle} - ${business.name}`,
      Author: business.name,
      Creator: 'hakdata',
      CreationDate: new Date(pkg.generatedAt),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  try {
    cover(doc, pkg, t, f);
    const order = [
      t.sections.profile,
      t.sections.orders,
      t.sections.consent,
      t.sections.requests,
      t.sections.thirdParties,
    ];
    const numbered = (s: SectionText) => `${order.indexOf(s) + 1}. ${s.title}`;

    sectionStart(doc, numbered(t.sections.profile), t.sections.profile, t);
    profile(doc, pkg, t, f);

    sectionStart(doc, numbered(t.sections.orders), t.sections.orders, t);
    orders(doc, pkg, t, f);

    sectionStart(doc, numbered(t.sections.consent), t.sections.consent, t);
    const consent = sections.marketingConsent;
    paragraph(doc, t.consent.now(consent.granted, f.long(consent.updatedAt), consent.source));
    doc.moveDown(0.4);
    const consentColumns: Column<AccessPackage['sections']['marketingConsent']['history'][number]>[] = [
      { header: t.consent.columns.at, width: 90, cell: (e) => f.dateTime(e.at) },
      { header: t.consent.columns.granted, width: 50, cell: (e) => (e.granted ? t.yes : t.no) },
      { header: t.consent.columns.source, width: 145, cell: (e) => e.source },
      { header: t.consent.columns.channel, width: 70, cell: (e) => e.channel ?? '-' },
      { header: t.consent.columns.words, width: 160, cell: (e) => e.words ?? '-' },
    ];
    table(doc, consentColumns, consent.history, { empty: t.none });

    sectionStart(doc, numbered(t.sections.requests), t.sections.requests, t);
    requests(doc, pkg, t, f);

    sectionStart(doc, numbered(t.sections.thirdParties), t.sections.thirdParties, t);
    thirdParties(doc, pkg, t);

    rights(doc, pkg, t);
    footers(doc, (page, pages) => t.footer(business.name, page, pages));
    doc.end();
  } catch (err) {
    doc.destroy?.();
    return Promise.reject(err);
  }
  return done;
}

type Doc = typeof PDFDocument.prototype;

function cover(doc: Doc, pkg: AccessPackage, t: PdfText, f: Formatters): void {
  const left = doc.page.margins.left;
  doc.font(FONT_BOLD).fontSize(20).fillColor('#102a43').text(pdfSafe(pkg.business.name), left, doc.y);
  doc.font(FONT).fontSize(14).text(pdfSafe(t.documentTitle));
  doc.moveDown(0.6);
  const meta: [string, string][] = [
    [t.generatedAt, f.long(pkg.generatedAt)],
    [t.customerNo, pkg.sections.profile.customerNo],
  ];
  if (pkg.requestRef) meta.push([t.requestRef, pkg.requestRef]);
  labelled(doc, meta, 110);
  doc.moveDown(0.5);
  const restriction = pkg.sections.processingRestriction;
  if (restriction.scope && restriction.since) {
    paragraph(doc, t.restriction(restriction.scope, f.long(restriction.since), restriction.reason));
    doc.moveDown(0.3);
  }
  paragraph(doc, t.intro(pkg.business.name));
  doc.moveDown(0.3);
  paragraph(doc, t.timeZoneNote, { muted: true });
  doc.moveDown(0.5);
  const titles = [
    t.sections.profile,
    t.sections.orders,
    t.sections.consent,
    t.sections.requests,
    t.sections.thirdParties,
  ].map((s, i) => `${i + 1}. ${s.title}`);
  paragraph(doc, `${t.contents}: ${[...titles, t.sections.rights.title].join('  ·  ')}`, { muted: true });
}

/** Heading plus the three questions every section answers: what it is, why we hold it, for how long. */
function sectionStart(doc: Doc, title: string, s: SectionText, t: PdfText): void {
  heading(doc, title);
  labelled(
    doc,
    [
      [t.explain.what, s.what],
      [t.explain.why, s.why],
      [t.explain.kept, s.kept],
    ],
    100,
  );
  doc.moveDown(0.5);
}

function profile(doc: Doc, pkg: AccessPackage, t: PdfText, f: Formatters): void {
  const p = pkg.sections.profile;
  const L = t.profileFields;
  const v = (s: string | null) => s ?? '-';
  const rows: [string, string][] = [[L.customerNo, p.customerNo]];
  if (p.erased) {
    rows.push([L.erasedAt, f.long(p.erasedAt ?? pkg.generatedAt)]);
  } else {
    rows.push(
      [L.name, v(p.name)],
      [L.phone, v(p.phone)],
      [L.email, v(p.email)],
      [L.address, v(p.address)],
      [L.area, v(p.area)],
      [L.paymentMethod, v(p.paymentMethod)],
    );
  }
  rows.push([L.createdAt, f.long(p.createdAt)], [L.updatedAt, f.long(p.updatedAt)]);
  labelled(doc, rows);
  if (p.erased) {
    doc.moveDown(0.3);
    paragraph(doc, t.erasedNote, { muted: true });
  }
}

function orders(doc: Doc, pkg: AccessPackage, t: PdfText, f: Formatters): void {
  const { items } = pkg.sections.orders;
  const profileAddress = pkg.sections.profile.address;
  const total = items.reduce((sum, o) => sum + o.amount, 0);
  paragraph(doc, t.orders.summary(items.length, f.amount(total)));
  if (items.some((o) => o.address && o.address !== profileAddress))
    paragraph(doc, t.orders.addressNote, { muted: true });
  doc.moveDown(0.4);
  const C = t.orders.columns;
  const columns: Column<AccessPackageOrder>[] = [
    { header: C.orderNo, width: 88, cell: (o) => o.orderNo },
    { header: C.scheduledAt, width: 72, cell: (o) => f.dateTime(o.scheduledAt) },
    { header: C.service, width: 100, cell: (o) => o.service },
    { header: C.status, width: 60, cell: (o) => t.orderStatus[o.status] },
    { header: C.amount, width: 64, align: 'right', cell: (o) => f.amount(o.amount) },
    { header: C.payment, width: 63, cell: (o) => t.paymentStatus[o.paymentStatus] },
    { header: C.method, width: 68, cell: (o) => o.paymentMethod ?? '-' },
  ];
  table(doc, columns, items, {
    empty: t.none,
    detail: (o) => {
      const parts: string[] = [];
      if (o.address && o.address !== profileAddress) parts.push(`${t.orders.address}: ${o.address}`);
      if (o.notes) parts.push(`${t.orders.notes}: ${o.notes}`);
      if (o.anonymizedAt) parts.push(`${t.orders.anonymized}: ${f.dateTime(o.anonymizedAt)}`);
      return parts.length > 0 ? parts.join('  ·  ') : undefined;
    },
  });
}

function requests(doc: Doc, pkg: AccessPackage, t: PdfText, f: Formatters): void {
  const C = t.requests.columns;
  const columns: Column<AccessPackageRequest>[] = [
    { header: C.ref, width: 85, cell: (r) => r.ref },
    { header: C.type, width: 90, cell: (r) => t.requestType[r.type] },
    { header: C.status, width: 80, cell: (r) => t.requestStatus[r.status] },
    { header: C.createdAt, width: 86, cell: (r) => f.dateTime(r.createdAt) },
    { header: C.dueAt, width: 86, cell: (r) => f.dateTime(r.dueAt) },
    { header: C.completedAt, width: 88, cell: (r) => f.dateTime(r.completedAt) },
  ];
  table(doc, columns, pkg.sections.privacyRequests.items, {
    empty: t.none,
    detail: (r) => {
      const parts: string[] = [];
      if (r.changedFields.length > 0)
        parts.push(`${t.requests.changedFields}: ${r.changedFields.join(', ')}`);
      if (r.decision)
        parts.push(
          `${t.requests.decision}: ${t.requests.outcome[r.decision.outcome]}${r.decision.reason ? ` - ${r.decision.reason}` : ''}`,
        );
      return parts.length > 0 ? parts.join('  ·  ') : undefined;
    },
  });
}

function thirdParties(doc: Doc, pkg: AccessPackage, t: PdfText): void {
  const width = contentWidth(doc);
  for (const party of pkg.sections.thirdParties.items) {
    labelled(doc, [
      [t.thirdParties.columns.name, party.name],
      [t.thirdParties.columns.purpose, party.purpose],
      [t.thirdParties.columns.data, party.dataShared],
    ]);
    doc.moveDown(0.4);
  }
  doc.font(FONT).fontSize(9).fillColor('#52606d');
  doc.text(pdfSafe(t.thirdParties.note), doc.page.margins.left, doc.y, { width });
}

function rights(doc: Doc, pkg: AccessPackage, t: PdfText): void {
  const r = t.sections.rights;
  heading(doc, r.title);
  paragraph(doc, r.intro);
  doc.moveDown(0.3);
  labelled(
    doc,
    r.items.map((i) => [i.keyword, i.text]),
    110,
  );
  doc.moveDown(0.5);
  paragraph(doc, r.contact);
  doc.moveDown(0.4);
  const b = pkg.business;
  labelled(
    doc,
    [
      [t.contact.phone, b.phone],
      [t.contact.email, b.email],
      [t.contact.website, b.website],
    ],
    110,
  );
}
