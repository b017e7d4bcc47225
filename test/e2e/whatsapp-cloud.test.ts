import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbox, type OutboxHandle } from '../../src/outbound/index.js';
import { seedDemo } from '../../src/seed/seed.js';
import { type CloudSentMessage, FakeGraphApi } from '../fakes/graph-api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * The whole app (ROLE=all) with the WhatsApp Cloud API channel against the fake Graph API:
 * Meta's webhooks in (signed, re-delivered), the Graph API out (interactive menus, templates,
 * media then documents), statuses back into dead letters, and the 24-hour window.
 */

const SITI = { waId: '6281287611943', customerNo: 'SJ-000001' };
const WAIT = { timeoutMs: 15_000 };
const POLL = { timeout: 15_000, interval: 100 };

let t: TestApp;
let fake: FakeGraphApi;
let outbox: OutboxHandle;

/** What the customer sees of a message: its text, interactive body, caption or template parameters. */
function shown(m: CloudSentMessage): string {
  if (m.type !== 'template') return m.text;
  const t = m.body.template as { components?: { parameters?: { text?: string }[] }[] };
  return (t.components ?? []).flatMap((c) => (c.parameters ?? []).map((p) => p.text ?? '')).join(' | ');
}
const includes = (part: string) => (m: CloudSentMessage) =>
  shown(m).toLowerCase().includes(part.toLowerCase());

async function say(waId: string, text: string, expectPart: string): Promise<CloudSentMessage> {
  const after = fake.messages.length;
  const { status } = await fake.userSends(waId, text);
  expect(status).toBe(200);
  return fake.waitForMessage(waId, includes(expectPart), { ...WAIT, after });
}

async function press(waId: string, title: string, expectPart: string): Promise<CloudSentMessage> {
  const after = fake.messages.length;
  const { status } = await fake.pressButton(waId, title);
  expect(status).toBe(200);
  return fake.waitForMessage(waId, includes(expectPart), { ...WAIT, after });
}

const titlesOf = (m: CloudSentMessage) => {
  const i = m.body.interactive as
    | { action: { buttons?: { reply: { title: string } }[]; sections?: { rows: { title: string }[] }[] } }
    | undefined;
  return [
    ...(i?.action.buttons ?? []).map((b) => b.reply.title),
    ...(i?.action.sections ?? []).flatMap((s) => s.rows.map((r) => r.title)),
  ];
};

beforeAll(async () => {
  fake = await FakeGraphApi.start();
  t = await startTestApp({ ...fake.env, OTP_PROVIDER: 'whatsapp-cloud', WEBCHAT_ENABLED: 'false' });
  fake.webhookUrl = `${t.baseUrl}/whatsapp-cloud/webhook`;
  await seedDemo(t.ctx.models);
  outbox = createOutbox(t.ctx);
}, 60_000);

afterAll(async () => {
  await outbox?.close();
  await t?.stop();
  await fake?.stop();
});

describe('the WhatsApp Cloud API webhook', () => {
  it("answers Meta's subscription check only with the verify token", async () => {
    expect(await fake.verifySubscription(fake.verifyToken, '8812')).toEqual({ status: 200, body: '8812' });
    expect((await fake.verifySubscription('not-the-token-at-all', '8812')).status).toBe(403);
  });

  it('refuses a POST without a valid X-Hub-Signature-256 (401) and handles none of it', async () => {
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    expect((await fake.deliver(body, null)).status).toBe(401);
    expect((await fake.deliver(body, fake.sign(body, 'another-apps-secret'))).status).toBe(401);
    // Signed over other bytes (a re-serialised body) does not pass either.
    expect((await fake.deliver(`${body} `, fake.sign(body))).status).toBe(401);
    expect((await fake.deliver(body)).status).toBe(200);
  });
});

