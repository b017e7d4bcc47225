import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flagReason, LOCALES, statusLabel, typeLabel } from '../../src/catalogue/index.js';
import { REQUEST_STATUSES, REQUEST_TYPES } from '../../src/db/index.js';
import { REPORT_TEXT } from '../../src/reports/index.js';
import { texts } from '../../src/staff/console/i18n.js';
import { statusLabel as cardStatus, typeLabel as cardType } from '../../src/staff/staff-cards.js';
import { PDF_TEXT } from '../../src/workers/access/pdf-text.js';

/**
 * One catalogue (src/catalogue/labels.ts) names each request type and status; the customer's
 * status reply, the console, the Telegram cards and the access PDF all read it.
 */
describe('the labels catalogue', () => {
  it('names every type and status in every language, each differently', () => {
    for (const locale of LOCALES) {
      const types = REQUEST_TYPES.map((t) => typeLabel(t, locale));
      const statuses = REQUEST_STATUSES.map((s) => statusLabel(s, locale));
      expect(new Set(types).size).toBe(types.length);
      expect(new Set(statuses).size).toBe(statuses.length);
      for (const label of [...types, ...statuses]) expect(label).toMatch(/^\p{Ll}/u);
    }
  });

  it('is what the console, the cards, the access PDF and the rights report say', () => {
    for (const locale of LOCALES) {
      for (const s of REQUEST_STATUSES) {
        expect(texts[locale].status[s].toLowerCase()).toBe(statusLabel(s, locale));
        expect(PDF_TEXT[locale].requestStatus[s]).toBe(statusLabel(s, locale));
      }
      for (const t of REQUEST_TYPES) {
        expect(texts[locale].type[t].toLowerCase()).toBe(typeLabel(t, locale));
        expect(PDF_TEXT[locale].requestType[t]).toBe(typeLabel(t, locale));
      }
    }
    for (const locale of LOCALES)
      for (const s of ['completed', 'rejected', 'failed', 'cancelled'] as const)
        expect(REPORT_TEXT[locale].outcome[s].toLowerCase()).toBe(statusLabel(s, locale));
    expect(cardStatus('pending_approval')).toBe(statusLabel('pending_approval', 'id'));
    expect(cardType('erase')).toBe('Hapus data (erase)');
  });

  it('leaves no second copy of the words in the flow texts', () => {
    for (const locale of LOCALES) {
      const yaml = readFileSync(new URL(`../../flows/locales/${locale}.yaml`, import.meta.url), 'utf8');
      expect(yaml).not.toMatch(/^request_(type|status):/m);
    }
  });
});

describe('the flag reasons', () => {
  it('words each default flag from its code and number, in each language; what it cannot word shows as stored', () => {
    expect(flagReason({ code: 'UNPAID_ORDER', reason: 'x', n: 2 }, 'id')).toBe('2 pesanan belum dibayar');
    expect(flagReason({ code: 'UNPAID_ORDER', reason: 'x', n: 1 }, 'en')).toBe('1 unpaid order');
    expect(flagReason({ code: 'OPEN_ORDER', reason: 'x', n: 3 }, 'en')).toBe(
      '3 orders still scheduled or in progress',
    );
    expect(flagReason({ code: 'TOO_MANY_REQUESTS', reason: 'x', n: 5 }, 'en')).toBe(
      'more than 5 requests in 24 hours',
    );
    expect(flagReason({ code: 'PHONE_CHANGE', reason: 'x' }, 'en')).toBe(
      'a phone number change needs staff approval',
    );
    expect(flagReason({ code: 'UNPAID_ORDER', reason: '1 pesanan belum dibayar' }, 'en')).toBe(
      '1 pesanan belum dibayar',
    );
    expect(flagReason({ code: 'VIP_CUSTOMER', reason: 'pelanggan VIP', n: 1 }, 'en')).toBe('pelanggan VIP');
    expect(flagReason({ code: 'toString', reason: 'stored' }, 'en')).toBe('stored');
  });
});
