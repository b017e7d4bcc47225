import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../src/admin/server.js';
import type { PrivacyRequest } from '../../src/db/index.js';
import { createRequestQueue, type RequestQueue } from '../../src/requests/queue.js';
import { createRequestService, type RequestServiceImpl } from '../../src/requests/service.js';
import { seedDemo } from '../../src/seed/seed.js';
import { processRequest } from '../../src/workers/request-worker.js';
import { type RecordingOutbox, recordingOutbox } from '../fixtures/requests-kit.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { addStaff, type Browser, csrfOf, signIn } from './console-kit.js';

/**
 * What staff see of a restriction of processing (UU PDP art. 11) in the console, and lifting one:
 * only with a reason, which reaches the customer; audited.
 */
let ctx: TestContext;
let app: FastifyInstance;
let queue: RequestQueue;
let outbox: RecordingOutbox;
let service: RequestServiceImpl;
let agent: Browser;
const ids: Record<string, string> = {};
const SITI = 'SJ-000001';
const BUDI = 'SJ-000002';
const CHAT = 'chat-restrict-siti';
const deps = () => ({ outbox, now: () => new Date() });

beforeAll(async () => {
  ctx = await createTestContext({ WEBCHAT_ENABLED: 'true' });
  await seedDemo(ctx.models);
  for (const c of await ctx.models.Customer.find({ customerNo: { $in: [SITI, BUDI] } }).lean())
    ids[c.customerNo] = String(c._id);
  outbox = recordingOutbox();
  queue = createRequestQueue(ctx);
  service = createRequestService(ctx, { outbox, queue });
  app = await buildAdminServer(ctx);
  agent = (await signIn(app, 'agen', await addStaff(ctx, 'agen', 'agent'))).b;
});
afterAll(async () => {
  await app.close();
  await service.close();
  await queue.close();
  await ctx.cleanup();
});

const restrictionOf = async (no: string) =>
  (await ctx.models.Customer.findOne({ customerNo: no }, { processingRestriction: 1 }).lean())
    ?.processingRestriction;

