import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { PrivacyRequest } from '../../src/db/index.js';
import { checkRecipient } from '../../src/promo/eligibility.js';
import { RequestError } from '../../src/requests/api.js';
import { liftRestrictionByStaff } from '../../src/requests/restriction-lift.js';
import { loadCardData, requestCardText, requestDetailText } from '../../src/staff/staff-cards.js';
import { buildAccessPackage } from '../../src/workers/access/package.js';
import { processRequest } from '../../src/workers/request-worker.js';
import { seedCustomer, workerTestKit } from '../fixtures/requests-kit.js';
import { extractPdfText } from '../helpers/pdf-text.js';

/**
 * Restriction of processing (UU PDP art. 11), end to end below the conversation: the request,
 * the worker's effect on `customers.processingRestriction`, the audit trail, what the customer is
 * told, and what a restriction changes elsewhere (promotions, the access package).
 */
const clock = new Date('2026-11-10T03:00:00Z');
const CHAT = '7770017';
const REASON = 'Saya sedang menimbang ulang layanan ini';

const { ctx, outbox, service, deps, close } = await workerTestKit({
  env: { MAX_REQUESTS_PER_DAY: '100', WHATSAPP_ENABLED: 'true' },
  now: () => clock,
});
afterAll(close);
beforeEach(() => outbox.clear());

const ask = (customerId: unknown, changes: Record<string, string>, actor?: string) =>
  service.create({
    type: 'restrict',
    customerId: String(customerId),
    channel: 'telegram',
    chatId: CHAT,
    locale: 'id',
    changes,
    ...(actor ? { actor } : {}),
  });
const load = async (ref: string) =>
  (await ctx.models.PrivacyRequest.findOne({ ref }).lean<PrivacyRequest>()) ?? undefined;
const auditOf = (ref: string) =>
  ctx.models.AuditEvent.find({ requestRef: ref }).sort({ at: 1, _id: 1 }).lean();
const restrictionOf = async (id: unknown) =>
  (await ctx.models.Customer.findById(id, { processingRestriction: 1 }).lean())?.processingRestriction;

async function restricted(scope: 'marketing' | 'all', reason?: string) {
  const c = await seedCustomer(ctx);
  const r = await ask(c._id, { action: 'apply', scope, ...(reason ? { reason } : {}) });
  expect(await processRequest(ctx, deps, r.ref)).toBe('completed');
  return { customer: c, ref: r.ref };
}

