import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../../src/identity/phone.js';
import { maskPhone } from '../../src/privacy/index.js';

describe('normalizePhone', () => {
  it.each([
    ['0812-8761-1943', '+6281287611943'],
    ['+62 812 8761 1943', '+6281287611943'],
    ['6281287611943', '+6281287611943'], // Telegram shared contact: digits without +
    ['+6281287611943', '+6281287611943'],
    ['081287611943', '+6281287611943'],
    ['0812 8761 1943', '+6281287611943'],
    ['(0812) 8761-1943', '+6281287611943'],
    ['006281287611943', '+6281287611943'],
    ['6281287611943@c.us', '+6281287611943'], // WhatsApp chat id
    ['+62-857-1234-5678', '+6285712345678'],
    ['(021) 5551234', '+62215551234'], // Jakarta landline
    ['+65 9123 4567', '+6591234567'], // a foreign mobile is still a phone
  ])('%s → %s', (input, e164) => {
    expect(normalizePhone(input)).toEqual({ ok: true, e164 });
  });

  it.each([
    '',
    'abc',
    '12',
    '0812',
    '+62 812 8761 1943 1943 1943',
    '{"$ne": null}',
    '08xx-8761-1943',
    '+999 1234 5678',
  ])('refuses %j with a sentence', (input) => {
    const result = normalizePhone(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe('PHONE_INVALID');
      expect(result.message).toMatch(/example: 0812/);
    }
  });

  it('masks all but the operator prefix and last three digits', () => {
    expect(maskPhone('+6281287611943')).toBe('+62812****943');
  });
});
