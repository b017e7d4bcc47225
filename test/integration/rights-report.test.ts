import { spawn } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../src/admin/server.js';
import {
  buildRightsReport,
  parseReportMonth,
  percentile,
  produceReport,
  RESTRICTED_MARK,
  ReportInputError,
} from '../../src/reports/index.js';
import { createRequestQueue, type RequestQueue } from '../../src/requests/queue.js';
import { createRequestService, type RequestServiceImpl } from '../../src/requests/service.js';
import { buildAccessPackage } from '../../src/workers/access/package.js';
import { processRequest } from '../../src/workers/request-worker.js';
import { recordingOutbox, recordingStaff, seedCustomer } from '../fixtures/requests-kit.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { extractPdfText } from '../helpers/pdf-text.js';
import { addStaff, signIn } from './console-kit.js';

/**
 * The monthly rights report over requests that really went through the lifecycle: a clock moved
 * by hand makes their times known, so every figure is checked against a number worked out here.
 */
let ctx: TestContext;
let queue: RequestQueue;
let service: RequestServiceImpl;
let clock = new Date();
const outbox = recordingOutbox();
const deps = { outbox, now: () => clock, buildAccessPackage };
const HOUR = 3600_000;
const NOV = parseReportMonth('2026-11');
let restrictedId = '';
let restrictedPhone = '';

function hakdata(args: string[]) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env: { ...process.env, ...ctx.env, LOG_LEVEL: 'warn' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

beforeAll(async () => {
  ctx = await createTestContext({ MAX_REQUESTS_PER_DAY: '100' });
  queue = createRequestQueue(ctx);
  service = createRequestService(ctx, { outbox, staff: recordingStaff(), queue, now: () => clock });
  const at = (iso: string) => {
    clock = new Date(iso);
  };
  const ask = (
    customerId: unknown,
    type: 'access' | 'update' | 'erase' | 'restrict',
    channel: string,
    changes?: Record<string, string>,
  ) =>
    service.create({
      type,
      customerId: String(customerId),
      channel,
      chatId: `chat-${channel}`,
      locale: 'id',
      ...(changes ? { changes } : {}),
    });
  const run = async (ref: string, afterHours: number) => {
    clock = new Date(clock.getTime() + afterHours * HOUR);
    expect(await processRequest(ctx, deps, ref)).toBe('completed');
  };

  const a = await seedCustomer(ctx);
  const b = await seedCustomer(ctx, { unpaid: 1 });
  const c = await seedCustomer(ctx);
  restrictedId = String(c._id);
  restrictedPhone = c.phone ?? '';

  // 1 November 01:00 WIB (still 31 October in UTC): in November.
  at('2026-10-31T18:00:00Z');
  await run((await ask(a._id, 'access', 'telegram')).ref, 2);
  // Access done in 10 hours, update in 30, an update done late (80 h > 72 h).
  at('2026-11-05T03:00:00Z');
  await run((await ask(a._id, 'access', 'whatsapp')).ref, 10);
  at('2026-11-06T03:00:00Z');
  await run((await ask(a._id, 'update', 'telegram', { email: 'baru@contoh.id' })).ref, 30);
  at('2026-11-07T03:00:00Z');
  await run((await ask(a._id, 'update', 'telegram', { email: 'lagi@contoh.id' })).ref, 80);
  // An erase with an unpaid order waits for staff, who reject it.
  at('2026-11-10T03:00:00Z');
  const erase = await ask(b._id, 'erase', 'webchat');
  expect(erase.flagged).toBe(true);
  clock = new Date(clock.getTime() + 5 * HOUR);
  await service.decide({
    ref: erase.ref,
    outcome: 'rejected',
    staff: 'staff:admin',
    reason: 'Pesanan belum dibayar.',
  });
  // Still open: one overdue (made 12 November, due 15th), one not yet due at report time.
  at('2026-11-12T03:00:00Z');
  await ask(a._id, 'access', 'telegram');
  at('2026-11-28T03:00:00Z');
  await run((await ask(c._id, 'restrict', 'telegram', { action: 'apply', scope: 'all' })).ref, 1);
  await ask(c._id, 'access', 'telegram');
  // Outside November: 1 December 00:30 WIB, and 31 October 23:00 WIB.
  at('2026-11-30T17:30:00Z');
  await ask(a._id, 'access', 'telegram');
  at('2026-10-31T16:00:00Z');
  await ask(a._id, 'access', 'telegram');
  clock = new Date('2026-11-29T03:00:00Z');
});
afterAll(async () => {
  await service.close();
  await queue.close();
  await ctx.cleanup();
});

describe('report month', () => {
  it('is a Jakarta month; anything else is a clear error', () => {
    expect(NOV.start.toISOString()).toBe('2026-10-31T17:00:00.000Z');
    expect(NOV.end.toISOString()).toBe('2026-11-30T17:00:00.000Z');
    expect(() => parseReportMonth('2026-13')).toThrow(/the month must be 01 to 12/);
    expect(() => parseReportMonth('11-2026')).toThrow(ReportInputError);
    expect(() => parseReportMonth(undefined)).toThrow(/YYYY-MM/);
  });

  it('takes percentiles by nearest rank', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 95)).toBe(19);
  });
});

