import type PDFDocument from 'pdfkit';

/**
 * Drawing helpers for data-saya.pdf: text made safe for the built-in fonts, headings that never
 * sit alone at a page's foot, and tables that repeat their header on every page. Tables place
 * each cell at a computed position (no pdfkit line wrapping), which keeps 1,000 rows fast.
 */

type Doc = typeof PDFDocument.prototype;

export const FONT = 'Helvetica';
export const FONT_BOLD = 'Helvetica-Bold';
const INK = '#1f2933';
const MUTED = '#52606d';
const RULE = '#9aa5b1';
const SHADE = '#f0f4f8';

/** The characters the built-in fonts (WinAnsi) have beyond Latin-1. */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/**
 * Built-in PDF fonts cannot draw every character: accents are kept where Latin-1 has them,
 * stripped where it does not (ā → a), and anything else becomes "?" rather than garbage.
 * The JSON keeps every character as stored.
 */
export function pdfSafe(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  let out = '';
  for (const ch of value.normalize('NFC')) {
    const c = ch.codePointAt(0) ?? 0;
    if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || WIN_ANSI_EXTRA.has(ch)) out += ch;
    else if (/\s/.test(ch)) out += ' ';
    else {
      const base = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
      out += /^[\x20-\x7e]+$/.test(base) ? base : '?';
    }
  }
  return out;
}

export const contentWidth = (doc: Doc) => doc.page.width - doc.page.margins.left - doc.page.margins.right;
const pageBottom = (doc: Doc) => doc.page.height - doc.page.margins.bottom;

/** Starts a new page unless `height` points still fit on this one. */
export function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > pageBottom(doc)) doc.addPage();
}

export function heading(doc: Doc, text: string): void {
  // Room for the title, its explanation and a first few lines of content.
  ensureSpace(doc, 150);
  doc.moveDown(0.8);
  doc.font(FONT_BOLD).fontSize(13).fillColor(INK).text(pdfSafe(text), doc.page.margins.left, doc.y);
  doc.moveDown(0.3);
}

export function paragraph(doc: Doc, text: string, options: { size?: number; muted?: boolean } = {}): void {
  doc
    .font(FONT)
    .fontSize(options.size ?? 9.5)
    .fillColor(options.muted ? MUTED : INK)
    .text(pdfSafe(text), doc.page.margins.left, doc.y, { width: contentWidth(doc) });
}

/** A block this short is moved whole to the next page rather than split. */
const KEEP_TOGETHER = 220;

/** "Label: value" lines with the label in bold, wrapped to the page; a short block is never split. */
export function labelled(doc: Doc, rows: [label: string, value: string][], labelWidth = 130): void {
  const left = doc.page.margins.left;
  const valueWidth = contentWidth(doc) - labelWidth;
  doc.font(FONT).fontSize(9.5).fillColor(INK);
  const lines = rows.map(([label, value]) => {
    const safeValue = pdfSafe(value);
    return {
      label: pdfSafe(label),
      value: safeValue,
      height: Math.max(doc.heightOfString(safeValue, { width: valueWidth }), 12) + 3,
    };
  });
  const total = lines.reduce((sum, l) => sum + l.height, 0);
  if (total <= KEEP_TOGETHER) ensureSpace(doc, total);
  for (const line of lines) {
    ensureSpace(doc, line.height);
    const y = doc.y;
    doc.font(FONT_BOLD).text(line.label, left, y, { width: labelWidth - 8 });
    doc.font(FONT).text(line.value, left + labelWidth, y, { width: valueWidth });
    doc.y = y + line.height;
  }
  doc.x = left;
}

export interface Column<Row> {
  header: string;
  width: number;
  align?: 'left' | 'right';
  cell(row: Row): string;
}

export interface TableOptions<Row> {
  /** A second, smaller line under a row (an order's own address, a request's decision). */
  detail?(row: Row): string | undefined;
  /** Shown instead of the table when there are no rows. */
  empty: string;
}

const ROW_HEIGHT = 13;
const DETAIL_HEIGHT = 10;
const HEADER_HEIGHT = 16;
const CELL_PAD = 3;
/** Numbers end a little before the next column starts, so they do not run into its text. */
const RIGHT_GAP = 8;

