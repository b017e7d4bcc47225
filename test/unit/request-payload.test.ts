import { describe, expect, it } from 'vitest';
import { parsePayload, payloadOf } from '../../src/requests/payload.js';

/** A request's `changes` is one zod discriminated union by request type (src/requests/payload.ts). */
describe('the request payload union', () => {
  it('reads an update as its fields, normalized', () => {
    const r = parsePayload('update', { phone: '0812-8761-1943', name: '  Siti   W ' });
    expect(r).toEqual({
      ok: true,
      payload: { type: 'update', changes: { phone: '+6281287611943', name: 'Siti W' } },
    });
  });

  it('refuses an update with nothing to change or a field it does not know', () => {
    expect(parsePayload('update', {}).ok).toBe(false);
    expect(parsePayload('update', undefined).ok).toBe(false);
    expect(parsePayload('update', { nik: '3171234567890001' }).ok).toBe(false);
  });

  it('reads a restriction by its action, and refuses a scope it does not know', () => {
    expect(parsePayload('restrict', { action: 'apply', scope: 'marketing' })).toEqual({
      ok: true,
      payload: { type: 'restrict', changes: { action: 'apply', scope: 'marketing' } },
    });
    expect(parsePayload('restrict', { action: 'apply', scope: 'everything' }).ok).toBe(false);
    expect(parsePayload('restrict', undefined).ok).toBe(false);
  });

  it('keeps consent proof apart from an update: an update field is not proof', () => {
    expect(parsePayload('unsubscribe', { words: 'stop promo', toldInChat: true })).toEqual({
      ok: true,
      payload: { type: 'unsubscribe', changes: { words: 'stop promo', toldInChat: true } },
    });
    expect(parsePayload('subscribe', undefined)).toEqual({ ok: true, payload: { type: 'subscribe' } });
    expect(parsePayload('unsubscribe', { email: 'a@b.id' }).ok).toBe(false);
  });

  it('gives access and erase no payload, whatever was passed', () => {
    expect(parsePayload('access', { name: 'x' })).toEqual({ ok: true, payload: { type: 'access' } });
    expect(payloadOf({ type: 'erase', changes: null })).toEqual({ ok: true, payload: { type: 'erase' } });
  });
});