describe('monthly rights report', () => {
  it('counts requests by type and outcome, times to completion, deadlines, rejections and channels', async () => {
    const r = await buildRightsReport(ctx, NOV, clock);
    expect(r.total).toBe(8);
    const type = (t: string) => r.byType.find((x) => x.type === t);
    expect(type('access')).toMatchObject({ total: 4, completed: 2, open: 2 });
    expect(type('update')).toMatchObject({ total: 2, completed: 2 });
    expect(type('erase')).toMatchObject({ total: 1, rejected: 1 });
    expect(type('restrict')).toMatchObject({ total: 1, completed: 1 });
    // Completed after 2, 10, 30, 80 and 1 hours: median 10, p95 80.
    expect(r.completion).toEqual({ count: 5, medianHours: 10, p95Hours: 80 });
    expect(type('update')?.completion).toEqual({ count: 2, medianHours: 30, p95Hours: 80 });
    expect(r.deadline).toEqual({ met: 5, late: 1, overdue: 1, pending: 1 });
    expect(r.rejectedBy).toEqual([{ category: 'UNPAID_ORDER', count: 1 }]);
    expect(r.byChannel).toEqual([
      { channel: 'telegram', total: 6, completed: 4 },
      { channel: 'webchat', total: 1, completed: 0 },
      { channel: 'whatsapp', total: 1, completed: 1 },
    ]);
  });

  it('writes the same figures as CSV, and a readable PDF in Indonesian and English', async () => {
    const csv = String(
      (await produceReport(ctx, { month: NOV, format: 'csv', lang: 'id', now: clock })).body,
    );
    expect(csv.split('\r\n')[0]).toBe('section,item,measure,value');
    expect(csv).toContain('by_type,access,total,4\r\n');
    expect(csv).toContain('completion,all,p95_hours,80\r\n');
    expect(csv).toContain('deadline,all,overdue,1\r\n');
    expect(csv).toContain('rejected,UNPAID_ORDER,count,1\r\n');

    const id = await produceReport(ctx, { month: NOV, format: 'pdf', lang: 'id', now: clock });
    const text = (await extractPdfText(id.body as Buffer)).text.replace(/\s+/g, ' ');
    for (const words of [
      'Laporan bulanan hak subjek data',
      'bulan 2026-11',
      'Penghapusan data',
      'Pembatasan pemrosesan',
      'Diselesaikan terlambat',
      'UNPAID_ORDER',
      'Catatan kegiatan pemrosesan (UU PDP pasal 31)',
      '80 jam',
    ])
      expect(text, words).toContain(words);
    const en = await produceReport(ctx, { month: NOV, format: 'pdf', lang: 'en', now: clock });
    const english = (await extractPdfText(en.body as Buffer)).text.replace(/\s+/g, ' ');
    for (const words of ['Monthly data-subject rights report', 'Closed late', 'Erasure', '95th percentile'])
      expect(english, words).toContain(words);
    expect(english).not.toContain('Penghapusan');
  });

  it("exports the month's audit events masked, leaving out customers who restricted processing", async () => {
    const csv = String(
      (await produceReport(ctx, { month: NOV, format: 'csv', lang: 'id', activity: true })).body,
    );
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('at,actor,action,request_ref,customer_id,details');
    expect(lines.length).toBeGreaterThan(20);
    expect(csv).toContain('request.created');
    expect(csv).toContain('staff:admin');
    // Only November's events (WIB), in order.
    const times = lines.slice(1).map((l) => l.split(',')[0] ?? '');
    expect(times.every((t) => t >= NOV.start.toISOString() && t < NOV.end.toISOString())).toBe(true);
    expect([...times].sort()).toEqual(times);
    expect(csv).not.toContain('baru@contoh.id');
    expect(csv).not.toContain(restrictedPhone.slice(1));
    expect(csv).not.toContain(restrictedId);
    expect(csv).toContain(RESTRICTED_MARK);
    expect(csv).toMatch(/restriction\.applied,PR-[A-Z0-9]{6},\[restricted\],\[restricted\]/);
  });
});

