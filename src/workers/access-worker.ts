import type { OutboundMessage } from '../channels/types.js';
import { type BusinessContact, contactLine } from '../requests/index.js';
import { AccessPackageError } from './access/errors.js';
import type { AccessPackageDeps } from './access/package.js';
import { failed, localeOf, type RequestHandler, text } from './outcome.js';

/** What the access handler is handed: what the package is built from, and the business's contact. */
export type AccessHandlerDeps = BusinessContact & AccessPackageDeps;

/**
 * Sends the customer a copy of everything held about them: `data-saya.json` (portable) and
 * `data-saya.pdf` (readable, Indonesian). The package itself is built in ./access/package.ts.
 */
export const sendAccessPackage: RequestHandler<AccessHandlerDeps> = async (ctx, request, deps) => {
  const locale = localeOf(request);
  const ref = request.ref;
  if (!request.customerId || !deps.buildAccessPackage)
    return failed(request.customerId ? 'NO_PACKAGE_BUILDER' : 'NO_CUSTOMER', [
      text(locale, 'failed', { ref, contact: contactLine(ctx) }),
    ]);
  const customerId = String(request.customerId);
  const started = Date.now();
  let pkg: Awaited<ReturnType<NonNullable<typeof deps.buildAccessPackage>>>;
  try {
    // The builder reads the customer itself and refuses an erased one: no second read here.
    pkg = await deps.buildAccessPackage(ctx, customerId, {
      locale,
      requestRef: ref,
      now: deps.now(),
      refuseErased: true,
    });
  } catch (err) {
    if (err instanceof AccessPackageError && err.code !== 'INVALID_CUSTOMER_ID')
      return failed('CUSTOMER_GONE', [text(locale, 'failed', { ref, contact: contactLine(ctx) })]);
    throw err;
  }
  const buildMs = Date.now() - started;
  const messages: OutboundMessage[] = [
    {
      kind: 'document',
      fileName: 'data-saya.json',
      mimeType: 'application/json',
      contentBase64: pkg.json.toString('base64'),
    },
    {
      kind: 'document',
      fileName: 'data-saya.pdf',
      mimeType: 'application/pdf',
      contentBase64: pkg.pdf.toString('base64'),
    },
    text(locale, 'accessReady', { ref }),
  ];
  // Only sizes and counts: the summary may name things that are personal.
  const counts = Object.fromEntries(Object.entries(pkg.summary).filter(([, v]) => typeof v === 'number'));
  const result = { jsonBytes: pkg.json.length, pdfBytes: pkg.pdf.length, buildMs, ...counts };
  return {
    status: 'completed',
    result,
    messages,
    audit: [
      {
        actor: 'system:access-worker',
        action: 'access.prepared',
        ref,
        customerId,
        details: { jsonBytes: result.jsonBytes, pdfBytes: result.pdfBytes, ...counts },
        at: deps.now(),
      },
    ],
  };
};