/** Cuts `text` to fit `width` at the current font, ending in "…". */
function fitToWidth(doc: Doc, text: string, width: number): string {
  if (doc.widthOfString(text) <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (doc.widthOfString(`${text.slice(0, mid)}…`) <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo).trimEnd()}…`;
}

/**
 * A cell's fitted text and its x offset, per column. Most cells repeat (service, status, amount,
 * payment), and measuring text is most of pdfkit's work, so each distinct value is measured once.
 */
type CellCache = Map<string, { text: string; offset: number }>[];

function drawCells<Row>(
  doc: Doc,
  columns: Column<Row>[],
  values: string[],
  y: number,
  cache: CellCache,
): void {
  let x = doc.page.margins.left;
  columns.forEach((col, i) => {
    const raw = values[i] ?? '';
    let columnCache = cache[i];
    if (!columnCache) {
      columnCache = new Map();
      cache[i] = columnCache;
    }
    let cell = columnCache.get(raw);
    if (!cell) {
      const inner = col.width - 2 * CELL_PAD - (col.align === 'right' ? RIGHT_GAP : 0);
      const text = fitToWidth(doc, pdfSafe(raw), inner);
      cell = { text, offset: col.align === 'right' ? inner - doc.widthOfString(text) : 0 };
      columnCache.set(raw, cell);
    }
    doc.text(cell.text, x + CELL_PAD + cell.offset, y, { lineBreak: false });
    x += col.width;
  });
}

function drawHeader<Row>(doc: Doc, columns: Column<Row>[], cache: CellCache): void {
  const y = doc.y;
  doc.font(FONT_BOLD).fontSize(8).fillColor(INK);
  drawCells(
    doc,
    columns,
    columns.map((c) => c.header),
    y + 4,
    cache,
  );
  const left = doc.page.margins.left;
  doc
    .moveTo(left, y + HEADER_HEIGHT)
    .lineTo(left + contentWidth(doc), y + HEADER_HEIGHT)
    .lineWidth(0.8)
    .strokeColor(RULE)
    .stroke();
  doc.y = y + HEADER_HEIGHT + 1;
}

/** Draws rows, moving to a new page (and repeating the header) whenever the next row would not fit. */
export function table<Row>(
  doc: Doc,
  columns: Column<Row>[],
  rows: readonly Row[],
  options: TableOptions<Row>,
): void {
  const left = doc.page.margins.left;
  if (rows.length === 0) {
    paragraph(doc, options.empty, { muted: true });
    return;
  }
  const headerCache: CellCache = [];
  const rowCache: CellCache = [];
  ensureSpace(doc, HEADER_HEIGHT + ROW_HEIGHT + DETAIL_HEIGHT);
  drawHeader(doc, columns, headerCache);
  rows.forEach((row, index) => {
    const detail = options.detail?.(row);
    const height = ROW_HEIGHT + (detail ? DETAIL_HEIGHT : 0);
    if (doc.y + height > pageBottom(doc)) {
      doc.addPage();
      drawHeader(doc, columns, headerCache);
    }
    const y = doc.y;
    if (index % 2 === 1) doc.rect(left, y, contentWidth(doc), height).fill(SHADE);
    doc.font(FONT).fontSize(8).fillColor(INK);
    drawCells(
      doc,
      columns,
      columns.map((c) => c.cell(row)),
      y + 3,
      rowCache,
    );
    if (detail) {
      doc.fontSize(7).fillColor(MUTED);
      const text = fitToWidth(doc, pdfSafe(detail), contentWidth(doc) - 2 * CELL_PAD - 12);
      doc.text(text, left + CELL_PAD + 12, y + ROW_HEIGHT, { lineBreak: false });
    }
    doc.y = y + height;
  });
  doc.x = left;
  doc.fillColor(INK);
  doc.moveDown(0.5);
}

/** Writes the footer on every buffered page; needs `bufferPages: true`. */
export function footers(doc: Doc, text: (page: number, pages: number) => string): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const y = doc.page.height - doc.page.margins.bottom + 14;
    doc
      .font(FONT)
      .fontSize(7.5)
      .fillColor(MUTED)
      .text(pdfSafe(text(i + 1, range.count)), doc.page.margins.left, y, { lineBreak: false });
  }
}
