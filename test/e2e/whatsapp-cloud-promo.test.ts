import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbox, type OutboxHandle } from '../../src/outbound/index.js';
import { formatReport, parsePromo, sendPromo } from '../../src/promo/index.js';
import { type CloudSentMessage, FakeGraphApi } from '../fakes/graph-api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Promotions on the WhatsApp Cloud API with a marketing template set
 * (WHATSAPP_CLOUD_TEMPLATE_PROMOTION), the whole app against the fake Graph API: outside the
 * 24-hour window a promotion goes as that template, the promotion and its stop line as `{{1}}`;
 * a STOP quoting it opts the customer out with the promotion as proof. Meta's refusals (132001,
 * 132015) and a promotion too long for the template become dead letters. Without the setting a
 * promotion there is a WINDOW_CLOSED dead letter (test/e2e/whatsapp-cloud).
 */

const TEMPLATE = 'hakdata_promotion';
const WAIT = { timeoutMs: 15_000 };
const POLL = { timeout: 15_000, interval: 100 };

let t: TestApp;
let fake: FakeGraphApi;
let outbox: OutboxHandle;

const templateOf = (m: CloudSentMessage) =>
  m.body.template as { name: string; components: { type: string; parameters: { text: string }[] }[] };
const parametersOf = (m: CloudSentMessage) =>
  templateOf(m).components.flatMap((c) => c.parameters.map((p) => p.text));

const deadLetter = (promoId: string) =>
  t.ctx.models.DeadLetter.findOne({ channel: 'whatsapp-cloud', promoId }).lean();

/** A promotion queued for `to` as the promo sender's outbox path does (meta purpose 'promo'). */
const queuePromo = (to: string, promoId: string, text: string) =>
  outbox.send('whatsapp-cloud', to, [{ kind: 'text', text }], {
    purpose: 'promo',
    promoId,
    dedupeKey: `promo:${promoId}:${to}`,
  });

beforeAll(async () => {
  fake = await FakeGraphApi.start();
  t = await startTestApp({
    ...fake.env,
    WHATSAPP_CLOUD_TEMPLATE_PROMOTION: TEMPLATE,
    WEBCHAT_ENABLED: 'false',
  });
  fake.webhookUrl = `${t.baseUrl}/whatsapp-cloud/webhook`;
  outbox = createOutbox(t.ctx);
}, 60_000);

afterAll(async () => {
  await outbox?.close();
  await t?.stop();
  await fake?.stop();
});

