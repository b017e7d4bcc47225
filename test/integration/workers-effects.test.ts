import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { PrivacyRequest } from '../../src/db/index.js';
import { keyedHash } from '../../src/identity/keyed-hash.js';
import { linkChat, linkKey, sessionKey } from '../../src/identity/links.js';
import type { RequestServiceImpl } from '../../src/requests/service.js';
import { accessPackageSchema } from '../../src/workers/access/package.js';
import { ERASED } from '../../src/workers/erase.js';
import type { HandlerDeps } from '../../src/workers/outcome.js';
import { processRequest, REQUEST_HANDLERS } from '../../src/workers/request-worker.js';
import { dumpDatabase, oid, seedCustomer, workerTestKit } from '../fixtures/requests-kit.js';
import { extractPdfText } from '../helpers/pdf-text.js';

const clock = new Date('2025-04-07T03:00:00Z');
const CHAT = '7770001';

const { ctx, outbox, service, deps, close } = await workerTestKit({
  env: { MAX_REQUESTS_PER_DAY: '100' },
  now: () => clock,
});
afterAll(close);
beforeEach(() => outbox.clear());

const ask = (
  customerId: unknown,
  extra: Partial<Parameters<RequestServiceImpl['create']>[0]> & { type: PrivacyRequest['type'] },
) =>
  service.create({
    customerId: String(customerId),
    channel: 'telegram',
    chatId: CHAT,
    locale: 'id',
    ...extra,
  });

const load = async (ref: string): Promise<PrivacyRequest> => {
  const r = await ctx.models.PrivacyRequest.findOne({ ref }).lean<PrivacyRequest>();
  if (!r) throw new Error(`no request ${ref}`);
  return r;
};
const auditOf = async (ref: string) =>
  (await ctx.models.AuditEvent.find({ requestRef: ref }).sort({ at: 1, _id: 1 }).lean()).map((a) => a.action);

describe('update worker', () => {
  it('applies name, address, email and payment method, field by field, and keeps only field names', async () => {
    const c = await seedCustomer(ctx);
    const r = await ask(c._id, {
      type: 'update',
      changes: {
        name: 'Kartika Sari',
        address: 'Jl. Melati No. 9, Depok',
        email: 'Kartika.Sari@Contoh.id',
        paymentMethod: 'GoPay',
      },
    });
    expect(await processRequest(ctx, deps, r.ref)).toBe('completed');

    const after = await ctx.models.Customer.findById(c._id).lean();
    expect(after?.name).toBe('Kartika Sari');
    expect(after?.address).toBe('Jl. Melati No. 9, Depok');
    expect(after?.email).toBe('kartika.sari@contoh.id');
    expect(after?.paymentMethod).toBe('GoPay');
    expect(after?.phone).toBe(c.phone);
    expect(after?.customerNo).toBe(c.customerNo);
    expect(after?.marketingConsent.granted).toBe(true);

    const req = await load(r.ref);
    expect(req.status).toBe('completed');
    expect(req.result).toEqual({ fields: ['name', 'address', 'email', 'paymentMethod'] });
    expect(req.changes).toBeUndefined();
    expect(req.attempts).toBe(1);
    expect(req.history.map((h) => `${h.from}>${h.to}`)).toEqual([
      'null>queued',
      'queued>processing',
      'processing>completed',
    ]);
    expect(await auditOf(r.ref)).toEqual([
      'request.created',
      'request.status',
      'customer.updated',
      'request.status',
    ]);
    const updatedAudit = await ctx.models.AuditEvent.findOne({
      requestRef: r.ref,
      action: 'customer.updated',
    }).lean();
    expect(updatedAudit?.details).toMatchObject({
      fields: ['name', 'address', 'email', 'paymentMethod'],
      email: 'k***@c***.id',
      name: '[hidden]',
    });
    expect(JSON.stringify(updatedAudit)).not.toContain('Melati');
    expect(outbox.textsTo(CHAT)).toEqual([
      `Data Anda sudah diperbarui: nama, alamat, email, metode pembayaran (permintaan ${r.ref}).`,
    ]);

    // Run the job again: nothing changes, no new audit event, no second message.
    const before = JSON.stringify(await ctx.models.Customer.findById(c._id).lean());
    expect(await processRequest(ctx, deps, r.ref)).toBe('skipped');
    expect(JSON.stringify(await ctx.models.Customer.findById(c._id).lean())).toBe(before);
    expect(await auditOf(r.ref)).toHaveLength(4);
    expect(outbox.calls).toHaveLength(1);
  });

  it('changes the phone after staff approval, and refuses a number another customer holds without saying so', async () => {
    const c = await seedCustomer(ctx);
    const other = await seedCustomer(ctx);
    const free = await ask(c._id, { type: 'update', changes: { phone: '0812-9000-1122' } });
    expect(free.status).toBe('pending_approval');
    await service.decide({ ref: free.ref, outcome: 'approved', staff: 'staff:rina' });
    expect(await processRequest(ctx, deps, free.ref)).toBe('completed');
    expect((await ctx.models.Customer.findById(c._id).lean())?.phone).toBe('+6281290001122');

    outbox.clear();
    const taken = await ask(c._id, {
      type: 'update',
      changes: { phone: other.phone ?? '', email: 'baru@contoh.id' },
    });
    await service.decide({ ref: taken.ref, outcome: 'approved', staff: 'staff:rina' });
    outbox.clear();
    expect(await processRequest(ctx, deps, taken.ref)).toBe('failed');
    const after = await ctx.models.Customer.findById(c._id).lean();
    expect(after?.phone).toBe('+6281290001122');
    expect(after?.email).toBe(c.email); // all or nothing
    const req = await load(taken.ref);
    expect(req.status).toBe('failed');
    expect(req.result).toMatchObject({ code: 'PHONE_UNAVAILABLE' });
    expect(req.changes).toBeUndefined(); // the refused number is not kept
    const [reply] = outbox.textsTo(CHAT);
    expect(reply).toContain('Nomor telepon baru tidak dapat dipakai');
    expect(reply).not.toMatch(/terdaftar|registered|pelanggan lain|another customer/i);
    expect(reply).not.toContain(other.name ?? 'x');
  });

  it('fails an update whose stored changes do not validate', async () => {
    const c = await seedCustomer(ctx);
    const r = await ask(c._id, { type: 'update', changes: { email: 'ok@contoh.id' } });
    await ctx.models.PrivacyRequest.updateOne({ ref: r.ref }, { $set: { changes: { email: 'rusak' } } });
    expect(await processRequest(ctx, deps, r.ref)).toBe('failed');
    expect((await load(r.ref)).result).toEqual({ code: 'INVALID_CHANGES' });
    expect((await ctx.models.Customer.findById(c._id).lean())?.email).toBe(c.email);
  });
});