describe('a WhatsApp Cloud API customer, end to end (ROLE=all, fake Graph API)', () => {
  it('gets the menu as an interactive message; a re-delivered webhook is handled once', async () => {
    const after = fake.messages.length;
    const first = await fake.userSends(SITI.waId, 'menu');
    const menu = await fake.waitForMessage(
      SITI.waId,
      (m) => m.type === 'interactive' && titlesOf(m).length > 3,
      {
        ...WAIT,
        after,
      },
    );
    const interactive = menu.body.interactive as { type: string };
    // More than three choices: a list message, every row title within 24 characters.
    expect(interactive.type).toBe('list');
    for (const title of titlesOf(menu)) expect(title.length).toBeLessThanOrEqual(24);

    // Meta resends the same webhook: accepted (200), queued no second time.
    const countBefore = fake.messagesTo(SITI.waId).length;
    const again = await fake.deliver(first.payload);
    expect(again.status).toBe(200);
    await expect
      .poll(() => t.appLogLines.some((l) => l.includes('re-delivered events ignored')), POLL)
      .toBe(true);
    // The next message is answered next: the repeat produced no second menu in between.
    const help = await say(SITI.waId, 'bantuan', '');
    expect(fake.messagesTo(SITI.waId)[countBefore]?.wamid).toBe(help.wamid);
  });

  it('verifies by the sender number with a code in the authentication template and receives both documents', async () => {
    const offer = await say(SITI.waId, 'akses', 'kode verifikasi ke nomor');
    // The number is masked, never echoed in full.
    expect(shown(offer)).not.toContain('87611943');
    expect(titlesOf(offer)).toEqual(['Ya', 'Tidak']);
    expect((offer.body.interactive as { type: string }).type).toBe('button');

    let after = fake.messages.length;
    await fake.pressButton(SITI.waId, 'Ya');
    const codeMessage = await fake.waitForMessage(SITI.waId, (m) => m.type === 'template', {
      ...WAIT,
      after,
    });
    const template = codeMessage.body.template as {
      name: string;
      components: { type: string; parameters: { text: string }[] }[];
    };
    expect(template.name).toBe('hakdata_code');
    const code = template.components.find((c) => c.type === 'body')?.parameters[0]?.text ?? '';
    expect(code).toMatch(/^\d{6}$/);

    const confirm = await say(SITI.waId, code, 'dua dokumen');
    expect(titlesOf(confirm)).toEqual(['Ya', 'Tidak']);
    after = fake.messages.length;
    const queued = await press(SITI.waId, 'Ya', 'Dokumen data Anda akan dikirim');
    const ref = /PR-[A-Z0-9]{6}/.exec(shown(queued))?.[0];
    expect(ref).toBeDefined();

    const documents = async () =>
      fake
        .messagesTo(SITI.waId)
        .slice(0)
        .filter((m) => m.type === 'document');
    await expect.poll(async () => (await documents()).length, POLL).toBe(2);
    const names = (await documents()).map((m) => (m.body.document as { filename: string }).filename).sort();
    expect(names).toEqual(['data-saya.json', 'data-saya.pdf']);
    // Each document was uploaded to /media first and sent by its id.
    for (const m of await documents()) {
      const { id } = m.body.document as { id: string };
      expect(fake.media.get(id)?.bytes.length).toBeGreaterThan(0);
    }
    const pdf = (await documents()).find(
      (m) => (m.body.document as { filename: string }).filename === 'data-saya.pdf',
    );
    const pdfId = (pdf?.body.document as { id: string } | undefined)?.id ?? '';
    expect(fake.media.get(pdfId)?.bytes.subarray(0, 4).toString('latin1')).toBe('%PDF');
    await expect
      .poll(async () => (await t.ctx.models.PrivacyRequest.findOne({ ref }).lean())?.status, POLL)
      .toBe('completed');
    expect(fake.messages.slice(after).every((m) => m.type !== 'template')).toBe(true);
  });
});

