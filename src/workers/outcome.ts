import type { AuditInput } from '../audit/record.js';
import type { OutboundMessage } from '../channels/types.js';
import type { PrivacyRequest } from '../db/index.js';
import type { Outbox } from '../outbound/index.js';
import {
  type BusinessContact,
  contactLine,
  type Locale,
  type NoticeId,
  type NoticeParams,
  renderNotice,
  type StaffNotifier,
  toLocale,
} from '../requests/index.js';
import type { AccessPackageDeps } from './access/package.js';

/**
 * What a request handler hands back to the runner, which tells the customer and closes the
 * request. `audit`: the handler's own events (what it changed), written by the runner in one
 * insert with the request's closing events, in the order they happened. A handler re-run after
 * a crash returns them again, so they must describe the effect even when it was already applied.
 */
export type RequestOutcome = (
  | {
      status: 'completed';
      result: Record<string, unknown>;
      messages: OutboundMessage[];
      /** Written with the final status, in the same atomic update (e.g. scrubbing the chat id). */
      set?: Record<string, unknown>;
      unset?: string[];
    }
  | { status: 'failed'; result: { code: string } & Record<string, unknown>; messages: OutboundMessage[] }
) & { audit?: AuditInput[] };

/** Builds the access package; src/workers/access/package.ts provides the real one. */
export type BuildAccessPackage = (
  ctx: AccessPackageDeps,
  customerId: string,
  options?: { locale?: Locale; requestRef?: string; now?: Date; refuseErased?: boolean },
) => Promise<{ json: Buffer; pdf: Buffer; summary: Record<string, unknown> }>;

export interface HandlerDeps {
  outbox: Outbox;
  staff?: StaffNotifier;
  now: () => Date;
  buildAccessPackage?: BuildAccessPackage;
  /**
   * Called between the steps of a job (`claimed`, `erase:orders`, …). Production passes nothing;
   * the crash test stops a worker process here to prove a half-done job finishes exactly once.
   */
  checkpoint?: (ref: string, step: string) => Promise<void>;
}

/** A handler of one request type, handed `Ctx`: what it reads (its module's own deps type). */
export type RequestHandler<Ctx> = (
  ctx: Ctx,
  request: PrivacyRequest,
  deps: HandlerDeps,
) => Promise<RequestOutcome>;

export function text<K extends NoticeId>(locale: Locale, id: K, params: NoticeParams<K>): OutboundMessage {
  return { kind: 'text', text: renderNotice(id, locale, params) };
}

export const localeOf = (r: Pick<PrivacyRequest, 'locale'>) => toLocale(r.locale);

/** The customer's message when their request could not be done: the ref and whom to contact. */
export const failedNotice = (ctx: BusinessContact, r: Pick<PrivacyRequest, 'ref' | 'locale'>) =>
  text(localeOf(r), 'failed', { ref: r.ref, contact: contactLine(ctx) });

/**
 * Tells the customer how their request ended, under the request's one outcome dedupe key: sent
 * again (a job re-run after a crash, the reconciler's repair of its own give-up), it goes out once.
 */
export async function tellOutcome(
  outbox: Outbox,
  r: Pick<PrivacyRequest, 'ref' | 'channel' | 'chatId'>,
  messages: OutboundMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  await outbox.send(r.channel, r.chatId, messages, {
    requestRef: r.ref,
    dedupeKey: `${r.ref}:outcome`,
    purpose: 'notification',
  });
}

export const failed = (
  code: string,
  messages: OutboundMessage[],
  extra: Record<string, unknown> = {},
): RequestOutcome => ({ status: 'failed', result: { code, ...extra }, messages });