describe('erase worker', () => {
  it('removes every personal value and keeps finished orders as bookkeeping needs them', async () => {
    const c = await seedCustomer(ctx, { orders: 4 });
    const oldPhone = c.phone ?? '';
    const chat = '7770042'; // this test's own chat: other customers keep theirs
    // Verified chat and session in Redis, an earlier request carrying personal values.
    await linkChat(ctx, 'telegram', chat, String(c._id));
    await ctx.redis.set(sessionKey(ctx, 'telegram', chat), '{"flow":"menu"}');
    const earlier = await ask(c._id, {
      type: 'update',
      chatId: chat,
      changes: { address: 'Jl. Rahasia Lama No. 1, Bogor' },
    });
    await ctx.models.PrivacyRequest.updateOne({ ref: earlier.ref }, { $set: { status: 'completed' } });
    // A promotion reached the customer (and someone else, whose records stay).
    const other = await seedCustomer(ctx);
    for (const [id, n] of [
      [c._id, 1],
      [other._id, 2],
    ] as const) {
      await ctx.models.PromoDelivery.create({
        _id: `p1:${id}`,
        promoId: 'p1',
        customerId: id,
        state: 'sent',
      });
      await ctx.models.PromoMessage.create({
        _id: `hash${n}:${n}00`,
        promoId: 'p1',
        customerId: id,
        channel: 'telegram',
        sentAt: clock,
      });
    }

    const r = await ask(c._id, { type: 'erase', chatId: chat });
    expect(r.status).toBe('queued');
    expect(await processRequest(ctx, deps, r.ref)).toBe('completed');

    const after = await ctx.models.Customer.findById(c._id).lean();
    for (const field of ['name', 'phone', 'email', 'address', 'area', 'paymentMethod'] as const)
      expect(after?.[field], field).toBeUndefined();
    expect(after?.customerNo).toBe(c.customerNo);
    expect(after?.erasedAt?.toISOString()).toBe(clock.toISOString());
    expect(after?.marketingConsent).toEqual({ granted: false, updatedAt: clock, source: `request:${r.ref}` });
    expect(after?.consentHistory).toEqual([
      { granted: false, at: clock, source: 'erasure', requestRef: r.ref },
    ]);

    expect(await ctx.models.PromoDelivery.countDocuments({ customerId: c._id })).toBe(0);
    expect(await ctx.models.PromoMessage.countDocuments({ customerId: c._id })).toBe(0);
    expect(await ctx.models.PromoDelivery.countDocuments({ customerId: other._id })).toBe(1);
    expect(await ctx.models.PromoMessage.countDocuments({ customerId: other._id })).toBe(1);

    const orders = await ctx.models.ServiceOrder.find({ customerId: c._id }).lean();
    expect(orders).toHaveLength(4);
    for (const o of orders) {
      const kept = Object.keys(o).filter((k) => !['createdAt', 'updatedAt', '__v'].includes(k));
      expect(kept.sort()).toEqual(
        [
          '_id',
          'orderNo',
          'customerId',
          'service',
          'status',
          'scheduledAt',
          'amount',
          'paymentStatus',
          'anonymizedAt',
        ].sort(),
      );
      expect(o).toMatchObject({
        service: 'sedot WC',
        amount: 350_000,
        paymentStatus: 'paid',
        status: 'completed',
      });
      expect(o.anonymizedAt?.toISOString()).toBe(clock.toISOString());
    }

    const hash = keyedHash(ctx.config.otp.secret, 'phone', oldPhone);
    expect(await ctx.models.Suppression.findOne({ hash }).lean()).toMatchObject({
      kind: 'phone',
      reason: 'erased',
      source: `request:${r.ref}`,
    });
    expect(await ctx.redis.exists(linkKey(ctx, 'telegram', chat), sessionKey(ctx, 'telegram', chat))).toBe(0);
    expect(await ctx.redis.exists(ctx.key('customer-chats', String(c._id)))).toBe(0);

    const req = await load(r.ref);
    expect(req).toMatchObject({
      status: 'completed',
      chatId: ERASED,
      result: { ordersAnonymized: 4, ordersKept: 0 },
    });
    const old = await load(earlier.ref);
    expect(old.chatId).toBe(ERASED);
    expect(old.changes).toBeUndefined();

    // Told before the chat id went.
    expect(outbox.delivered).toHaveLength(1);
    expect(outbox.delivered[0]?.chatId).toBe(chat);
    expect(outbox.textsTo(chat)[0]).toContain(`Data pribadi Anda sudah kami hapus (permintaan ${r.ref})`);

    // Nowhere in the database: phone (with and without +), email, name, address, chat id.
    const dump = await dumpDatabase(ctx);
    for (const value of [
      oldPhone,
      oldPhone.slice(1),
      c.email ?? '',
      c.name ?? '',
      c.address ?? '',
      'Rahasia Lama',
      `"${chat}"`,
      c.consentHistory[0]?.messageId ?? 'x',
    ])
      expect(dump.includes(value), value).toBe(false);
    // And no Redis key of this installation names the phone or the chat.
    const keys = await ctx.redis.keys(`${ctx.config.redisPrefix}:*`);
    expect(keys.filter((k) => k.includes(oldPhone.slice(1)) || k.includes(chat))).toEqual([]);
  });

  it('after staff approval with an open order: the open and unpaid orders stay whole, the rest is reduced', async () => {
    const c = await seedCustomer(ctx, { orders: 2, open: 1, unpaid: 1 });
    const r = await ask(c._id, { type: 'erase', locale: 'en' });
    expect(r.flags.map((f) => f.code)).toEqual(['OPEN_ORDER', 'UNPAID_ORDER']);
    await service.decide({ ref: r.ref, outcome: 'approved', staff: 'staff:rina' });
    outbox.clear();
    expect(await processRequest(ctx, deps, r.ref)).toBe('completed');
    const kept = await ctx.models.ServiceOrder.find({
      customerId: c._id,
      anonymizedAt: { $exists: false },
    }).lean();
    expect(kept.map((o) => [o.status, o.paymentStatus]).sort()).toEqual([
      ['completed', 'unpaid'],
      ['scheduled', 'unpaid'],
    ]);
    for (const o of kept) expect(o.address).toBe(c.address);
    expect(
      await ctx.models.ServiceOrder.countDocuments({
        customerId: c._id,
        anonymizedAt: { $exists: true },
        address: { $exists: false },
      }),
    ).toBe(2);
    expect((await load(r.ref)).result).toEqual({ ordersAnonymized: 2, ordersKept: 2 });
    expect(outbox.textsTo(CHAT)[0]).toContain('2 order(s) still open or unpaid are kept');
  });

  it('finishes exactly once when the job dies half way and is run again, then runs a third time idle', async () => {
    const c = await seedCustomer(ctx, { orders: 5 });
    const other = await ask(c._id, { type: 'access' }); // queued: erasure cancels it
    const r = await ask(c._id, { type: 'erase' });
    let crash = true;
    const crashing: HandlerDeps = {
      ...deps,
      checkpoint: async (_ref, step) => {
        if (crash && step === 'erase:orders') throw new Error('worker died');
      },
    };
    await expect(processRequest(ctx, crashing, r.ref, { finalAttempt: false })).rejects.toThrow(
      'worker died',
    );
    expect((await load(r.ref)).status).toBe('processing');
    expect(
      await ctx.models.ServiceOrder.countDocuments({ customerId: c._id, anonymizedAt: { $exists: true } }),
    ).toBe(5);
    expect((await ctx.models.Customer.findById(c._id).lean())?.phone).toBe(c.phone);
    expect(outbox.calls).toHaveLength(0);

    crash = false;
    expect(await processRequest(ctx, crashing, r.ref, { finalAttempt: false })).toBe('completed');
    const snapshot = async () =>
      JSON.stringify([
        await ctx.models.Customer.findById(c._id).lean(),
        await ctx.models.ServiceOrder.find({ customerId: c._id }).sort({ orderNo: 1 }).lean(),
        await ctx.models.PrivacyRequest.find({ customerId: c._id }).sort({ ref: 1 }).lean(),
        await ctx.models.AuditEvent.countDocuments({}),
        await ctx.models.Suppression.countDocuments({}),
      ]);
    const first = await snapshot();
    expect(await processRequest(ctx, deps, r.ref)).toBe('skipped');
    // Even the effect alone, run again on the erased customer, changes nothing.
    await REQUEST_HANDLERS.erase(ctx, await load(r.ref), deps);
    expect(await snapshot()).toBe(first);

    const req = await load(r.ref);
    expect(req.attempts).toBe(2);
    expect(req.history.map((h) => h.to)).toEqual(['queued', 'processing', 'completed']);
    expect(await auditOf(r.ref)).toEqual([
      'request.created',
      'request.status',
      'customer.erased',
      'request.status',
    ]);
    expect(outbox.delivered).toHaveLength(1);
    expect((await load(other.ref)).status).toBe('cancelled');
    expect((await load(other.ref)).history.at(-1)).toMatchObject({
      actor: 'system:erase-worker',
      note: `customer erased by ${r.ref}`,
    });
  });
});