describe('hakdata report', () => {
  it('answers a bad month, format or language with one clear line and exit code 2', async () => {
    const [month, format, lang] = await Promise.all([
      hakdata(['report', '--month', '2026-13']),
      hakdata(['report', '--month', '2026-11', '--format', 'xls']),
      hakdata(['report', '--month', '2026-11', '--lang', 'fr']),
    ]);
    expect(month.code).toBe(2);
    expect(month.err).toContain('report: --month "2026-13" is not a month: the month must be 01 to 12.');
    expect(format.code).toBe(2);
    expect(format.err).toContain('--format must be one of text, csv, pdf');
    expect(lang.code).toBe(2);
    expect(lang.err).toContain('--lang must be id or en');
    // Three processes that each load the program: slow on a busy two-core machine.
  }, 90_000);

  it('refuses --activity with a format other than CSV rather than writing CSV anyway', async () => {
    const activity = await hakdata(['report', '--month', '2026-11', '--activity', '--format', 'pdf']);
    expect(activity.code).toBe(2);
    expect(activity.err).toBe('report: --activity writes CSV; leave --format out (got "pdf").\n');
    expect(activity.out).toBe('');
  }, 60_000);

  it('prints the figures as text or CSV', async () => {
    const [text, csv] = await Promise.all([
      hakdata(['report', '--month', '2026-11', '--lang', 'en']),
      hakdata(['report', '--month', '2026-11', '--format', 'csv']),
    ]);
    expect(text.err).toBe('');
    expect(text.code).toBe(0);
    expect(text.out).toContain('Monthly data-subject rights report');
    expect(text.out).toContain('Requests: 8');
    expect(csv.code).toBe(0);
    expect(csv.out).toContain('by_type,erase,rejected,1');
  }, 90_000);
});

describe('console report page (admins)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildAdminServer(ctx);
  });
  afterAll(() => app.close());

  it('shows the same figures as the CLI, offers the files, and audits each download', async () => {
    const admin = (await signIn(app, 'kepala', await addStaff(ctx, 'kepala', 'admin'))).b;
    const agent = (await signIn(app, 'agen', await addStaff(ctx, 'agen', 'agent'))).b;
    expect((await agent.get('/console/reports?month=2026-11')).statusCode).toBe(403);
    expect((await agent.get('/console/reports/download?month=2026-11&activity=1')).statusCode).toBe(403);

    const res = await admin.get('/console/reports?month=2026-11');
    expect(res.statusCode).toBe(200);
    const expected = await buildRightsReport(ctx, NOV, new Date());
    expect(res.body).toContain(`<span id="total">${expected.total}</span>`);
    const cell = (type: string, outcome: string) =>
      new RegExp(`data-type="${type}"[\\s\\S]*?data-outcome="${outcome}">(\\d+)<`).exec(res.body)?.[1];
    for (const row of expected.byType)
      for (const o of ['completed', 'rejected', 'open'] as const)
        expect(cell(row.type, o), `${row.type} ${o}`).toBe(String(row[o]));
    for (const [k, v] of Object.entries(expected.deadline))
      expect(res.body).toContain(`data-deadline="${k}">${v}<`);
    expect(res.body).toContain('Pembatasan pemrosesan');
    expect(res.body).toContain('UNPAID_ORDER');
    expect(res.body).toContain('/console/reports/download?month=2026-11&amp;activity=1');

    const csv = await admin.get('/console/reports/download?month=2026-11&format=csv');
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain('by_type,erase,rejected,1');
    const pdf = await admin.get('/console/reports/download?month=2026-11&format=pdf&lang=en');
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect((await extractPdfText(pdf.rawPayload)).text).toContain('Monthly data-subject rights report');
    const activity = await admin.get('/console/reports/download?month=2026-11&activity=1');
    expect(activity.body.split('\r\n')[0]).toBe('at,actor,action,request_ref,customer_id,details');
    const audits = await ctx.models.AuditEvent.find({ action: 'console.report.exported' }).lean();
    expect(audits.map((a) => a.details?.format).sort()).toEqual(['activity-csv', 'csv', 'pdf']);
    expect(audits.every((a) => a.actor === 'staff:kepala')).toBe(true);
  });

  it('answers a bad month with the form and a clear sentence', async () => {
    const admin = (await signIn(app, 'kepala2', await addStaff(ctx, 'kepala2', 'admin'))).b;
    const res = await admin.get('/console/reports?month=2026-13');
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Bulan tidak valid');
    expect(res.body).toContain('bulan harus 01 sampai 12');
    expect(res.body).not.toContain('the month must be');
    const en = await admin.get('/console/reports?month=2026-13&lang=en');
    expect(en.statusCode).toBe(400);
    expect(en.body).toContain('Not a valid month');
    expect(en.body).toContain('the month must be 01 to 12');
    expect((await admin.get('/console/reports?month=26-11&lang=id')).body).toContain(
      'tulis bulan sebagai YYYY-MM',
    );
    expect((await admin.get('/console/reports/download?month=2026-13')).statusCode).toBe(400);
  });
});