describe('restrict worker', () => {
  it('records the scope, the date and the reason, audits without the words, and tells the customer', async () => {
    const { customer, ref } = await restricted('marketing', REASON);
    const request = await load(ref);
    expect(request?.status).toBe('completed');
    expect((request?.dueAt.getTime() ?? 0) - clock.getTime()).toBe(72 * 3600_000);

    const held = await restrictionOf(customer._id);
    expect(held?.scope).toBe('marketing');
    expect(held?.reason).toBe(REASON);
    expect(new Date(held?.since ?? 0).getTime()).toBe(clock.getTime());

    const events = await auditOf(ref);
    expect(events.map((e) => e.action)).toContain('restriction.applied');
    const applied = events.find((e) => e.action === 'restriction.applied');
    expect(applied?.details).toMatchObject({ scope: 'marketing', reasonGiven: true });
    expect(JSON.stringify(events)).not.toContain('menimbang');
    expect(outbox.textsTo(CHAT).join('\n')).toMatch(/Pemrosesan data Anda sudah kami batasi .*LANJUTKAN/);
  });

  it('keeps promotions from a consenting customer while it holds, and lets them through once lifted', async () => {
    const { customer } = await restricted('all');
    expect(await checkRecipient(ctx, customer._id, 'whatsapp')).toMatchObject({
      ok: false,
      reason: 'restricted',
    });

    const lift = await ask(customer._id, { action: 'lift' });
    expect(await processRequest(ctx, deps, lift.ref)).toBe('completed');
    expect(await restrictionOf(customer._id)).toBeFalsy();
    expect((await auditOf(lift.ref)).map((e) => e.action)).toContain('restriction.lifted');
    expect(outbox.textsTo(CHAT).join('\n')).toContain('sudah dicabut');
    expect(await checkRecipient(ctx, customer._id, 'whatsapp')).toMatchObject({ ok: true });
  });

  it('holds for promotions from the moment it is accepted, before the worker applies it; a lift only once applied', async () => {
    const customer = await seedCustomer(ctx);
    expect(await checkRecipient(ctx, customer._id, 'whatsapp')).toMatchObject({ ok: true });
    const asked = await ask(customer._id, { action: 'apply', scope: 'marketing' });
    expect((await load(asked.ref))?.status).toBe('queued');
    expect(await restrictionOf(customer._id)).toBeFalsy();
    expect(await checkRecipient(ctx, customer._id, 'whatsapp')).toMatchObject({
      ok: false,
      reason: 'restricted',
    });
    expect(await processRequest(ctx, deps, asked.ref)).toBe('completed');
    const lift = await ask(customer._id, { action: 'lift' });
    expect(await checkRecipient(ctx, customer._id, 'whatsapp')).toMatchObject({
      ok: false,
      reason: 'restricted',
    });
    expect(await processRequest(ctx, deps, lift.ref)).toBe('completed');
    expect(await checkRecipient(ctx, customer._id, 'whatsapp')).toMatchObject({ ok: true });
  });

  it('states the restriction and its date in the access package JSON and PDF, in both languages', async () => {
    const { customer } = await restricted('all', REASON);
    const id = await buildAccessPackage(ctx, String(customer._id), { locale: 'id', now: clock });
    const json = JSON.parse(id.json.toString('utf8'));
    expect(json.sections.processingRestriction).toEqual({
      restricted: true,
      scope: 'all',
      since: clock.toISOString(),
      reason: REASON,
    });
    const text = (await extractPdfText(id.pdf)).text.replace(/\s+/g, ' ');
    expect(text).toMatch(/Pemrosesan data Anda dibatasi sejak 10 November 2026/);
    expect(text).toContain('layanan yang sudah disepakati dan kewajiban hukum');
    const en = await buildAccessPackage(ctx, String(customer._id), { locale: 'en', now: clock });
    expect((await extractPdfText(en.pdf)).text.replace(/\s+/g, ' ')).toMatch(
      /Processing of your data has been restricted since 10 November 2026/,
    );

    const plain = await seedCustomer(ctx);
    const none = await buildAccessPackage(ctx, String(plain._id), { locale: 'id', now: clock });
    expect(JSON.parse(none.json.toString('utf8')).sections.processingRestriction.restricted).toBe(false);
    expect((await extractPdfText(none.pdf)).text).not.toContain('dibatasi sejak');
  });

  it('puts a badge on every Telegram staff card of the customer while it holds', async () => {
    const { customer, ref } = await restricted('all');
    const access = await ask(customer._id, { action: 'lift' });
    for (const r of [ref, access.ref]) {
      const data = await loadCardData(ctx, r);
      if (!data) throw new Error(`no card data for ${r}`);
      expect(requestCardText(data, { kind: 'plain' }, clock)).toContain(
        '⛔ Pemrosesan dibatasi (semua kecuali',
      );
      expect(await requestDetailText(ctx, data, clock)).toContain('⛔ Pemrosesan dibatasi');
    }
    const applied = await loadCardData(ctx, ref);
    if (!applied) throw new Error('no card data');
    expect(await requestDetailText(ctx, applied, clock)).toContain(
      'Diminta: batasi pemrosesan (semua kecuali layanan yang disepakati dan kewajiban hukum)',
    );
    const plain = await seedCustomer(ctx);
    const other = await ask(plain._id, { action: 'lift' });
    const data = await loadCardData(ctx, other.ref);
    if (!data) throw new Error('no card data');
    expect(requestCardText(data, { kind: 'plain' }, clock)).not.toContain('dibatasi');
  });

  it('answers a lift with no restriction in place, and changes nothing', async () => {
    const c = await seedCustomer(ctx);
    const lift = await ask(c._id, { action: 'lift' });
    expect(await processRequest(ctx, deps, lift.ref)).toBe('completed');
    expect((await load(lift.ref))?.result).toMatchObject({ lifted: false });
    expect((await auditOf(lift.ref)).map((e) => e.action)).not.toContain('restriction.lifted');
    expect(outbox.textsTo(CHAT).join('\n')).toContain('Tidak ada pembatasan pemrosesan');
  });

  it('refuses an unknown scope, an over-long reason, and a customer giving a staff reason', async () => {
    const c = await seedCustomer(ctx);
    const refused = async (changes: Record<string, string>) => {
      const err = await ask(c._id, changes).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestError);
      return (err as RequestError).code;
    };
    expect(await refused({ action: 'apply', scope: 'everything' })).toBe('INVALID_INPUT');
    expect(await refused({ action: 'apply', scope: 'marketing', reason: 'x'.repeat(201) })).toBe(
      'INVALID_INPUT',
    );
    expect(await refused({ action: 'lift', staffReason: 'karena saya mau' })).toBe('INVALID_INPUT');
    expect(await refused({ action: 'pause' })).toBe('INVALID_INPUT');
    expect(await ctx.models.PrivacyRequest.countDocuments({ customerId: c._id })).toBe(0);
  });
});

describe('staff lifting a restriction', () => {
  it('needs a reason, which the customer is told in the chat the restriction came from', async () => {
    const { customer } = await restricted('marketing');
    const withoutReason = await liftRestrictionByStaff(ctx, service, {
      customerId: String(customer._id),
      staff: 'staff:admin',
      reason: ' ',
    }).catch((e: unknown) => e);
    expect((withoutReason as RequestError).code).toBe('INVALID_INPUT');
    expect(await restrictionOf(customer._id)).toBeTruthy();

    const reason = 'Pesanan Anda memerlukan penagihan ulang menurut kontrak.';
    const lift = await liftRestrictionByStaff(ctx, service, {
      customerId: String(customer._id),
      staff: 'staff:admin',
      reason,
    });
    expect(await processRequest(ctx, deps, lift.ref)).toBe('completed');
    expect(await restrictionOf(customer._id)).toBeFalsy();
    const told = outbox.textsTo(CHAT).join('\n');
    expect(told).toContain('Staf kami mencabut pembatasan');
    expect(told).toContain(reason);
    const events = await auditOf(lift.ref);
    expect(events.find((e) => e.action === 'request.created')?.actor).toBe('staff:admin');
    expect(events.find((e) => e.action === 'restriction.lifted')?.details).toMatchObject({ by: 'staff' });

    const again = await liftRestrictionByStaff(ctx, service, {
      customerId: String(customer._id),
      staff: 'staff:admin',
      reason,
    }).catch((e: unknown) => e);
    expect((again as RequestError).code).toBe('CONFLICT');
  });
});