describe('consent worker', () => {
  it('unsubscribe: consent off at once with proof, number suppressed; subscribe: back on, suppression lifted', async () => {
    const c = await seedCustomer(ctx, { marketing: true });
    const off = await ask(c._id, {
      type: 'unsubscribe',
      proof: { words: 'STOP', messageId: 'tg-991', promoId: 'PROMO-2025-04' },
    });
    expect(await processRequest(ctx, deps, off.ref)).toBe('completed');
    let after = await ctx.models.Customer.findById(c._id).lean();
    expect(after?.marketingConsent).toEqual({
      granted: false,
      updatedAt: clock,
      source: 'telegram:promo-reply',
    });
    expect(after?.consentHistory).toHaveLength(2);
    expect(after?.consentHistory.at(-1)).toEqual({
      granted: false,
      at: clock,
      source: 'telegram:promo-reply',
      channel: 'telegram',
      words: 'STOP',
      messageId: 'tg-991',
      promoId: 'PROMO-2025-04',
      requestRef: off.ref,
    });
    const hash = keyedHash(ctx.config.otp.secret, 'phone', c.phone ?? '');
    expect(await ctx.models.Suppression.findOne({ hash }).lean()).toMatchObject({
      kind: 'phone',
      reason: 'opted_out',
    });
    expect(outbox.textsTo(CHAT)).toEqual([
      'Anda tidak akan menerima promosi dari kami lagi. Ketik LANGGANAN bila ingin menerimanya kembali.',
    ]);
    // The effect twice: one history entry.
    await REQUEST_HANDLERS.unsubscribe(ctx, await load(off.ref), deps);
    expect((await ctx.models.Customer.findById(c._id).lean())?.consentHistory).toHaveLength(2);

    const on = await ask(c._id, { type: 'subscribe', proof: { words: 'langganan' } });
    expect(await processRequest(ctx, deps, on.ref)).toBe('completed');
    after = await ctx.models.Customer.findById(c._id).lean();
    expect(after?.marketingConsent).toEqual({ granted: true, updatedAt: clock, source: 'telegram:keyword' });
    expect(after?.consentHistory.at(-1)).toMatchObject({
      granted: true,
      words: 'langganan',
      requestRef: on.ref,
    });
    expect(await ctx.models.Suppression.countDocuments({ hash })).toBe(0);
    expect(
      await ctx.models.AuditEvent.countDocuments({ action: 'consent.changed', customerId: oid(c._id) }),
    ).toBe(2);
  });

  it('an unsubscribe from a sender who is not a customer suppresses the chat', async () => {
    const r = await service.create({
      type: 'unsubscribe',
      channel: 'whatsapp',
      chatId: '6281311112222@c.us',
      locale: 'id',
      proof: { words: 'berhenti' },
    });
    expect(await processRequest(ctx, deps, r.ref)).toBe('completed');
    const hash = keyedHash(ctx.config.otp.secret, 'chat', 'whatsapp\n6281311112222@c.us');
    expect(await ctx.models.Suppression.findOne({ hash }).lean()).toMatchObject({
      kind: 'chat',
      reason: 'opted_out',
    });
    expect((await load(r.ref)).result).toEqual({ granted: false, scope: 'chat' });
  });

  it('an erased number stays suppressed as erased when the customer later opts out again', async () => {
    const c = await seedCustomer(ctx);
    const hash = keyedHash(ctx.config.otp.secret, 'phone', c.phone ?? '');
    await ctx.models.Suppression.create({ hash, kind: 'phone', reason: 'erased', source: 'test' });
    const r = await ask(c._id, { type: 'unsubscribe' });
    await processRequest(ctx, deps, r.ref);
    expect(await ctx.models.Suppression.findOne({ hash }).lean()).toMatchObject({ reason: 'erased' });
  });
});

