import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../src/admin/server.js';
import { createOutbox, type OutboxHandle } from '../../src/outbound/outbox.js';
import { createRequestQueue, type RequestQueue } from '../../src/requests/queue.js';
import { createRequestService, type RequestServiceImpl } from '../../src/requests/service.js';
import { seedDemo } from '../../src/seed/seed.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { addStaff, type Browser, csrfOf, HTML, signIn } from './console-kit.js';

let ctx: TestContext;
let app: FastifyInstance;
let outbox: OutboxHandle;
let queue: RequestQueue;
let service: RequestServiceImpl;
let agent: Browser;
let admin: Browser;
const ids: Record<string, string> = {};

const SITI = { no: 'SJ-000001', name: 'Siti Wulandari', phone: '+6281287611943' };
const BUDI = { no: 'SJ-000002', name: 'Budi Santoso', phone: '+6281311112222' };

beforeAll(async () => {
  ctx = await createTestContext({ WEBCHAT_ENABLED: 'true' });
  await seedDemo(ctx.models);
  for (const c of await ctx.models.Customer.find({ customerNo: { $in: [SITI.no, BUDI.no] } }).lean())
    ids[c.customerNo] = String(c._id);
  outbox = createOutbox(ctx);
  queue = createRequestQueue(ctx);
  service = createRequestService(ctx, { outbox, queue });
  app = await buildAdminServer(ctx);
  agent = (await signIn(app, 'agen', await addStaff(ctx, 'agen', 'agent'))).b;
  admin = (await signIn(app, 'kepala', await addStaff(ctx, 'kepala', 'admin'))).b;
});
afterAll(async () => {
  await app.close();
  await service.close();
  await queue.close();
  await outbox.close();
  await ctx.cleanup();
});

const ask = (customerNo: string, type: 'access' | 'erase' | 'update', changes?: Record<string, string>) =>
  service.create({
    type,
    customerId: ids[customerNo] ?? '',
    channel: 'webchat',
    chatId: `chat-${customerNo.toLowerCase()}`,
    locale: 'id',
    ...(changes ? { changes } : {}),
  });

const refsIn = (body: string) => [...body.matchAll(/data-ref="(PR-[A-Z0-9]{6})"/g)].map((m) => m[1]);

