import { recordAudit } from '../audit/record.js';
import type { OutboundMessage } from '../channels/types.js';
import { contactLine } from '../requests/service.js';
import { failed, localeOf, type RequestHandler, text } from './outcome.js';

/**
 * Sends the customer a copy of everything held about them: `data-saya.json` (portable) and
 * `data-saya.pdf` (readable, Indonesian). The package itself is built in ./access/package.ts.
 */
export const sendAccessPackage: RequestHandler = async (ctx, request, deps) => {
  const locale = localeOf(request);
  const ref = request.ref;
  if (!request.customerId || !deps.buildAccessPackage)
    return failed(request.customerId ? 'NO_PACKAGE_BUILDER' : 'NO_CUSTOMER', [
      text(locale, 'failed', { ref, contact: contactLine(ctx) }),
    ]);
  const customer = await ctx.models.Customer.findOne(
    { _id: request.customerId, erasedAt: { $exists: false } },
    {
      _id: 1,
    },
  ).lean();
  if (!customer) return failed('CUSTOMER_GONE', [text(locale, 'failed', { ref, contact: contactLine(ctx) })]);

  const started = Date.now();
  const pkg = await deps.buildAccessPackage(ctx, String(customer._id), {
    locale,
    requestRef: ref,
    now: deps.now(),
  });
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
  await recordAudit(ctx, {
    actor: 'system:access-worker',
    action: 'access.prepared',
    ref,
    customerId: customer._id,
    details: { jsonBytes: result.jsonBytes, pdfBytes: result.pdfBytes, ...counts },
    at: deps.now(),
  });
  return { status: 'completed', result, messages };
};
