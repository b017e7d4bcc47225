import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { REQUEST_STATUSES } from '../../src/db/index.js';
import type { Outbox } from '../../src/outbound/types.js';
import { RequestError } from '../../src/requests/api.js';
import { renderNotice } from '../../src/requests/notices.js';
import { createRequestReadModel } from '../../src/requests/read-model.js';
import { normalizeRef, REF_PATTERN } from '../../src/requests/ref.js';
import { contactLine, createRequestService } from '../../src/requests/service.js';
import { canTransition, TRANSITIONS, transition } from '../../src/requests/states.js';
import { cachedStatusList } from '../../src/requests/status-cache.js';
import { ERASED } from '../../src/workers/erase.js';
import { reconcileRequests } from '../../src/workers/reconciler.js';
import { processRequest } from '../../src/workers/request-worker.js';
import { oid, seedCustomer, workerTestKit } from '../fixtures/requests-kit.js';

let clock = new Date('2025-03-03T02:00:00Z');

const { ctx, outbox, staff, queue, service, close } = await workerTestKit({
  env: { MAX_REQUESTS_PER_DAY: '3', SLA_ERASE_HOURS: '120' },
  now: () => clock,
});
afterAll(close);
beforeEach(() => {
  outbox.clear();
  staff.flagged.length = 0;
  clock = new Date(clock.getTime() + 3 * 86_400_000);
});

const base = (customerId: string) => ({
  customerId,
  channel: 'telegram',
  chatId: '5550001',
  locale: 'id' as const,
});

