import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../../src/identity/phone.js';
import { REDACTED_KEYS } from '../../src/logging/logger.js';
import { maskAnyPhone, maskDetails, maskForStaff, PERSONAL_FIELDS } from '../../src/privacy/index.js';
import { maskedChanges, maskValue } from '../../src/staff/console/masking.js';
import { maskChangeValue } from '../../src/staff/masking.js';

/**
 * One privacy schema (src/privacy/schema.ts) drives every masker: the staff cards, the console and
 * the audit trail show a field the same way, because they read the same kind for it.
 */
const CUSTOMER = {
  name: 'Siti Wulandari',
  phone: '+6281287611943',
  email: 'siti.rahma@gmail.id',
  address: 'Jl. Melati No. 12, Kebayoran Baru',
  paymentMethod: 'BCA Virtual Account',
};

describe('the privacy schema', () => {
  it('masks each personal field by its kind, for staff', () => {
    expect(maskForStaff('name', CUSTOMER.name, 'id')).toBe('S*** W***');
    expect(maskForStaff('phone', CUSTOMER.phone, 'id')).toBe('+62812****943');
    expect(maskForStaff('newPhone', '0812-8761-1943', 'id')).toBe('+62812****943');
    expect(maskForStaff('email', CUSTOMER.email, 'id')).toBe('s***@g***.id');
    expect(maskForStaff('address', CUSTOMER.address, 'id')).toBe('J*** M*** N*** … (33 karakter)');
    expect(maskForStaff('chatId', '6281287611943@c.us', 'id')).toBe('***');
    expect(maskForStaff('promoId', 'PROMO-7', 'id')).toBe('PROMO-7');
    expect(maskForStaff('name', '', 'id')).toBeUndefined();
  });

  it("words a free text's length in the reader's language, the mask itself the same", () => {
    expect(maskForStaff('address', CUSTOMER.address, 'en')).toBe('J*** M*** N*** … (33 characters)');
    expect(maskValue('paymentMethod', CUSTOMER.paymentMethod, 'en')).toBe('B*** V*** A*** (19 characters)');
    expect(maskedChanges({ address: CUSTOMER.address }, 'id')).toEqual([
      { field: 'address', value: 'J*** M*** N*** … (33 karakter)' },
    ]);
  });

  it('shows a field it does not know as masked, never as stored', () => {
    expect(maskForStaff('nik', '3171234567890001', 'id')).toBe('***');
    expect(maskChangeValue('nik', '3171234567890001')).toBe('(diubah)');
  });

  it('gives the Telegram cards and the console the same mask for every field it knows', () => {
    for (const [field, value] of Object.entries(CUSTOMER)) {
      expect(maskChangeValue(field, value)).toBe(maskValue(field, value, 'id'));
      for (const lang of ['id', 'en'] as const)
        for (const shown of [
          maskValue(field, value, lang),
          ...maskedChanges({ [field]: value }, lang).map((c) => c.value),
        ])
          expect(shown).not.toContain(value);
    }
  });

  it('hides names and words customers wrote in the audit record, and masks phones and emails anywhere', () => {
    const masked = maskDetails({
      changed: { ...CUSTOMER, code: '123456' },
      note: `called from 0812 8761 1943 about ${CUSTOMER.email}`,
    });
    expect(masked).toEqual({
      changed: {
        name: '[hidden]',
        phone: '+62812****943',
        email: 's***@g***.id',
        address: '[hidden]',
        paymentMethod: '[hidden]',
        code: '[hidden]',
      },
      note: 'called from +62812****943 about s***@g***.id',
    });
  });

  it('masks a phone in every shape the way normalization reads it', () => {
    for (const shape of ['0812-8761-1943', '+62 812 8761 1943', '6281287611943', '006281287611943']) {
      const normalized = normalizePhone(shape);
      expect(normalized.ok).toBe(true);
      if (normalized.ok) expect(maskAnyPhone(shape)).toBe(maskAnyPhone(normalized.e164));
    }
    expect(maskAnyPhone('12345')).toBe('****');
  });

  it('is what the logger censors: every personal field but our own ids', () => {
    for (const [field, kind] of Object.entries(PERSONAL_FIELDS))
      expect(REDACTED_KEYS.includes(field), field).toBe(kind !== 'reference');
  });
});