describe('outside the 24-hour customer-service window', () => {
  const QUIET = '6281311112222';

  it('sends a request notice as the approved template and dead-letters what no template covers', async () => {
    await outbox.send(
      'whatsapp-cloud',
      QUIET,
      [
        { kind: 'text', text: 'Permintaan PR-QUIET1 Anda selesai.\nTerima kasih.' },
        { kind: 'document', fileName: 'a.json', mimeType: 'application/json', contentBase64: 'e30=' },
      ],
      { purpose: 'notification', requestRef: 'PR-QUIET1', dedupeKey: 'PR-QUIET1:outcome' },
    );
    const sent = await fake.waitForMessage(QUIET, (m) => m.type === 'template', WAIT);
    const template = sent.body.template as { name: string };
    expect(template.name).toBe('hakdata_request_update');
    // Parameters may not hold new lines (Meta): flattened.
    expect(shown(sent)).toBe('PR-QUIET1 | Permintaan PR-QUIET1 Anda selesai. · Terima kasih.');
    await expect
      .poll(
        async () =>
          (
            await t.ctx.models.DeadLetter.findOne({
              channel: 'whatsapp-cloud',
              requestRef: 'PR-QUIET1',
            }).lean()
          )?.reason,
        POLL,
      )
      .toBe('WINDOW_CLOSED');
    expect(fake.messagesTo(QUIET).filter((m) => m.type === 'document')).toHaveLength(0);
  });

  it('dead-letters a promotion as WINDOW_CLOSED when no marketing template is set', async () => {
    const PROMO = '6281366667777';
    await outbox.send('whatsapp-cloud', PROMO, [{ kind: 'text', text: 'Diskon 20% sedot WC!' }], {
      purpose: 'promo',
      promoId: 'no-template',
      dedupeKey: `promo:no-template:${PROMO}`,
    });
    await expect
      .poll(
        async () =>
          (
            await t.ctx.models.DeadLetter.findOne({
              channel: 'whatsapp-cloud',
              promoId: 'no-template',
            }).lean()
          )?.reason,
        POLL,
      )
      .toBe('WINDOW_CLOSED');
    const letter = await t.ctx.models.DeadLetter.findOne({ promoId: 'no-template' }).lean();
    expect(letter?.purpose).toBe('promo');
    expect(letter?.detail).toContain('WHATSAPP_CLOUD_TEMPLATE_PROMOTION');
    expect(fake.messagesTo(PROMO)).toHaveLength(0);
  });

  it('sends a staff message about a request as the deadline-notice template', async () => {
    const STAFF = '6281355556666';
    await outbox.send(
      'whatsapp-cloud',
      STAFF,
      [{ kind: 'text', text: 'PR-LATE01 jatuh tempo dalam 24 jam.' }],
      {
        purpose: 'staff',
        requestRef: 'PR-LATE01',
        dedupeKey: 'PR-LATE01:staff:sla:24h',
      },
    );
    const sent = await fake.waitForMessage(STAFF, (m) => m.type === 'template', WAIT);
    expect((sent.body.template as { name: string }).name).toBe('hakdata_deadline_notice');
    expect(shown(sent)).toBe('PR-LATE01 | PR-LATE01 jatuh tempo dalam 24 jam.');
  });

  it("turns Meta's failed status 131047 (window closed on Meta's clock) into a dead letter", async () => {
    const LATE = '6281259080888';
    await fake.userSends(LATE, 'halo');
    await fake.waitForMessage(LATE, () => true, WAIT);
    const realNow = fake.now;
    fake.now = () => realNow() + 25 * 3600 * 1000;
    try {
      await outbox.send('whatsapp-cloud', LATE, [{ kind: 'text', text: 'Masih ada yang bisa dibantu?' }], {
        purpose: 'reply',
        dedupeKey: 'late-1',
      });
      await expect
        .poll(
          async () =>
            (
              await t.ctx.models.DeadLetter.findOne({
                channel: 'whatsapp-cloud',
                reason: 'WINDOW_CLOSED',
                purpose: 'reply',
              }).lean()
            )?.detail,
          POLL,
        )
        .toContain('Re-engagement message');
      // The code staff look up is kept whole beside the detail, whose digit runs are masked.
      const letter = await t.ctx.models.DeadLetter.findOne({
        channel: 'whatsapp-cloud',
        reason: 'WINDOW_CLOSED',
        purpose: 'reply',
      }).lean();
      expect(letter?.platformCode).toBe('131047');
      expect(letter?.detail).not.toContain('131047');
    } finally {
      fake.now = realNow;
    }
  });

  it('turns 131026 (undeliverable) into a CHAT_BLOCKED dead letter with the masked number', async () => {
    const GONE = '6281399990000';
    fake.undeliverable.add(GONE);
    await outbox.send('whatsapp-cloud', GONE, [{ kind: 'text', text: 'Status permintaan PR-GONE01' }], {
      purpose: 'notification',
      requestRef: 'PR-GONE01',
    });
    await expect
      .poll(
        async () => (await t.ctx.models.DeadLetter.findOne({ requestRef: 'PR-GONE01' }).lean())?.reason,
        POLL,
      )
      .toBe('CHAT_BLOCKED');
    const letter = await t.ctx.models.DeadLetter.findOne({ requestRef: 'PR-GONE01' }).lean();
    expect(JSON.stringify(letter)).not.toContain('81399990000');
    expect(letter?.detail).toContain('Message undeliverable');
    expect(letter?.platformCode).toBe('131026');
  });

  it('waits out a 130429 rate limit and then sends', async () => {
    await fake.userSends('6281377778888', 'halo');
    await fake.waitForMessage('6281377778888', () => true, WAIT);
    fake.rateLimitNext(1);
    await outbox.send('whatsapp-cloud', '6281377778888', [{ kind: 'text', text: 'Sebentar lagi.' }], {
      purpose: 'reply',
      dedupeKey: 'rl-1',
    });
    await fake.waitForMessage('6281377778888', includes('Sebentar lagi'), WAIT);
    expect(fake.refused.some((r) => r.code === 130429)).toBe(true);
  });
});
