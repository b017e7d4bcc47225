import { statusLabel, typeLabel } from '../../catalogue/index.js';
import { RequestError, type RequestSummary } from '../../requests/index.js';
import type { Locale, Translate } from '../locales.js';
import { type ActionResult, defineAction } from './types.js';

const UPDATE_FIELDS = ['name', 'address', 'email', 'paymentMethod', 'phone'] as const;

// Building an Intl.DateTimeFormat costs far more than formatting with one: made once per language.
const DATE_FORMATS: Record<Locale, Intl.DateTimeFormat> = {
  id: new Intl.DateTimeFormat('id-ID', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Jakarta' }),
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Jakarta' }),
};

export function formatDue(date: Date, locale: Locale): string {
  return (locale === 'id' ? DATE_FORMATS.id : DATE_FORMATS.en).format(date);
}

export const createRequest = defineAction({
  name: 'requests.create',
  outcomes: ['created', 'flagged', 'failed'],
  texts: [],
  async run({ deps, inbound, session, locale, args }): Promise<ActionResult> {
    const type = String(args.type) as 'access' | 'update' | 'erase' | 'restrict';
    const customerId = session.vars.customerId;
    if (!customerId) return { outcome: 'failed' };
    let changes: Record<string, string> | undefined;
    if (type === 'update') {
      const field = session.vars.field as (typeof UPDATE_FIELDS)[number] | undefined;
      const value = session.vars.value ?? session.vars.newPhone;
      if (!field || !UPDATE_FIELDS.includes(field) || !value) return { outcome: 'failed' };
      changes = { [field]: value };
    }
    if (type === 'restrict') {
      // The scope comes from the flow's choice; the service validates it again (an unknown one fails).
      const { scope, reason } = session.vars;
      changes =
        args.lift === true
          ? { action: 'lift' }
          : { action: 'apply', scope: scope ?? '', ...(reason ? { reason } : {}) };
    }
    try {
      const created = await deps.requests.create({
        type,
        customerId,
        channel: inbound.channel,
        chatId: inbound.chatId,
        locale,
        ...(changes ? { changes } : {}),
        actor: 'customer',
        // The flow's `flagged` step tells the customer that staff will review.
        toldInChat: true,
      });
      return {
        outcome: created.flagged ? 'flagged' : 'created',
        vars: {
          ref: created.ref,
          due: formatDue(created.dueAt, locale),
          value: '',
          newPhone: '',
          reason: '',
        },
      };
    } catch (err) {
      if (err instanceof RequestError) return { outcome: 'failed', vars: { error: err.code } };
      throw err;
    }
  },
});

function describe(summary: RequestSummary, t: Translate, locale: Locale): string {
  return t('status.line', {
    ref: summary.ref,
    type: typeLabel(summary.type, locale),
    status: statusLabel(summary.status, locale),
    created: formatDue(summary.createdAt, locale),
    due: formatDue(summary.dueAt, locale),
    reason: summary.reason ? t('status.reason', { reason: summary.reason }) : '',
  });
}

export const requestStatus = defineAction({
  name: 'requests.status',
  outcomes: ['shown', 'none'],
  // Type and status words come from the one catalogue (src/catalogue/labels.ts), not the flow texts.
  texts: ['status.line', 'status.reason', 'status.header'],
  async run({ deps, session, locale, t }): Promise<ActionResult> {
    const customerId = session.vars.customerId;
    if (!customerId) return { outcome: 'none' };
    const ref = session.vars.ref?.toUpperCase();
    const found = ref
      ? [await deps.requests.findForCustomer(customerId, ref)].filter((s): s is RequestSummary => Boolean(s))
      : await deps.requests.listForCustomer(customerId, 5);
    if (found.length === 0) return { outcome: 'none', vars: { ref: '' } };
    const text = [t('status.header'), ...found.map((s) => describe(s, t, locale))].join('\n\n');
    return { outcome: 'shown', vars: { ref: '' }, messages: [{ kind: 'text', text }] };
  },
});