describe('restriction in the console', () => {
  it('shows a badge on the customer, on their requests and in the queue; none on others', async () => {
    const restrict = await service.create({
      type: 'restrict',
      customerId: ids[SITI] ?? '',
      channel: 'webchat',
      chatId: CHAT,
      locale: 'id',
      changes: { action: 'apply', scope: 'marketing', reason: 'Sedang pindah rumah' },
    });
    expect(await processRequest(ctx, deps(), restrict.ref)).toBe('completed');
    const access = await service.create({
      type: 'access',
      customerId: ids[SITI] ?? '',
      channel: 'webchat',
      chatId: CHAT,
      locale: 'id',
    });
    const other = await service.create({
      type: 'access',
      customerId: ids[BUDI] ?? '',
      channel: 'webchat',
      chatId: 'chat-budi',
      locale: 'id',
    });

    const customer = (await agent.get(`/console/customers/${SITI}`)).body;
    expect(customer).toContain('⛔ Pemrosesan dibatasi');
    expect(customer).toContain('pemasaran dan profil');
    // The customer's own words are personal: shown only with the audited "show".
    expect(customer).not.toContain('Sedang pindah rumah');
    const revealed = await agent.post(`/console/customers/${SITI}/reveal`, {
      _csrf: csrfOf(customer),
      purpose: 'verify_request',
    });
    expect(revealed.body).toContain('<q id="restriction-reason">Sedang pindah rumah</q>');
    expect(customer).toContain('id="lift-restriction"');
    expect((await agent.get(`/console/customers/${BUDI}`)).body).not.toContain('Pemrosesan dibatasi');

    expect((await agent.get(`/console/requests/${access.ref}`)).body).toContain('id="restricted"');
    expect((await agent.get(`/console/requests/${other.ref}`)).body).not.toContain('id="restricted"');
    const queuePage = (await agent.get('/console/requests?status=all')).body;
    const row = (ref: string) => new RegExp(`data-ref="${ref}"[\\s\\S]*?</tr>`).exec(queuePage)?.[0] ?? '';
    expect(row(access.ref)).toContain('Pemrosesan dibatasi');
    expect(row(other.ref)).not.toContain('Pemrosesan dibatasi');

    // The JSON queue and detail keep the badge and carry none of the customer's contact fields.
    const json = { accept: 'application/json' };
    const api = await agent.get('/console/api/requests?status=all', json);
    const rows = (api.json() as { requests: { ref: string }[] }).requests;
    expect(rows.find((r) => r.ref === access.ref)).toMatchObject({ customerNo: SITI, restricted: true });
    expect(rows.find((r) => r.ref === other.ref)).toMatchObject({ restricted: false });
    const detail = await agent.get(`/console/api/requests/${access.ref}`, json);
    expect(detail.json()).toMatchObject({ customerNo: SITI, restriction: 'marketing' });
    for (const body of [api.body, detail.body])
      for (const contact of ['81287611943', 'Siti Wulandari', 'siti.wulandari@', 'Kemang'])
        expect(body).not.toContain(contact);
  });

  it('lifting needs a reason; with one, a request tells the customer and the lift is audited', async () => {
    const page = (await agent.get(`/console/customers/${SITI}`)).body;
    const refused = await agent.post(`/console/customers/${SITI}/restriction/lift`, {
      _csrf: csrfOf(page),
      reason: '  ',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Tulis alasan untuk pelanggan');
    expect(await restrictionOf(SITI)).toBeTruthy();
    expect(await ctx.models.AuditEvent.countDocuments({ action: 'console.restriction.lift_refused' })).toBe(
      1,
    );

    const reason = 'Tagihan pesanan Anda wajib kami proses menurut kontrak.';
    const lifted = await agent.post(`/console/customers/${SITI}/restriction/lift`, {
      _csrf: csrfOf(refused.body),
      reason,
    });
    // POST-redirect-GET: the page after a lift is fetched anew (reloading it posts nothing) and
    // shows the lift pending instead of the form and a flash naming the request.
    expect(lifted.statusCode).toBe(303);
    const ref = /^\/console\/customers\/SJ-000001\?lifted=(PR-[A-Z0-9]{6})$/.exec(
      String(lifted.headers.location),
    )?.[1];
    expect(ref).toBeDefined();
    const after = (await agent.get(String(lifted.headers.location))).body;
    expect(after).toContain(`Permintaan pencabutan ${ref} dibuat`);
    expect(after).toContain(`Pencabutan sedang diproses (${ref})`);
    expect(after).not.toContain('id="lift-restriction"');
    expect((await agent.get(`/console/customers/${SITI}?lifted=PR-AAAAAA`)).body).not.toContain(
      'Permintaan pencabutan',
    );
    const request = await ctx.models.PrivacyRequest.findOne({ ref }).lean<PrivacyRequest>();
    expect(request).toMatchObject({
      type: 'restrict',
      chatId: CHAT,
      changes: { action: 'lift', staffReason: reason },
    });
    expect(request?.history[0]?.actor).toBe('staff:agen');
    const audit = await ctx.models.AuditEvent.findOne({
      action: 'console.restriction.lift',
      requestRef: ref,
    }).lean();
    expect(audit?.actor).toBe('staff:agen');

    expect(await processRequest(ctx, deps(), ref ?? '')).toBe('completed');
    expect(await restrictionOf(SITI)).toBeFalsy();
    expect(outbox.textsTo(CHAT).join('\n')).toContain(`Alasan: ${reason}`);
    expect((await agent.get(`/console/customers/${SITI}`)).body).not.toContain('Pemrosesan dibatasi');
  });

  it('a lift without the form token is refused and changes nothing', async () => {
    const res = await agent.post(`/console/customers/${BUDI}/restriction/lift`, { reason: 'tanpa token' });
    expect(res.statusCode).toBe(403);
    expect(await ctx.models.PrivacyRequest.countDocuments({ customerId: ids[BUDI], type: 'restrict' })).toBe(
      0,
    );
  });
});
