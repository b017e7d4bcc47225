import { performance } from 'node:perf_hooks';
import type { Locale } from '../../catalogue/index.js';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
import { type CollectDeps, collectCustomerData } from './collect.js';
import { serializeAccessPackage, toAccessPackage } from './json.js';
import { renderAccessPdf } from './pdf.js';

export { AccessPackageError } from './errors.js';
export { ACCESS_PACKAGE_JSON_NAME, type AccessPackage, accessPackageSchema } from './json.js';
export { ACCESS_PACKAGE_PDF_NAME } from './pdf.js';

export interface AccessPackageOptions {
  /** Time stamped on the package (tests pass a fixed one). */
  now?: Date;
  /** Language of the PDF and of the JSON's descriptive fields; the configured default otherwise. */
  locale?: Locale;
  /** The access request being answered, printed on both documents. */
  requestRef?: string;
  /** Refuse (CUSTOMER_ERASED) instead of building the package of an erased customer. */
  refuseErased?: boolean;
}

/** What the package is built from: the customer's data, the default language and business, a logger. */
export interface AccessPackageDeps extends CollectDeps {
  config: Pick<Config, 'defaultLocale' | 'business'>;
  logger: Logger;
}

export interface BuiltAccessPackage {
  /** data-saya.json */
  json: Buffer;
  /** data-saya.pdf */
  pdf: Buffer;
  summary: { orders: number; requests: number; bytesJson: number; bytesPdf: number };
}

/**
 * The answer to an access request (policy §4, "Mengakses Data"): everything held about the
 * customer as `data-saya.json` (for portability) and `data-saya.pdf` (to read), both in memory.
 * Throws AccessPackageError when the id names no customer.
 */
export async function buildAccessPackage(
  ctx: AccessPackageDeps,
  customerId: string,
  options: AccessPackageOptions = {},
): Promise<BuiltAccessPackage> {
  const started = performance.now();
  const data = await collectCustomerData(ctx, customerId, { refuseErased: options.refuseErased });
  const collectedMs = performance.now() - started;
  const pkg = toAccessPackage(data, {
    generatedAt: options.now ?? new Date(),
    locale: options.locale ?? ctx.config.defaultLocale,
    requestRef: options.requestRef,
    business: { ...ctx.config.business },
  });
  const json = serializeAccessPackage(pkg);
  const pdf = await renderAccessPdf(pkg);
  const summary = {
    orders: pkg.sections.orders.count,
    requests: pkg.sections.privacyRequests.count,
    bytesJson: json.length,
    bytesPdf: pdf.length,
  };
  ctx.logger.info(
    {
      customerId,
      requestRef: options.requestRef,
      ...summary,
      collectMs: Math.round(collectedMs),
      totalMs: Math.round(performance.now() - started),
    },
    'access package built',
  );
  return { json, pdf, summary };
}