describe('request queue', () => {
  it('lists open requests overdue first, then by deadline, with the SLA countdown; filters by status and type', async () => {
    const erase = await ask(BUDI.no, 'erase');
    const access = await ask(SITI.no, 'access');
    const late = await ask(SITI.no, 'access');
    await ctx.models.PrivacyRequest.updateOne(
      { ref: late.ref },
      { $set: { dueAt: new Date(Date.now() - 5 * 3600_000) } },
    );
    expect(erase.status).toBe('pending_approval');

    const page = await agent.get('/console/requests');
    expect(page.statusCode).toBe(200);
    const order = refsIn(page.body);
    expect(order[0]).toBe(late.ref);
    expect(order).toEqual(expect.arrayContaining([erase.ref, access.ref]));
    expect(page.body).toContain('1 lewat batas waktu');
    expect(page.body).toMatch(/lewat 5 jam/);
    expect(page.body).toMatch(/sisa (2|3) hari/);
    expect(page.body).toContain('OPEN_ORDER');

    const flagged = await agent.get('/console/requests?status=pending_approval');
    expect(refsIn(flagged.body)).toEqual([erase.ref]);
    const accessOnly = await agent.get('/console/requests?type=access');
    expect(refsIn(accessOnly.body).sort()).toEqual([access.ref, late.ref].sort());
    // Nonsense filters fall back to the defaults instead of failing.
    expect((await agent.get('/console/requests?status=%24ne&type=x')).statusCode).toBe(200);
  });

  it('speaks English with ?lang=en and keeps the choice', async () => {
    const en = await agent.get('/console/requests?lang=en');
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('Request queue');
    expect(en.body).toMatch(/\d+ h \d+ min overdue/);
    expect(agent.cookies.hakdata_lang).toBe('en');
    expect((await agent.get('/console/requests')).body).toContain('Awaiting approval');
    await agent.get('/console/requests?lang=id');
    expect((await agent.get('/console/requests')).body).toContain('Menunggu persetujuan');
  });

  it('serves the same queue as JSON', async () => {
    const res = await app.inject({
      url: '/console/api/requests?status=pending_approval',
      headers: { cookie: `hakdata_console=${agent.cookies.hakdata_console}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json() as { requests: { ref: string; flags: string[]; customerNo: string }[] };
    expect(body.requests.length).toBeGreaterThan(0);
    expect(body.requests[0]).toMatchObject({
      customerNo: BUDI.no,
      flags: expect.arrayContaining(['OPEN_ORDER']),
    });
    expect(res.body).not.toContain(BUDI.phone);
  });
});

describe('request detail and decisions', () => {
  it('shows flags, history and the change asked for, masked', async () => {
    const update = await ask(SITI.no, 'update', { phone: '081299998888', email: 'siti.baru@example.id' });
    expect(update.flags.map((f) => f.code)).toContain('PHONE_CHANGE');
    const page = await agent.get(`/console/requests/${update.ref}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('PHONE_CHANGE');
    expect(page.body).toContain('+62812****888');
    expect(page.body).toContain('s***@e***.id');
    expect(page.body).toContain('S*** W***');
    for (const secret of ['siti.baru', '6281299998888', SITI.name, SITI.phone])
      expect(page.body).not.toContain(secret);
    expect(page.body).toContain('Riwayat');
    expect(page.body).toContain('id="approve"');
  });

  it('approving queues the request; the service writes the transition under the staff name; a second try changes nothing', async () => {
    const erase = await ask(BUDI.no, 'erase');
    const csrf = csrfOf((await agent.get(`/console/requests/${erase.ref}`)).body);
    const res = await agent.post(`/console/requests/${erase.ref}/decision`, {
      outcome: 'approved',
      _csrf: csrf,
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/console/requests/${erase.ref}?notice=approved`);
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: erase.ref }).lean();
    expect(doc?.status).toBe('queued');
    expect(doc?.decision).toMatchObject({ outcome: 'approved', by: 'staff:agen' });
    expect((await queue.getJob(erase.ref))?.data).toEqual({ ref: erase.ref, id: String(doc?._id) });
    const event = await ctx.models.AuditEvent.findOne({
      requestRef: erase.ref,
      action: 'request.status',
    }).lean();
    expect(event).toMatchObject({
      actor: 'staff:agen',
      details: { from: 'pending_approval', to: 'queued', outcome: 'approved' },
    });

    const after = await agent.get(`/console/requests/${erase.ref}?notice=approved`);
    expect(after.body).toContain('Permintaan disetujui');
    expect(after.body).not.toContain('id="approve"');
    const again = await agent.post(`/console/requests/${erase.ref}/decision`, {
      outcome: 'rejected',
      reason: 'x',
      _csrf: csrf,
    });
    expect(again.headers.location).toContain('notice=alreadyDecided');
    expect((await ctx.models.PrivacyRequest.findOne({ ref: erase.ref }).lean())?.status).toBe('queued');
    expect(
      await ctx.models.AuditEvent.countDocuments({
        requestRef: erase.ref,
        action: 'console.decision.refused',
      }),
    ).toBe(1);
  });

  it('a rejection needs a reason, which is kept for the customer', async () => {
    const upd = await ask(SITI.no, 'update', { phone: '081277776666' });
    const csrf = await agent.csrf(`/console/requests/${upd.ref}`);
    const bare = await agent.post(`/console/requests/${upd.ref}/decision`, {
      outcome: 'rejected',
      reason: '  ',
      _csrf: csrf,
    });
    expect(bare.headers.location).toContain('notice=reasonRequired');
    expect((await ctx.models.PrivacyRequest.findOne({ ref: upd.ref }).lean())?.status).toBe(
      'pending_approval',
    );
    const reason = 'Nomor baru tidak dapat diverifikasi.';
    await agent.post(`/console/requests/${upd.ref}/decision`, { outcome: 'rejected', reason, _csrf: csrf });
    const doc = await ctx.models.PrivacyRequest.findOne({ ref: upd.ref }).lean();
    expect(doc?.status).toBe('rejected');
    expect(doc?.decision).toMatchObject({ outcome: 'rejected', by: 'staff:agen', reason });
  });

  it("words a flag's reason in the console language from its code and number; an older text-only flag shows its text", async () => {
    const erase = await ask(BUDI.no, 'erase');
    const stored = await ctx.models.PrivacyRequest.findOne({ ref: erase.ref }).lean();
    const open = stored?.flags.find((f) => f.code === 'OPEN_ORDER');
    expect(open?.n).toBeGreaterThan(0);
    expect(open?.reason).toBe(`${open?.n} pesanan masih terjadwal atau sedang dikerjakan`);
    expect((await agent.get(`/console/requests/${erase.ref}`)).body).toContain(
      `${open?.n} pesanan masih terjadwal atau sedang dikerjakan`,
    );
    const english = (await agent.get(`/console/requests/${erase.ref}?lang=en`)).body;
    expect(english).toMatch(/OPEN_ORDER<\/span> \d+ orders? still scheduled or in progress/);
    expect(english).not.toContain('pesanan');
    // Stored before flags kept their number: the count shows as it was written, the rest is worded.
    await ctx.models.PrivacyRequest.updateOne(
      { ref: erase.ref },
      {
        $set: {
          flags: [
            { code: 'OPEN_ORDER', reason: '2 pesanan masih terjadwal atau sedang dikerjakan' },
            { code: 'PHONE_CHANGE', reason: 'perubahan nomor telepon perlu persetujuan staf' },
          ],
        },
      },
    );
    const older = (await agent.get(`/console/requests/${erase.ref}`)).body;
    expect(older).toContain('2 pesanan masih terjadwal atau sedang dikerjakan');
    expect(older).toContain('a phone number change needs staff approval');
    await agent.get('/console/requests?lang=id');
  });

  it('a decision reads as its outcome ("Disetujui", not the button "Setujui"); a closed update says its new values are gone', async () => {
    const erase = await ask(BUDI.no, 'erase');
    await agent.post(`/console/requests/${erase.ref}/decision`, {
      outcome: 'approved',
      _csrf: await agent.csrf(`/console/requests/${erase.ref}`),
    });
    const approved = (await agent.get(`/console/requests/${erase.ref}`)).body;
    expect(approved).toContain('Disetujui oleh staff:agen');
    expect(approved).toContain('Tidak ada perubahan data.');
    expect((await agent.get(`/console/requests/${erase.ref}?lang=en`)).body).toContain(
      'Approved by staff:agen',
    );

    const upd = await ask(SITI.no, 'update', { phone: '081255554444' });
    await agent.post(`/console/requests/${upd.ref}/decision`, {
      outcome: 'rejected',
      reason: 'Nomor tidak dapat dihubungi.',
      _csrf: await agent.csrf(`/console/requests/${upd.ref}`),
    });
    const rejected = (await agent.get(`/console/requests/${upd.ref}?lang=id`)).body;
    expect(rejected).toContain('Ditolak oleh staff:agen');
    expect(rejected).not.toContain('Tolak oleh');
    // The update's new values were removed on closing (data minimisation), not "no data change".
    expect(rejected).toContain('Nilai baru tidak disimpan lagi setelah permintaan ditutup');
    expect(rejected).not.toContain('Tidak ada perubahan data.');
    const english = (await agent.get(`/console/requests/${upd.ref}?lang=en`)).body;
    expect(english).toContain('Rejected by staff:agen');
    expect(english).toContain('The new values are not kept once the request is closed');
    await agent.get('/console/requests?lang=id');
  });

  it('an unknown ref is a 404 page', async () => {
    expect((await agent.get('/console/requests/PR-ZZZZZZ')).statusCode).toBe(404);
    expect((await agent.get('/console/requests/%3Cscript%3E')).statusCode).toBe(404);
  });
});

describe('customer view', () => {
  it('masks personal data; viewing is audited', async () => {
    const page = await agent.get(`/console/customers/${SITI.no}`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('S*** W***');
    expect(page.body).toContain('+62812****943');
    for (const secret of [SITI.name, SITI.phone, '87611943']) expect(page.body).not.toContain(secret);
    expect(page.body).toContain('id="reveal"');
    const viewed = await ctx.models.AuditEvent.find({
      action: 'customer.viewed',
      customerId: ids[SITI.no],
    }).lean();
    expect(viewed.at(-1)).toMatchObject({ actor: 'staff:agen', details: { masked: true } });
  });

  it('"show" reveals the data only as a POST with the form token and a purpose, and is audited without the values', async () => {
    const url = `/console/customers/${SITI.no}/reveal`;
    const noToken = await agent.post(url, { purpose: 'contact_customer' });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.body).not.toContain(SITI.name);
    const csrf = await agent.csrf(`/console/customers/${SITI.no}`);
    expect((await agent.post(url, { _csrf: csrf })).statusCode).toBe(400);
    expect(await ctx.models.AuditEvent.countDocuments({ action: 'customer.revealed' })).toBe(0);

    const shown = await agent.post(url, { purpose: 'contact_customer', _csrf: csrf });
    expect(shown.statusCode).toBe(200);
    expect(shown.headers['cache-control']).toBe('no-store');
    expect(shown.body).toContain(SITI.name);
    expect(shown.body).toContain(SITI.phone);
    const events = await ctx.models.AuditEvent.find({ action: 'customer.revealed' }).lean();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: 'staff:agen',
      details: {
        purpose: 'contact_customer',
        fields: ['name', 'phone', 'email', 'address', 'paymentMethod'],
      },
    });
    expect(String(events[0]?.customerId)).toBe(ids[SITI.no]);
    expect(JSON.stringify(events)).not.toContain(SITI.name);
    // Reloading the page masks again: showing is per action, not per session.
    expect((await agent.get(`/console/customers/${SITI.no}`)).body).not.toContain(SITI.name);
  });

  it('shows each order status and payment in the console language, not the database words', async () => {
    const page = (await agent.get(`/console/customers/${SITI.no}`)).body;
    expect(page).toMatch(/data-label="Status">selesai</);
    expect(page).toMatch(/data-label="Pembayaran">lunas</);
    expect(page).not.toMatch(/>(completed|paid)</);
    const english = (await agent.get(`/console/customers/${SITI.no}?lang=en`)).body;
    expect(english).toMatch(/data-label="Payment">paid</);
    await agent.get('/console/requests?lang=id');
  });

  it("words a masked free text's length in the console language, on the customer and the request page", async () => {
    expect((await agent.get(`/console/customers/${SITI.no}`)).body).toMatch(/\(\d+ karakter\)/);
    const english = (await agent.get(`/console/customers/${SITI.no}?lang=en`)).body;
    expect(english).toMatch(/\(\d+ characters\)/);
    expect(english).not.toContain('karakter');
    const upd = await ask(SITI.no, 'update', { address: 'Jl. Kenanga No. 3, Depok' });
    const request = (await agent.get(`/console/requests/${upd.ref}`)).body;
    expect(request).toContain('J*** K*** N*** … (24 characters)');
    expect(request).not.toContain('Kenanga');
    await agent.get('/console/requests?lang=id');
    expect((await agent.get(`/console/requests/${upd.ref}`)).body).toContain(
      'J*** K*** N*** … (24 karakter)',
    );
  });

  it('finds a customer by number or phone; a phone search is audited with the number masked', async () => {
    expect((await agent.get('/console/customers?q=sj-000002')).headers.location).toBe(
      `/console/customers/${BUDI.no}`,
    );
    const byPhone = await agent.get('/console/customers?q=0813-1111-2222');
    expect(byPhone.headers.location).toBe(`/console/customers/${BUDI.no}`);
    const search = await ctx.models.AuditEvent.findOne({ action: 'customer.searched' }).lean();
    expect(search?.details).toEqual({ by: 'phone', phone: '+62813****222' });
    expect((await agent.get('/console/customers?q=SJ-999999')).statusCode).toBe(404);
  });
});

describe('audit log, dead letters, staff', () => {
  it('admins search the audit log by ref and actor; the search itself is recorded', async () => {
    const erase = await ctx.models.PrivacyRequest.findOne({ type: 'erase', status: 'queued' }).lean();
    const ref = erase?.ref ?? '';
    const res = await admin.get(`/console/audit?ref=${ref.toLowerCase()}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('request.created');
    expect(res.body).toContain('staff:agen');
    const byActor = await admin.get('/console/audit?actor=staff:agen&action=customer.');
    expect(byActor.body).toContain('customer.revealed');
    expect(byActor.body).not.toContain('request.created');
    for (const days of ['from=2026-99-99&to=abc', 'from=2026-02-31', 'to=2026-13-01'])
      expect((await admin.get(`/console/audit?${days}`)).statusCode, days).toBe(200);
    const byCustomer = await admin.get(`/console/audit?customer=${SITI.no}`);
    expect(byCustomer.body).toContain('customer.viewed');
    const searched = await ctx.models.AuditEvent.find({
      action: 'audit.searched',
      actor: 'staff:kepala',
    }).lean();
    expect(searched.length).toBeGreaterThanOrEqual(3);
    expect(searched[0]?.details).toMatchObject({ filters: { ref: ref.toLowerCase() } });
  });

  it('dead letters are listed masked and can be marked resolved once', async () => {
    const dl = await ctx.models.DeadLetter.create({
      key: 'outbound-telegram-3/17/1700000000000',
      channel: 'telegram',
      maskedChat: '55****01',
      chatHash: 'abc',
      reason: 'CHAT_BLOCKED',
      detail: 'Forbidden: bot was blocked by the user',
      purpose: 'notification',
      requestRef: 'PR-ABCDEF',
      messageKind: 'text',
      attempts: 1,
    });
    const list = await agent.get('/console/deadletters');
    expect(list.body).toContain('55****01');
    expect(list.body).toContain('CHAT_BLOCKED');
    const csrf = csrfOf(list.body);
    const res = await agent.post(`/console/deadletters/${dl._id}/resolve`, { _csrf: csrf });
    expect(res.statusCode).toBe(303);
    expect(await ctx.models.DeadLetter.findById(dl._id).lean()).toMatchObject({
      status: 'resolved',
      resolvedBy: 'staff:agen',
    });
    await agent.post(`/console/deadletters/${dl._id}/resolve`, { _csrf: csrf });
    expect(await ctx.models.AuditEvent.countDocuments({ action: 'deadletter.resolved' })).toBe(1);
    expect((await agent.get('/console/deadletters?status=resolved')).body).toContain('ditangani staff:agen');
  });

  it('admins add staff from the page (audited) and link a Telegram user id', async () => {
    const csrf = await admin.csrf('/console/staff');
    const res = await admin.post('/console/staff', {
      username: 'Rina',
      role: 'agent',
      password: 'rina-password-123',
      _csrf: csrf,
    });
    expect(res.statusCode).toBe(303);
    const rina = await ctx.models.StaffAccount.findOne({ username: 'rina' }).lean();
    expect(rina).toMatchObject({ role: 'agent', createdBy: 'staff:kepala' });
    expect(
      await ctx.models.AuditEvent.countDocuments({ action: 'staff.created', actor: 'staff:kepala' }),
    ).toBe(1);
    const short = await admin.post('/console/staff', {
      username: 'pendek',
      role: 'agent',
      password: 'short',
      _csrf: csrf,
    });
    expect(short.statusCode).toBe(400);
    await admin.post('/console/staff/rina/change', {
      action: 'telegram',
      telegramUserId: '777001',
      _csrf: csrf,
    });
    expect((await ctx.models.StaffAccount.findOne({ username: 'rina' }).lean())?.telegramUserId).toBe(
      '777001',
    );
    const taken = await admin.post('/console/staff/kepala/change', {
      action: 'telegram',
      telegramUserId: '777001',
      _csrf: csrf,
    });
    expect(taken.statusCode).toBe(400);
  });

  it('a refused staff change is said in the console language, not the English of the CLI', async () => {
    const csrf = await admin.csrf('/console/staff?lang=id');
    const add = (username: string, password: string) =>
      admin.post('/console/staff', { username, role: 'agent', password, _csrf: csrf });
    const short = await add('pendek', 'short');
    expect(short.body).toContain('Kata sandi minimal 12 karakter.');
    expect(short.body).not.toContain('The password needs');
    expect((await add('Nama Pakai Spasi', 'cukup-panjang-sekali')).body).toContain(
      'Nama pengguna: 3-32 karakter',
    );
    expect((await add('kepala', 'cukup-panjang-sekali')).body).toContain(
      'Akun staf bernama kepala sudah ada.',
    );
    const own = await admin.post('/console/staff/kepala/change', {
      action: 'make-agent',
      _csrf: csrf,
    });
    expect(own.body).toContain('Anda tidak dapat mencabut hak admin Anda sendiri.');
    await admin.get('/console/staff?lang=en');
    expect((await add('pendek', 'short')).body).toContain('The password needs at least 12 characters.');
    await admin.get('/console/staff?lang=id');
  });
});

describe('security headers', () => {
  it('console pages carry a CSP without inline scripts, no framing, nosniff, no referrer; the web chat keeps its own', async () => {
    const res = await agent.get('/console/requests');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
    const login = await app.inject({ url: '/console/login', headers: HTML });
    expect(login.headers['content-security-policy']).toBeDefined();
    const chat = await app.inject({ url: '/chat', headers: HTML });
    expect(chat.statusCode).toBe(200);
    expect(chat.headers['content-security-policy']).toBeUndefined();
    const dashboard = await admin.get('/console/queues/');
    expect(dashboard.statusCode).toBe(200);
    expect(String(dashboard.headers['content-security-policy'])).toContain("script-src 'self'");
  });

  it('the dashboard’s own API refuses cross-site writes', async () => {
    const cookie = `hakdata_console=${admin.cookies.hakdata_console}`;
    const list = await app.inject({ url: '/console/queues/api/queues', headers: { cookie } });
    expect(list.statusCode).toBe(200);
    expect(JSON.stringify(list.json())).toContain('"requests"');
    const cross = await app.inject({
      method: 'PUT',
      url: '/console/queues/api/queues/requests/pause',
      headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(cross.statusCode).toBe(403);
    const same = await app.inject({
      method: 'PUT',
      url: '/console/queues/api/queues/requests/pause',
      headers: { cookie, 'sec-fetch-site': 'same-origin' },
    });
    expect(same.statusCode).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    await queue.resume();
    expect(
      await ctx.models.AuditEvent.countDocuments({ action: 'queues.action', actor: 'staff:kepala' }),
    ).toBe(1);
  });
});
