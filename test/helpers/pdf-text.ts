import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

const pdfjsRoot = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));

export interface PdfText {
  pages: string[];
  /** Every page's text, pages separated by a newline. */
  text: string;
  info: Record<string, unknown>;
}

/**
 * Reads a PDF the way a viewer would (pdf.js), so a test checks what a person sees, not what
 * the generator meant to write. Text items of a page are joined with single spaces.
 */
export async function extractPdfText(pdf: Buffer): Promise<PdfText> {
  const task = getDocument({
    data: new Uint8Array(pdf),
    standardFontDataUrl: `${join(pdfjsRoot, 'standard_fonts')}/`,
    isEvalSupported: false,
    useSystemFonts: false,
    verbosity: 0,
  });
  const doc = await task.promise;
  try {
    const pages: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      const parts: string[] = [];
      for (const item of content.items) if ('str' in item && item.str.trim() !== '') parts.push(item.str);
      pages.push(parts.join(' ').replace(/\s+/g, ' '));
      page.cleanup();
    }
    const { info } = await doc.getMetadata();
    return { pages, text: pages.join('\n'), info: (info ?? {}) as Record<string, unknown> };
  } finally {
    await task.destroy();
  }
}