describe('a promotion outside the 24-hour window, with a marketing template set', () => {
  const WATI = { waId: '6281344445555', phone: '+6281344445555' };

  it('goes as the marketing template with the promotion and its stop line as {{1}}; a STOP quoting it opts out', async () => {
    const customer = await t.ctx.models.Customer.create({
      customerNo: 'SJ-PROMO1',
      name: 'Wati Promo',
      phone: WATI.phone,
      area: 'Promo Cloud',
      marketingConsent: { granted: true, updatedAt: new Date(), source: 'test' },
    });
    // She has never written: no window, so only a template reaches her.
    const report = await sendPromo(
      t.ctx,
      parsePromo({
        id: 'cloud-promo',
        message: { id: 'Diskon 20% sedot WC\nbulan ini!', en: '20% off septic pumping this month!' },
        channels: ['whatsapp-cloud'],
        audience: { area: 'Promo Cloud' },
      }),
    );
    expect(report.sent).toBe(1);
    expect(report.failed).toEqual({});
    const sent = await fake.waitForMessage(WATI.waId, (m) => m.type === 'template', WAIT);
    expect(templateOf(sent).name).toBe(TEMPLATE);
    // One line (Meta refuses new lines in a parameter), the stop line kept.
    expect(parametersOf(sent)).toEqual([
      'Diskon 20% sedot WC · bulan ini! · Balas STOP untuk berhenti menerima promosi.',
    ]);

    // Her reply quotes the template: it opens the window, and names the promotion and her.
    const after = fake.messages.length;
    await fake.userSends(WATI.waId, 'STOP', { context: sent.wamid });
    const confirmation = await fake.waitForMessage(
      WATI.waId,
      (m) => m.type === 'text' && m.text.includes('tidak akan menerima promosi'),
      { ...WAIT, after },
    );
    expect(confirmation).toBeDefined();
    await expect
      .poll(
        async () =>
          (
            await t.ctx.models.PrivacyRequest.findOne({
              customerId: customer._id,
              type: 'unsubscribe',
            }).lean()
          )?.changes,
        POLL,
      )
      .toMatchObject({ promoId: 'cloud-promo' });
  });

  it('goes as the template through the outbox too (the promo meta is what says so)', async () => {
    const QUEUED = '6281344446666';
    await queuePromo(
      QUEUED,
      'cloud-queued',
      'Gratis cek saluran.\n\nBalas STOP untuk berhenti menerima promosi.',
    );
    const sent = await fake.waitForMessage(QUEUED, (m) => m.type === 'template', WAIT);
    expect(templateOf(sent).name).toBe(TEMPLATE);
    expect(parametersOf(sent)).toEqual(['Gratis cek saluran. · Balas STOP untuk berhenti menerima promosi.']);
  });

  it('is a dead letter with the Graph API code when Meta does not know the template (132001) or paused it (132015)', async () => {
    const category = fake.templates[TEMPLATE];
    delete fake.templates[TEMPLATE];
    try {
      await queuePromo('6281344447777', 'cloud-unknown', 'Promo tanpa template.');
      await expect.poll(async () => (await deadLetter('cloud-unknown'))?.platformCode, POLL).toBe('132001');
    } finally {
      if (category) fake.templates[TEMPLATE] = category;
    }
    const unknown = await deadLetter('cloud-unknown');
    expect(unknown?.reason).toBe('BAD_REQUEST');
    expect(unknown?.purpose).toBe('promo');
    expect(unknown?.detail).toContain('Template name does not exist');

    fake.pausedTemplates.add(TEMPLATE);
    try {
      await queuePromo('6281344448888', 'cloud-paused', 'Promo saat template dijeda.');
      await expect.poll(async () => (await deadLetter('cloud-paused'))?.platformCode, POLL).toBe('132015');
    } finally {
      fake.pausedTemplates.delete(TEMPLATE);
    }
    expect(fake.messagesTo('6281344447777')).toHaveLength(0);
    expect(fake.messagesTo('6281344448888')).toHaveLength(0);
  });

  it('a direct send Meta refuses is a failed delivery with the Graph API code, counted by code in the report', async () => {
    const PAUSED = '+6281344440000';
    const customer = await t.ctx.models.Customer.create({
      customerNo: 'SJ-PROMO2',
      name: 'Tuti Promo',
      phone: PAUSED,
      area: 'Promo Cloud Paused',
      marketingConsent: { granted: true, updatedAt: new Date(), source: 'test' },
    });
    fake.pausedTemplates.add(TEMPLATE);
    let report: Awaited<ReturnType<typeof sendPromo>>;
    try {
      // whatsapp-cloud is sent by the promo sender itself (direct), not through the outbox.
      report = await sendPromo(
        t.ctx,
        parsePromo({
          id: 'cloud-direct-paused',
          message: { id: 'Promo saat template dijeda.', en: 'A promotion while the template is paused.' },
          channels: ['whatsapp-cloud'],
          audience: { area: 'Promo Cloud Paused' },
        }),
      );
    } finally {
      fake.pausedTemplates.delete(TEMPLATE);
    }
    expect(report.sent).toBe(0);
    expect(report.failed).toEqual({ BAD_REQUEST: 1 });
    expect(report.failedPlatformCodes).toEqual({ BAD_REQUEST: { '132015': 1 } });
    const delivery = await t.ctx.models.PromoDelivery.findOne({
      promoId: 'cloud-direct-paused',
      customerId: customer._id,
    }).lean();
    expect(delivery).toMatchObject({ state: 'failed', via: 'direct' });
    expect(delivery?.error).toMatchObject({ code: 'BAD_REQUEST', platformCode: '132015' });
    const text = formatReport(report);
    expect(text).toMatch(
      /the platform refused the message \(BAD_REQUEST\) +1\n {6}platform code 132015 +1\n/,
    );
    expect(text).not.toContain('81344440000');
    expect(fake.messagesTo('6281344440000')).toHaveLength(0);
  });

  it('is a dead letter, not cut, when the promotion does not fit the template parameter', async () => {
    const LONG = '6281344449999';
    await queuePromo(LONG, 'cloud-long', `${'Diskon besar. '.repeat(70)}\n\nBalas STOP.`);
    await expect.poll(async () => (await deadLetter('cloud-long'))?.reason, POLL).toBe('BAD_REQUEST');
    expect((await deadLetter('cloud-long'))?.detail).toMatch(/promotion too long for the marketing template/);
    expect(fake.messagesTo(LONG)).toHaveLength(0);
    expect(fake.refused.some((r) => r.code === 132005)).toBe(false);
  });
});