describe('creating a request', () => {
  it('saves it queued with ref, dueAt and history, audits it and queues a job named by the ref', async () => {
    const c = await seedCustomer(ctx);
    const created = await service.create({ ...base(String(c._id)), type: 'access' });
    expect(created.ref).toMatch(REF_PATTERN);
    expect(created.ref).not.toMatch(/[01OI]/);
    expect(created).toMatchObject({ status: 'queued', flagged: false, flags: [] });
    expect(created.dueAt.getTime() - clock.getTime()).toBe(72 * 3600_000);

    const doc = await ctx.models.PrivacyRequest.findOne({ ref: created.ref }).lean();
    expect(doc).toMatchObject({
      type: 'access',
      status: 'queued',
      channel: 'telegram',
      chatId: '5550001',
      locale: 'id',
      flags: [],
      reminders: [],
    });
    expect(String(doc?.customerId)).toBe(String(c._id));
    expect(doc?.createdAt.toISOString()).toBe(clock.toISOString());
    expect(doc?.history).toEqual([{ at: clock, from: null, to: 'queued', actor: 'customer' }]);

    // A queued request's "created" event is written by whoever closes it, with every other
    // step's event in one insert (the worker, usually): until then it is the history entry.
    expect(await ctx.models.AuditEvent.countDocuments({ requestRef: created.ref })).toBe(0);
    await transition(ctx, { ref: created.ref, from: 'queued', to: 'cancelled', actor: 'customer' });
    const events = await ctx.models.AuditEvent.find({ requestRef: created.ref }).sort({ _id: 1 }).lean();
    expect(events.map((e) => e.action)).toEqual(['request.created', 'request.status']);
    expect(events[0]).toMatchObject({ action: 'request.created', actor: 'customer' });
    expect(events[0]?.details).toMatchObject({ type: 'access', from: null, to: 'queued' });

    const job = await queue.getJob(created.ref);
    expect(job?.id).toBe(created.ref);
    expect(job?.name).toBe('access');
    // Only keys, no personal value: the ref and the document's _id.
    expect(job?.data).toEqual({ ref: created.ref, id: String(doc?._id) });
    expect(job?.opts.attempts).toBeGreaterThan(1);
    expect(job?.opts.backoff).toMatchObject({ type: 'exponential' });
    // Nothing is said to the customer by create itself for a queued request: the flow replies.
    expect(outbox.delivered).toHaveLength(0);
  });

  it('takes dueAt from the per-type SLA configuration', async () => {
    const c = await seedCustomer(ctx);
    const erase = await service.create({ ...base(String(c._id)), type: 'erase' });
    expect(erase.dueAt.getTime() - clock.getTime()).toBe(120 * 3600_000);
    const unsub = await service.create({ ...base(String(c._id)), type: 'unsubscribe' });
    expect(unsub.dueAt.getTime() - clock.getTime()).toBe(24 * 3600_000);
  });

  it('draws a new ref when the first one is taken', async () => {
    const c = await seedCustomer(ctx);
    const refs = ['PR-AAAAAA', 'PR-AAAAAA', 'PR-BBBBBB'];
    const colliding = createRequestService(ctx, {
      outbox,
      queue,
      now: () => clock,
      newRef: () => refs.shift() ?? 'PR-ZZZZZZ',
    });
    const first = await colliding.create({ ...base(String(c._id)), type: 'access' });
    const second = await colliding.create({ ...base(String(c._id)), type: 'access' });
    expect(first.ref).toBe('PR-AAAAAA');
    expect(second.ref).toBe('PR-BBBBBB');
    expect(await ctx.models.PrivacyRequest.countDocuments({ ref: { $in: ['PR-AAAAAA', 'PR-BBBBBB'] } })).toBe(
      2,
    );
  });

  it('refuses bad input with coded errors', async () => {
    const c = await seedCustomer(ctx);
    await expect(
      service.create({ ...base(String(c._id)), customerId: undefined, type: 'erase' }),
    ).rejects.toMatchObject({
      code: 'NOT_VERIFIED',
    });
    await expect(
      service.create({ ...base('65f000000000000000000000'), type: 'access' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      service.create({ ...base(String(c._id)), type: 'update', changes: { email: 'not-an-email' } }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(
      service.create({ ...base(String(c._id)), type: 'update', changes: { customerNo: 'C-9' } }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(
      service.create({ ...base(String(c._id)), type: 'update', changes: {} }),
    ).rejects.toBeInstanceOf(RequestError);
    await ctx.models.Customer.updateOne({ _id: c._id }, { $set: { erasedAt: new Date() } });
    await expect(service.create({ ...base(String(c._id)), type: 'access' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('stores update changes normalized', async () => {
    const c = await seedCustomer(ctx);
    const r = await service.create({
      ...base(String(c._id)),
      type: 'update',
      changes: { email: '  Kartika.Baru@Contoh.ID ', name: '  Kartika   W. ' },
    });
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean();
    expect(doc?.changes).toEqual({ email: 'kartika.baru@contoh.id', name: 'Kartika W.' });
  });

  it('accepts an unsubscribe from a proven sender who is not a customer', async () => {
    const r = await service.create({
      type: 'unsubscribe',
      channel: 'whatsapp',
      chatId: '6281299990000@c.us',
      locale: 'id',
      proof: { words: 'STOP', messageId: 'wamid.1', promoId: 'PROMO-7' },
    });
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean();
    expect(doc?.customerId).toBeUndefined();
    expect(doc?.changes).toEqual({ words: 'STOP', messageId: 'wamid.1', promoId: 'PROMO-7' });
    expect(r.status).toBe('queued');
  });
});

describe('flag rules', () => {
  it('holds an erase with an open order and an unpaid order for staff, and tells the customer', async () => {
    const c = await seedCustomer(ctx, { open: 1, unpaid: 1 });
    const r = await service.create({ ...base(String(c._id)), type: 'erase' });
    expect(r.status).toBe('pending_approval');
    expect(r.flagged).toBe(true);
    expect(r.flags.map((f) => f.code)).toEqual(['OPEN_ORDER', 'UNPAID_ORDER']);
    expect(staff.flagged).toEqual([r.ref]);
    expect(await queue.getJob(r.ref)).toBeUndefined();
    expect(outbox.delivered).toHaveLength(1);
    expect(outbox.delivered[0]).toMatchObject({ channel: 'telegram', chatId: '5550001' });
    expect(outbox.textsTo('5550001')[0]).toContain(`Permintaan ${r.ref} perlu ditinjau staf`);
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean();
    expect(doc?.flags.map((f) => f.code)).toEqual(['OPEN_ORDER', 'UNPAID_ORDER']);
  });

  it('does not flag an erase whose orders are all finished (cancelled unpaid owes nothing)', async () => {
    const c = await seedCustomer(ctx, { orders: 2 });
    await ctx.models.ServiceOrder.create({
      orderNo: `SO-X-${c.customerNo}`,
      customerId: c._id,
      service: 'sedot WC',
      status: 'cancelled',
      scheduledAt: new Date(),
      amount: 0,
      paymentStatus: 'unpaid',
    });
    const r = await service.create({ ...base(String(c._id)), type: 'erase' });
    expect(r.status).toBe('queued');
  });

  it('flags a phone change but not other changes, in English when asked', async () => {
    const c = await seedCustomer(ctx);
    const phone = await service.create({
      ...base(String(c._id)),
      locale: 'en',
      type: 'update',
      changes: { phone: '0812-8761-2200' },
    });
    expect(phone.flags).toEqual([{ code: 'PHONE_CHANGE', reason: expect.any(String) }]);
    expect(outbox.textsTo('5550001')[0]).toContain(`Request ${phone.ref} needs a review by our staff`);
    const email = await service.create({
      ...base(String(c._id)),
      type: 'update',
      changes: { email: 'a@b.id' },
    });
    expect(email.status).toBe('queued');
  });

  it('flags more than MAX_REQUESTS_PER_DAY requests in 24 hours, but never a consent change', async () => {
    const c = await seedCustomer(ctx);
    const statuses: string[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await service.create({ ...base(String(c._id)), type: 'access' })).status);
    expect(statuses).toEqual(['queued', 'queued', 'queued', 'pending_approval']);
    const unsub = await service.create({ ...base(String(c._id)), type: 'unsubscribe' });
    expect(unsub.status).toBe('queued');
    // A day later the count starts again.
    clock = new Date(clock.getTime() + 25 * 3600_000);
    expect((await service.create({ ...base(String(c._id)), type: 'access' })).status).toBe('queued');
  });
});

describe('staff decisions', () => {
  it('approved: queued with the decision recorded, job added, customer told', async () => {
    const c = await seedCustomer(ctx, { open: 1 });
    const r = await service.create({ ...base(String(c._id)), type: 'erase' });
    outbox.clear();
    const summary = await service.decide({
      ref: r.ref.toLowerCase(),
      outcome: 'approved',
      staff: 'staff:rina',
    });
    expect(summary.status).toBe('queued');
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean();
    expect(doc?.decision).toMatchObject({ outcome: 'approved', by: 'staff:rina', at: clock });
    expect(doc?.history.map((h) => [h.from, h.to, h.actor])).toEqual([
      [null, 'pending_approval', 'customer'],
      ['pending_approval', 'queued', 'staff:rina'],
    ]);
    expect((await queue.getJob(r.ref))?.id).toBe(r.ref);
    expect(outbox.textsTo('5550001')).toEqual([`Permintaan ${r.ref} disetujui staf dan sedang kami proses.`]);
    const audit = await ctx.models.AuditEvent.find({ requestRef: r.ref }).sort({ at: 1 }).lean();
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['request.created', 'customer'],
      ['request.status', 'staff:rina'],
    ]);
  });

  it('rejected: needs a reason, sends it to the customer, and a second decision changes nothing', async () => {
    const c = await seedCustomer(ctx, { unpaid: 1 });
    const r = await service.create({ ...base(String(c._id)), type: 'erase' });
    outbox.clear();
    await expect(
      service.decide({ ref: r.ref, outcome: 'rejected', staff: 'staff:rina' }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    const summary = await service.decide({
      ref: r.ref,
      outcome: 'rejected',
      staff: 'telegram:111',
      reason: 'Masih ada tagihan yang belum dibayar',
    });
    expect(summary).toMatchObject({ status: 'rejected', reason: 'Masih ada tagihan yang belum dibayar' });
    expect(outbox.textsTo('5550001')[0]).toContain('Alasan dari staf: Masih ada tagihan yang belum dibayar');
    await expect(
      service.decide({ ref: r.ref, outcome: 'approved', staff: 'staff:budi' }),
    ).rejects.toMatchObject({
      code: 'ALREADY_DECIDED',
    });
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean();
    expect(doc?.status).toBe('rejected');
    expect(doc?.decision?.by).toBe('telegram:111');
    expect(await queue.getJob(r.ref)).toBeUndefined();
    expect((await service.findForCustomer(String(c._id), r.ref))?.reason).toBe(
      'Masih ada tagihan yang belum dibayar',
    );
  });

  it('a rejected or cancelled update keeps none of the new values', async () => {
    const c = await seedCustomer(ctx);
    const r = await service.create({
      ...base(String(c._id)),
      type: 'update',
      changes: { phone: '0812-8761-3300' },
    });
    await service.decide({
      ref: r.ref,
      outcome: 'rejected',
      staff: 'staff:rina',
      reason: 'nomor tidak cocok',
    });
    expect((await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean())?.changes).toBeUndefined();
    const q = await service.create({
      ...base(String(c._id)),
      type: 'update',
      changes: { email: 'x@contoh.id' },
    });
    await service.cancel(String(c._id), q.ref);
    expect((await ctx.models.PrivacyRequest.findOne({ ref: q.ref }).lean())?.changes).toBeUndefined();
  });

  it('two staff deciding at once: exactly one wins', async () => {
    const c = await seedCustomer(ctx, { open: 1 });
    const r = await service.create({ ...base(String(c._id)), type: 'erase' });
    const results = await Promise.allSettled([
      service.decide({ ref: r.ref, outcome: 'approved', staff: 'staff:a' }),
      service.decide({ ref: r.ref, outcome: 'rejected', staff: 'staff:b', reason: 'tidak' }),
    ]);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((x) => x.status === 'rejected');
    expect((loser as PromiseRejectedResult).reason).toMatchObject({ code: 'ALREADY_DECIDED' });
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean();
    expect(doc?.history).toHaveLength(2);
  });

  it('refuses to decide a request that is not waiting for staff', async () => {
    const c = await seedCustomer(ctx);
    const r = await service.create({ ...base(String(c._id)), type: 'access' });
    await expect(service.decide({ ref: r.ref, outcome: 'approved', staff: 'staff:a' })).rejects.toMatchObject(
      {
        code: 'ILLEGAL_TRANSITION',
      },
    );
    await expect(
      service.decide({ ref: 'PR-ZZZZZZ', outcome: 'approved', staff: 'staff:a' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('customer reads and cancels', () => {
  it('lists newest first and finds only the customer’s own refs', async () => {
    const a = await seedCustomer(ctx);
    const b = await seedCustomer(ctx);
    const first = await service.create({ ...base(String(a._id)), type: 'access' });
    clock = new Date(clock.getTime() + 60_000);
    const second = await service.create({ ...base(String(a._id)), type: 'unsubscribe' });
    const list = await service.listForCustomer(String(a._id));
    expect(list.map((s) => s.ref)).toEqual([second.ref, first.ref]);
    expect(list[0]).toMatchObject({ type: 'unsubscribe', status: 'queued' });
    expect(await service.findForCustomer(String(a._id), first.ref.slice(3).toLowerCase())).toMatchObject({
      ref: first.ref,
    });
    expect(await service.findForCustomer(String(b._id), first.ref)).toBeUndefined();
    expect(await service.findForCustomer(String(a._id), 'nonsense')).toBeUndefined();
    expect(await service.listForCustomer('not-an-id')).toEqual([]);
  });

  it('cancels a queued request (job removed) but not someone else’s, and not twice', async () => {
    const a = await seedCustomer(ctx);
    const b = await seedCustomer(ctx);
    const r = await service.create({ ...base(String(a._id)), type: 'access' });
    await expect(service.cancel(String(b._id), r.ref)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const s = await service.cancel(String(a._id), r.ref);
    expect(s.status).toBe('cancelled');
    expect(await queue.getJob(r.ref)).toBeUndefined();
    await expect(service.cancel(String(a._id), r.ref)).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    const events = await ctx.models.AuditEvent.countDocuments({
      requestRef: r.ref,
      action: 'request.status',
    });
    expect(events).toBe(1);
  });
});

describe('the status list cache', () => {
  it('serves a repeated status from Redis, and every new request or status change is seen at once', async () => {
    const c = await seedCustomer(ctx);
    const id = String(c._id);
    const first = await service.create({ ...base(id), type: 'access' });
    expect((await service.listForCustomer(id)).map((s) => s.status)).toEqual(['queued']);
    // A write that bypasses the request service (never done by the app) shows the cache is used…
    await ctx.models.PrivacyRequest.updateOne({ ref: first.ref }, { $set: { type: 'update' } });
    const cached = await service.listForCustomer(id);
    expect(cached[0]?.type).toBe('access');
    expect(cached[0]?.createdAt).toBeInstanceOf(Date);
    // …and every change through the service or the state machine invalidates it.
    await transition(ctx, { ref: first.ref, from: 'queued', to: 'processing', actor: 'test' });
    expect(await service.listForCustomer(id)).toMatchObject([{ ref: first.ref, status: 'processing' }]);
    clock = new Date(clock.getTime() + 1000);
    const second = await service.create({ ...base(id), type: 'unsubscribe' });
    expect((await service.listForCustomer(id)).map((s) => s.ref)).toEqual([second.ref, first.ref]);
    // Another customer's list is another entry.
    const other = await seedCustomer(ctx);
    expect(await service.listForCustomer(String(other._id))).toEqual([]);
  });

  it('a list read while the requests changed is not used afterwards', async () => {
    const c = await seedCustomer(ctx);
    const id = String(c._id);
    const r = await service.create({ ...base(id), type: 'access' });
    // The reader loads the old list; the change lands (and bumps the version) before it caches it.
    const stale = await cachedStatusList(ctx, id, 5, async () => {
      const rows = await service.listForCustomer(id, 6);
      await transition(ctx, { ref: r.ref, from: 'queued', to: 'cancelled', actor: 'customer' });
      return rows;
    });
    expect(stale[0]?.status).toBe('queued');
    expect((await service.listForCustomer(id))[0]?.status).toBe('cancelled');
  });
});

describe('state machine', () => {
  it('allows exactly the transitions of the table', () => {
    const allowed = REQUEST_STATUSES.flatMap((from) =>
      REQUEST_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}>${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'pending_approval>queued',
        'pending_approval>rejected',
        'pending_approval>cancelled',
        'queued>processing',
        'queued>cancelled',
        'queued>failed',
        'processing>completed',
        'processing>failed',
      ].sort(),
    );
    for (const terminal of ['completed', 'rejected', 'failed', 'cancelled'] as const)
      expect(TRANSITIONS[terminal]).toEqual([]);
  });

  it('refuses an illegal transition without touching the request', async () => {
    const c = await seedCustomer(ctx);
    const r = await service.create({ ...base(String(c._id)), type: 'access' });
    await expect(
      transition(ctx, { ref: r.ref, from: 'queued', to: 'completed', actor: 'test' }),
    ).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    // Legal in the table but the request is not in that state.
    await expect(
      transition(ctx, { ref: r.ref, from: 'processing', to: 'completed', actor: 'test' }),
    ).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION', message: expect.stringContaining('is queued') });
    await transition(ctx, { ref: r.ref, from: 'queued', to: 'processing', actor: 'test' });
    await transition(ctx, { ref: r.ref, from: 'processing', to: 'completed', actor: 'test' });
    await expect(
      transition(ctx, { ref: r.ref, from: 'completed', to: 'queued', actor: 'test' }),
    ).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    await expect(
      transition(ctx, { ref: 'PR-ZZZZZ2', from: 'queued', to: 'processing', actor: 'test' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean();
    expect(doc?.status).toBe('completed');
    expect(doc?.history.map((h) => h.to)).toEqual(['queued', 'processing', 'completed']);
    expect(await ctx.models.AuditEvent.countDocuments({ requestRef: r.ref })).toBe(3);
  });

  it('finishes the audit of a request closed by a process that died before writing its event', async () => {
    const c = await seedCustomer(ctx);
    const r = await service.create({ ...base(String(c._id)), type: 'access' });
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean();
    if (!doc) throw new Error('not saved');
    // By _id, the ref must still match: a job with a stale id changes nothing.
    await expect(
      transition(ctx, { ref: 'PR-ZZZZZ2', id: doc._id, from: 'queued', to: 'processing', actor: 'test' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await transition(ctx, { ref: r.ref, id: doc._id, from: 'queued', to: 'processing', actor: 'test' });
    const closed = await transition(ctx, {
      ref: r.ref,
      id: doc._id,
      from: 'processing',
      to: 'completed',
      actor: 'test',
    });
    expect(closed.status).toBe('completed');
    expect((await ctx.models.PrivacyRequest.findById(doc._id).lean())?.auditPending).toBeUndefined();

    // What a SIGKILL between the closing status and its event leaves behind.
    // (The model refuses deletes: audit events are append-only. The driver is the crash's stand-in.)
    await ctx.mongo.collection('auditevents').deleteOne({ idempotencyKey: `${r.ref}:processing>completed` });
    await ctx.models.PrivacyRequest.updateOne(
      { _id: doc._id },
      { $set: { auditPending: true, updatedAt: new Date(Date.now() - 60_000) } },
      { timestamps: false },
    );
    const report = await reconcileRequests(ctx, queue, { outbox });
    expect(report.audited).toBeGreaterThanOrEqual(1);
    expect(await ctx.models.AuditEvent.countDocuments({ requestRef: r.ref })).toBe(3);
    expect(
      await ctx.models.AuditEvent.countDocuments({ idempotencyKey: `${r.ref}:processing>completed` }),
    ).toBe(1);
    expect((await ctx.models.PrivacyRequest.findById(doc._id).lean())?.auditPending).toBeUndefined();
    // Run again: nothing more to do, nothing written twice.
    await reconcileRequests(ctx, queue, { outbox });
    expect(await ctx.models.AuditEvent.countDocuments({ requestRef: r.ref })).toBe(3);
  });

  /** A worker's claim and close, both leaving their events (and `events`) to the insert after the close. */
  const claimAndCloseLeavingAudit = async (
    ref: string,
    id: Parameters<typeof transition>[1]['id'],
    events: NonNullable<Parameters<typeof transition>[1]['deferAudit']>['events'],
  ) => {
    await transition(ctx, { ref, id, from: 'queued', to: 'processing', actor: 'w', deferAudit: {} });
    await transition(ctx, {
      ref,
      id,
      from: 'processing',
      to: 'completed',
      actor: 'w',
      deferAudit: { events },
    });
  };

  it("writes the events a worker left to its close, its handler's included, when it died before writing them", async () => {
    const c = await seedCustomer(ctx);
    const r = await service.create({ ...base(String(c._id)), type: 'access' });
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean();
    if (!doc) throw new Error('not saved');
    const prepared = {
      actor: 'system:access-worker',
      action: 'access.prepared',
      ref: r.ref,
      customerId: c._id,
      details: { orders: 3, email: c.email },
    };
    // The worker's claim and close, each leaving its events to the one insert that follows the
    // close; a SIGKILL comes before that insert.
    await claimAndCloseLeavingAudit(r.ref, doc._id, [prepared]);
    expect(await ctx.models.AuditEvent.countDocuments({ requestRef: r.ref })).toBe(0);
    const marked = await ctx.models.PrivacyRequest.findById(doc._id).lean();
    expect(marked?.auditPending).toBe(true);
    // Kept masked, as it will be written: no personal value waits on the request either.
    expect(JSON.stringify(marked?.pendingAudit)).not.toContain(c.email ?? 'x');
    await ctx.models.PrivacyRequest.updateOne(
      { _id: doc._id },
      { $set: { updatedAt: new Date(Date.now() - 60_000) } },
      { timestamps: false },
    );

    const report = await reconcileRequests(ctx, queue, { outbox });
    expect(report.audited).toBeGreaterThanOrEqual(1);
    const actions = async () =>
      (await ctx.models.AuditEvent.find({ requestRef: r.ref }).sort({ _id: 1 }).lean()).map((e) => e.action);
    expect(await actions()).toEqual([
      'request.created',
      'request.status',
      'access.prepared',
      'request.status',
    ]);
    const cleared = await ctx.models.PrivacyRequest.findById(doc._id).lean();
    expect(cleared?.auditPending).toBeUndefined();
    expect(cleared?.pendingAudit).toBeUndefined();
    await reconcileRequests(ctx, queue, { outbox });
    expect(await actions()).toHaveLength(4);
  });

  it("a job's retry that finds its request closed writes the events the close could not", async () => {
    const c = await seedCustomer(ctx);
    const r = await service.create({ ...base(String(c._id)), type: 'access' });
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean();
    if (!doc) throw new Error('not saved');
    // Claimed and closed; the insert after the close failed (MongoDB went away), so the job is retried.
    await claimAndCloseLeavingAudit(r.ref, doc._id, [
      { actor: 'w', action: 'access.prepared', ref: r.ref, customerId: c._id },
    ]);
    expect(await ctx.models.AuditEvent.countDocuments({ requestRef: r.ref })).toBe(0);

    expect(await processRequest(ctx, { outbox, now: () => new Date() }, r.ref, { id: String(doc._id) })).toBe(
      'skipped',
    );
    const actions = (await ctx.models.AuditEvent.find({ requestRef: r.ref }).sort({ _id: 1 }).lean()).map(
      (e) => e.action,
    );
    expect(actions).toEqual(['request.created', 'request.status', 'access.prepared', 'request.status']);
    expect((await ctx.models.PrivacyRequest.findById(doc._id).lean())?.auditPending).toBeUndefined();
    // Once written, a further retry writes nothing.
    await processRequest(ctx, { outbox, now: () => new Date() }, r.ref, { id: String(doc._id) });
    expect(await ctx.models.AuditEvent.countDocuments({ requestRef: r.ref })).toBe(4);
  });

  it('lets only one of two racing transitions from the same state win', async () => {
    const c = await seedCustomer(ctx);
    const r = await service.create({ ...base(String(c._id)), type: 'access' });
    const results = await Promise.allSettled([
      transition(ctx, { ref: r.ref, from: 'queued', to: 'processing', actor: 'worker' }),
      transition(ctx, { ref: r.ref, from: 'queued', to: 'cancelled', actor: 'customer' }),
    ]);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean();
    expect(doc?.history).toHaveLength(2);
  });
});

describe('audit trail', () => {
  it('holds no raw personal data', async () => {
    const c = await seedCustomer(ctx);
    await service.create({
      ...base(String(c._id)),
      type: 'update',
      changes: { email: 'rahasia.sekali@contoh.id', phone: '081287612345', name: 'Nama Rahasia' },
    });
    const all = JSON.stringify(await ctx.models.AuditEvent.find({ customerId: oid(c._id) }).lean());
    for (const secret of [
      'rahasia.sekali',
      '+6281287612345',
      '81287612345',
      'Nama Rahasia',
      c.phone ?? 'x',
      '5550001',
    ])
      expect(all).not.toContain(secret);
  });

  it('normalizes refs the way customers type them', () => {
    expect(normalizeRef(' pr-7k3m9q ')).toBe('PR-7K3M9Q');
    expect(normalizeRef('7K3M9Q')).toBe('PR-7K3M9Q');
    expect(normalizeRef('PR-7K3M9O')).toBeUndefined();
  });
});

describe('the reconciler giving up on a request that keeps dying', () => {
  /** A request whose starts are used up (claimed as a worker does) and whose job is gone. */
  const dying = async () => {
    const c = await seedCustomer(ctx);
    const r = await service.create({ ...base(String(c._id)), type: 'access' });
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean();
    if (!doc) throw new Error('not saved');
    await transition(ctx, {
      ref: r.ref,
      id: doc._id,
      from: 'queued',
      to: 'processing',
      actor: 'system:request-worker',
      inc: { attempts: 10 },
      deferAudit: {},
    });
    await queue.remove(r.ref);
    outbox.clear();
    return { ref: r.ref, id: doc._id };
  };
  const failedText = (ref: string) => renderNotice('failed', 'id', { ref, contact: contactLine(ctx) });
  const sentFor = (ref: string) => outbox.calls.filter((c) => c.meta.requestRef === ref);
  const deliveredFor = (ref: string) => outbox.delivered.filter((c) => c.meta.requestRef === ref);
  const actions = async (ref: string) =>
    (await ctx.models.AuditEvent.find({ requestRef: ref }).sort({ _id: 1 }).lean()).map((e) => e.action);
  /** A pass a minute on: the marks of earlier closes have settled. */
  const later = () => new Date(Date.now() + 60_000);

  it('closes it as failed, then tells the customer once and writes its events', async () => {
    const r = await dying();
    const report = await reconcileRequests(ctx, queue, { outbox });
    expect(report.failed).toContain(r.ref);
    expect(report.changedMeanwhile).not.toContain(r.ref);
    const doc = await ctx.models.PrivacyRequest.findById(r.id).lean();
    expect(doc).toMatchObject({ status: 'failed', result: { code: 'TOO_MANY_ATTEMPTS' } });
    expect(doc?.auditPending).toBeUndefined();
    expect(deliveredFor(r.ref).map((d) => d.messages)).toEqual([[{ kind: 'text', text: failedText(r.ref) }]]);
    expect(deliveredFor(r.ref)[0]).toMatchObject({
      chatId: '5550001',
      meta: { dedupeKey: `${r.ref}:outcome`, purpose: 'notification' },
    });
    expect(await actions(r.ref)).toEqual(['request.created', 'request.status', 'request.status']);
    const closing = await ctx.models.AuditEvent.findOne({
      idempotencyKey: `${r.ref}:processing>failed`,
    }).lean();
    expect(closing).toMatchObject({ actor: 'system:reconciler', details: { note: 'TOO_MANY_ATTEMPTS' } });

    // Died after the notice, before its mark went: the repair sends it again under the same key,
    // which the outbox drops; the events are not written twice.
    await ctx.models.PrivacyRequest.updateOne({ _id: r.id }, { $set: { auditPending: true } });
    await reconcileRequests(ctx, queue, { outbox, now: later });
    expect(sentFor(r.ref)).toHaveLength(2);
    expect(deliveredFor(r.ref)).toHaveLength(1);
    expect(await actions(r.ref)).toHaveLength(3);
    expect((await ctx.models.PrivacyRequest.findById(r.id).lean())?.auditPending).toBeUndefined();
  });

  it('tells the customer nothing when a worker closed the request first, and does not count it failed', async () => {
    const r = await dying();
    // The second look still sees it processing; its worker finishes it right after.
    const read = createRequestReadModel(ctx.models);
    const requests = {
      ...read,
      statesOf: async (ids: Parameters<typeof read.statesOf>[0]) => {
        const states = await read.statesOf(ids);
        await transition(ctx, {
          ref: r.ref,
          id: r.id,
          from: 'processing',
          to: 'completed',
          actor: 'system:request-worker',
        });
        return states;
      },
    };
    const from = ctx.logLines.length;
    const report = await reconcileRequests(ctx, queue, { outbox, requests });
    expect((await ctx.models.PrivacyRequest.findById(r.id).lean())?.status).toBe('completed');
    expect(sentFor(r.ref)).toEqual([]);
    expect(report.failed).not.toContain(r.ref);
    expect(report.changedMeanwhile).toEqual([r.ref]);
    const logged = ctx.logLines.slice(from).join('\n');
    expect(logged).toContain(r.ref);
    expect(logged).not.toContain('5550001');
  });

  it('sends the notice at the next pass when the process died between the close and the notice', async () => {
    const r = await dying();
    // The outbox fails once: what a process killed right after the close leaves behind.
    let down = true;
    const flaky: Outbox = {
      async send(...args) {
        if (down) {
          down = false;
          throw new Error('outbox unreachable');
        }
        return outbox.send(...args);
      },
    };
    await expect(reconcileRequests(ctx, queue, { outbox: flaky })).rejects.toThrow('outbox unreachable');
    const closed = await ctx.models.PrivacyRequest.findById(r.id).lean();
    expect(closed).toMatchObject({ status: 'failed', auditPending: true });
    expect(sentFor(r.ref)).toEqual([]);
    expect(await actions(r.ref)).toEqual([]);

    // Not before the close has settled: a live give-up finishes its own.
    await reconcileRequests(ctx, queue, { outbox });
    expect(sentFor(r.ref)).toEqual([]);

    const report = await reconcileRequests(ctx, queue, { outbox, now: later });
    expect(report.failed).not.toContain(r.ref);
    expect(report.audited).toBeGreaterThanOrEqual(1);
    expect(deliveredFor(r.ref).map((d) => d.messages)).toEqual([[{ kind: 'text', text: failedText(r.ref) }]]);
    expect(deliveredFor(r.ref)[0]?.meta.dedupeKey).toBe(`${r.ref}:outcome`);
    expect(await actions(r.ref)).toEqual(['request.created', 'request.status', 'request.status']);
    expect((await ctx.models.PrivacyRequest.findById(r.id).lean())?.auditPending).toBeUndefined();
    // Repaired once: later passes send nothing more.
    await reconcileRequests(ctx, queue, { outbox, now: later });
    expect(sentFor(r.ref)).toHaveLength(1);
  });

  it('tells no one when the customer was erased before the repair, and still writes the events', async () => {
    const r = await dying();
    const flaky: Outbox = {
      async send() {
        throw new Error('outbox unreachable');
      },
    };
    await expect(reconcileRequests(ctx, queue, { outbox: flaky })).rejects.toThrow('outbox unreachable');
    // Another request of the customer erased them meanwhile: this one's chat id went too.
    await ctx.models.PrivacyRequest.updateOne({ _id: r.id }, { $set: { chatId: ERASED } });
    await reconcileRequests(ctx, queue, { outbox, now: later });
    expect(sentFor(r.ref)).toEqual([]);
    expect(await actions(r.ref)).toEqual(['request.created', 'request.status', 'request.status']);
    expect((await ctx.models.PrivacyRequest.findById(r.id).lean())?.auditPending).toBeUndefined();
  });
});