describe('access worker', () => {
  it('sends data-saya.json and data-saya.pdf to the chat the request came from', async () => {
    const c = await seedCustomer(ctx, { orders: 3 });
    const r = await ask(c._id, { type: 'access', chatId: '7770009' });
    expect(await processRequest(ctx, deps, r.ref)).toBe('completed');
    expect(outbox.delivered).toHaveLength(1);
    const sent = outbox.delivered[0];
    expect(sent).toMatchObject({
      channel: 'telegram',
      chatId: '7770009',
      meta: { requestRef: r.ref, dedupeKey: `${r.ref}:outcome` },
    });
    const [json, pdf, note] = sent?.messages ?? [];
    expect(json).toMatchObject({
      kind: 'document',
      fileName: 'data-saya.json',
      mimeType: 'application/json',
    });
    expect(pdf).toMatchObject({ kind: 'document', fileName: 'data-saya.pdf', mimeType: 'application/pdf' });
    expect(note).toMatchObject({ kind: 'text', text: expect.stringContaining(r.ref) });
    if (json?.kind !== 'document' || pdf?.kind !== 'document') throw new Error('documents expected');
    const pkg = accessPackageSchema.parse(
      JSON.parse(Buffer.from(json.contentBase64, 'base64').toString('utf8')),
    );
    expect(pkg.sections.profile.email).toBe(c.email);
    expect(pkg.sections.orders.count).toBe(3);
    const pdfText = (await extractPdfText(Buffer.from(pdf.contentBase64, 'base64'))).text;
    expect(pdfText).toContain('Sanita Jaya');
    expect(pdfText).toContain(c.customerNo);

    const req = await load(r.ref);
    expect(req.status).toBe('completed');
    expect(req.result).toMatchObject({
      orders: 3,
      jsonBytes: expect.any(Number),
      pdfBytes: expect.any(Number),
    });
    expect(JSON.stringify(req.result)).not.toContain(c.email ?? 'x');
    expect(await auditOf(r.ref)).toEqual([
      'request.created',
      'request.status',
      'access.prepared',
      'request.status',
    ]);
  });

  it('fails (and says so) for a customer erased after asking', async () => {
    const c = await seedCustomer(ctx);
    const r = await ask(c._id, { type: 'access' });
    await ctx.models.Customer.updateOne({ _id: c._id }, { $set: { erasedAt: clock } });
    expect(await processRequest(ctx, deps, r.ref)).toBe('failed');
    expect((await load(r.ref)).result).toEqual({ code: 'CUSTOMER_GONE' });
    expect(outbox.textsTo(CHAT)[0]).toContain(`permintaan ${r.ref} belum dapat kami selesaikan`);
  });
});
