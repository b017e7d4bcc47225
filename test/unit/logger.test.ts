import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { logTag } from '../../src/logging/logger.js';
import { captureLogger } from '../helpers/context.js';

const customer = {
  customerNo: 'SJ-000001',
  name: 'Siti Wulandari',
  phone: '+6281287611943',
  email: 'siti.wulandari@example.co.id',
  address: 'Jl. Melati No. 12, Depok',
  paymentMethod: 'transfer BCA 1234567890',
};

describe('logger redaction', () => {
  it('never writes a customer’s personal values, at any depth', () => {
    const { logger, lines } = captureLogger();
    logger.info({ customer }, 'customer loaded');
    logger.info({ request: { customer } }, 'nested');
    logger.info({ job: { data: { request: { customer } } } }, 'deeper');
    logger.info({ ...customer }, 'flat');
    logger.info({ batch: { customers: [customer, customer] } }, 'in an array');
    logger.info({ otp: '493817', code: '493817', token: '123:ABC', password: 'rahasia' }, 'secrets');
    const output = lines.join('\n');
    expect(lines).toHaveLength(6);
    for (const value of [...Object.values(customer).slice(1), '493817', '123:ABC', 'rahasia']) {
      expect(output).not.toContain(value);
    }
    // What is safe to log stays readable.
    expect(output).toContain('SJ-000001');
  });
});

describe('log tags', () => {
  it('correlate one value under one secret and cannot be recomputed without it', () => {
    const phone = '6281287611943';
    const tag = logTag('secret-a', phone);
    expect(tag).toMatch(/^[0-9a-f]{12}$/);
    expect(logTag('secret-a', phone)).toBe(tag);
    expect(logTag('secret-a', '6281287611944')).not.toBe(tag);
    // Another installation's secret gives another tag: a digest anyone can recompute would not.
    expect(logTag('secret-b', phone)).not.toBe(tag);
    for (const unkeyed of [phone, `hakdata-log:${phone}`]) {
      expect(createHash('sha256').update(unkeyed).digest('hex')).not.toContain(tag);
    }
  });
});
