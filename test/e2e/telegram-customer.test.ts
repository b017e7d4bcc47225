import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDevOtpOutbox } from '../../src/identity/otp-providers/index.js';
import { seedDemo } from '../../src/seed/seed.js';
import { FakeTelegramBotApi, type SentMessage } from '../fakes/telegram-bot-api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * The whole app (ROLE=all: gateway, workers, admin) against the fake Telegram Bot API, driven
 * exactly as customers would: typing, pressing inline buttons, sharing their contact card.
 * In a private chat Telegram's chat id is the user id.
 */

const SITI = { userId: 7001, customerNo: 'SJ-000001', phone: '+6281287611943', shared: '6281287611943' };
const BUDI = { userId: 7002, customerNo: 'SJ-000002', phone: '+6281311112222', typed: '0813-1111-2222' };
const STRANGER = 7003;
/** Only finished orders, and no codes asked earlier in this file (delete always wants a new code). */
const NUR = { userId: 7004, customerNo: 'SJ-000003', phone: '+6281259080888', shared: '6281259080888' };
const WAIT = { timeoutMs: 15_000 };
const POLL = { timeout: 15_000, interval: 100 };
const ARTIFACTS = new URL('../artifacts/', import.meta.url);

let t: TestApp;
let fake: FakeTelegramBotApi;
/** Every code a customer typed, to prove none reached the logs. */
const codesSeen: string[] = [];

const includes = (part: string) => (m: SentMessage) =>
  (m.text ?? m.caption ?? '').toLowerCase().includes(part.toLowerCase());

/** The customer types `text`; resolves with the first reply matching `expect`. */
async function send(userId: number, text: string, expectPart: string): Promise<SentMessage> {
  const after = fake.callCount;
  fake.userSends(userId, text);
  return fake.waitForMessage(userId, includes(expectPart), { ...WAIT, after });
}

/** The customer presses the button labelled `label` in the latest message that has it. */
async function press(userId: number, label: string, expectPart: string): Promise<SentMessage> {
  const after = fake.callCount;
  const callbackId = fake.pressButton(userId, { label });
  // Every press is answered, so the spinner on the customer's button stops.
  await fake.waitForCall('answerCallbackQuery', (c) => c.params.callback_query_id === callbackId, {
    ...WAIT,
    after,
  });
  return fake.waitForMessage(userId, includes(expectPart), { ...WAIT, after });
}

/** The newest development code for a phone (the console OTP provider's outbox). */
async function latestCode(phone: string, notBefore: number): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const entry = (await readDevOtpOutbox(t.ctx)).find(
      (e) => e.phoneLast4 === phone.slice(-4) && Date.parse(e.at) >= notBefore - 1000,
    );
    if (entry) {
      codesSeen.push(entry.code);
      return entry.code;
    }
    if (Date.now() > deadline) throw new Error(`no code for …${phone.slice(-4)} in the dev OTP outbox`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const customer = (customerNo: string) => t.ctx.models.Customer.findOne({ customerNo }).lean();
const requestsOf = async (customerNo: string) => {
  const c = await customer(customerNo);
  return t.ctx.models.PrivacyRequest.find({ customerId: c?._id }).sort({ createdAt: 1 }).lean();
};

beforeAll(async () => {
  fake = await FakeTelegramBotApi.start({ maxPollSeconds: 1 });
  t = await startTestApp({ ...fake.env, OTP_PROVIDER: 'console', WEBCHAT_ENABLED: 'false' });
  await seedDemo(t.ctx.models);
  // The bot is up once it polls.
  await fake.waitForCall('getUpdates', () => true, WAIT);
}, 60_000);

afterAll(async () => {
  // What each customer read, for people reviewing the bot's wording (test/artifacts is gitignored).
  if (fake) {
    const transcript = Object.fromEntries(
      [SITI.userId, BUDI.userId, STRANGER].map((id) => [id, fake.textsTo(id)]),
    );
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(new URL('telegram-transcript.json', ARTIFACTS), JSON.stringify(transcript, null, 2));
  }
  await t?.stop();
  await fake?.close();
});

describe('a Telegram customer, end to end (ROLE=all, fake Bot API)', () => {
  it('verifies with a shared contact and receives both documents of an access request', async () => {
    const { userId } = SITI;
    const ask = await send(userId, 'akses', 'nomor HP');
    expect(ask.contactRequest?.label).toBe('Bagikan nomor saya');
    // The welcome comes first, once.
    expect(fake.textsTo(userId)[0]).toMatch(/^Halo!/);

    const sharedAt = Date.now();
    let after = fake.callCount;
    fake.shareContact(userId, SITI.shared);
    const codePrompt = await fake.waitForMessage(userId, includes('kode 6 angka'), { ...WAIT, after });
    // The number is masked, never echoed in full.
    expect(codePrompt.text).not.toContain('87611943');
    expect(codePrompt.buttons.map((b) => b.text)).toContain('Kirim ulang kode');

    const code = await latestCode(SITI.phone, sharedAt);
    expect(code).toMatch(/^\d{6}$/);
    after = fake.callCount;
    fake.userSends(userId, code);
    await fake.waitForMessage(userId, includes('sudah terverifikasi'), { ...WAIT, after });
    const confirm = await fake.waitForMessage(userId, includes('dua dokumen'), { ...WAIT, after });
    expect(confirm.buttons.map((b) => b.text)).toEqual(['Ya', 'Tidak']);

    after = fake.callCount;
    const queued = await press(userId, 'Ya', 'Dokumen data Anda akan dikirim');
    const ref = /PR-[A-Z0-9]{6}/.exec(queued.text ?? '')?.[0];
    expect(ref).toBeDefined();

    const json = await fake.waitForMessage(userId, (m) => m.document?.fileName === 'data-saya.json', {
      ...WAIT,
      after,
    });
    const pdf = await fake.waitForMessage(userId, (m) => m.document?.fileName === 'data-saya.pdf', {
      ...WAIT,
      after,
    });
    const data = JSON.parse(json.document?.content.toString('utf8') ?? '{}') as unknown;
    expect(JSON.stringify(data)).toContain(SITI.customerNo);
    expect(pdf.document?.content.subarray(0, 4).toString('latin1')).toBe('%PDF');
    // The caption or a message names the request the documents answer.
    expect(fake.textsTo(userId, { after }).join('\n')).toContain(ref ?? '?');

    const request = await t.ctx.models.PrivacyRequest.findOne({ ref }).lean();
    expect(request?.type).toBe('access');
    expect(request?.chatId).toBe(String(userId));
    await expect
      .poll(async () => (await t.ctx.models.PrivacyRequest.findOne({ ref }).lean())?.status, POLL)
      .toBe('completed');
  });

  it('updates the email: the customer document changes and the change is audited', async () => {
    const { userId } = SITI;
    const before = await customer(SITI.customerNo);
    // Verified a moment ago: no new code, straight to the choice of field.
    const which = await send(userId, 'ubah', 'Data mana');
    expect(which.buttons.map((b) => b.text)).toContain('Email');
    await press(userId, 'Email', 'alamat email yang baru');
    const confirm = await send(userId, 'siti.baru@contoh.co.id', 'Kirim permintaan perubahan');
    expect(confirm.text).toContain('siti.baru@contoh.co.id');
    const after = fake.callCount;
    const queued = await press(userId, 'Ya', 'Permintaan perubahan');
    const ref = /PR-[A-Z0-9]{6}/.exec(queued.text ?? '')?.[0];
    expect(ref).toBeDefined();
    await fake.waitForMessage(userId, includes('sudah diperbarui'), { ...WAIT, after });

    const updated = await customer(SITI.customerNo);
    expect(updated?.email).toBe('siti.baru@contoh.co.id');
    expect(updated?.email).not.toBe(before?.email);
    // The customer is told before the request closes; its audit events are written at the close.
    await pollUntil(
      `request ${ref} closed with its audit events written`,
      async () =>
        (await t.ctx.models.PrivacyRequest.exists({
          ref,
          status: 'completed',
          auditPending: { $ne: true },
        })) !== null,
      { timeoutMs: WAIT.timeoutMs },
    );
    const events = await t.ctx.models.AuditEvent.find({ requestRef: ref }).lean();
    expect(events.length).toBeGreaterThan(0);
    // The audit trail names the field, never the new address.
    expect(JSON.stringify(events)).not.toContain('siti.baru@contoh.co.id');
    expect(JSON.stringify(events)).toContain('email');
  });

  it('replying STOP turns marketing off at once', async () => {
    const { userId } = SITI;
    expect((await customer(SITI.customerNo))?.marketingConsent?.granted).toBe(true);
    const after = fake.callCount;
    await send(userId, 'STOP', 'tidak akan menerima promosi');
    await expect
      .poll(async () => (await customer(SITI.customerNo))?.marketingConsent?.granted, POLL)
      .toBe(false);
    const unsubscribe = (await requestsOf(SITI.customerNo)).find((r) => r.type === 'unsubscribe');
    expect(unsubscribe?.changes).toMatchObject({ words: 'STOP' });
    await expect
      .poll(
        async () => (await t.ctx.models.PrivacyRequest.findOne({ ref: unsubscribe?.ref }).lean())?.status,
        POLL,
      )
      .toBe('completed');
    // One confirmation, at once; the worker applying it does not say it again.
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.textsTo(userId, { after })).toHaveLength(1);
  });

  it('a button of an old menu gets a polite "menu lama" reply', async () => {
    const { userId } = SITI;
    // The first menu-like message with buttons: the access confirmation, long answered.
    const old = fake.messagesTo(userId).find((m) => m.buttons.some((b) => b.text === 'Ya'));
    const stale = old?.buttons.find((b) => b.text === 'Ya');
    if (!old || !stale) throw new Error('no old message with buttons');
    const after = fake.callCount;
    fake.pressButton(userId, { data: stale.data, messageId: old.messageId });
    const reply = await fake.waitForMessage(userId, includes('menu lama'), { ...WAIT, after });
    expect(reply.text).toMatch(/tidak berlaku/);
    // Nothing was created by the stale press: still one access request.
    expect((await requestsOf(SITI.customerNo)).filter((r) => r.type === 'access')).toHaveLength(1);
  });

  it('deletes a customer with only finished orders: anonymized at once', async () => {
    const { userId } = NUR;
    await send(userId, 'hapus', 'nomor HP');
    const sharedAt = Date.now();
    await fake.shareContact(userId, NUR.shared);
    await fake.waitForMessage(userId, includes('kode 6 angka'), WAIT);
    const code = await latestCode(NUR.phone, sharedAt);
    const confirm = await send(userId, code, 'yakin ingin menghapus');
    expect(confirm.buttons.map((b) => b.text)).toEqual(['Ya', 'Tidak']);
    const after = fake.callCount;
    await press(userId, 'Ya', 'Permintaan penghapusan');
    await fake.waitForMessage(userId, includes('sudah kami hapus'), { ...WAIT, after });

    const erased = await customer(NUR.customerNo);
    expect(erased?.erasedAt).toBeInstanceOf(Date);
    expect(erased?.name).toBeUndefined();
    expect(erased?.phone).toBeUndefined();
    expect(erased?.email).toBeUndefined();
    // The customer is told just before the request is closed (a crash in between re-sends).
    await expect
      .poll(async () => (await requestsOf(NUR.customerNo)).find((r) => r.type === 'erase')?.status, POLL)
      .toBe('completed');
  });

  it('deleting a customer with an unpaid scheduled order waits for staff', async () => {
    const { userId } = BUDI;
    await send(userId, 'hapus', 'nomor HP');
    const typedAt = Date.now();
    await send(userId, BUDI.typed, 'kode 6 angka');
    const code = await latestCode(BUDI.phone, typedAt);
    await send(userId, code, 'yakin ingin menghapus');
    const after = fake.callCount;
    const told = await press(userId, 'Ya', 'staf kami akan meninjaunya');
    const ref = /PR-[A-Z0-9]{6}/.exec(told.text ?? '')?.[0] ?? '?';
    // Told once, by the conversation: no second "needs review" notice for the same request.
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.textsTo(userId, { after }).filter((x) => x.includes(ref))).toHaveLength(1);

    const erase = (await requestsOf(BUDI.customerNo)).find((r) => r.type === 'erase');
    expect(erase?.status).toBe('pending_approval');
    const budi = await customer(BUDI.customerNo);
    expect(budi?.erasedAt).toBeUndefined();
    expect(budi?.phone).toBe(BUDI.phone);
  });

  it("refuses a contact card that is not the sender's own", async () => {
    await send(STRANGER, 'akses', 'nomor HP');
    const after = fake.callCount;
    const codesBefore = (await readDevOtpOutbox(t.ctx)).length;
    fake.shareContact(STRANGER, SITI.shared, { contactUserId: 999 });
    const refusal = await fake.waitForMessage(STRANGER, includes('bukan milik akun Telegram Anda'), {
      ...WAIT,
      after,
    });
    expect(refusal.text).toBeDefined();
    // Asked again for their own number, and no code was sent anywhere.
    await fake.waitForMessage(STRANGER, (m) => m.contactRequest !== undefined, { ...WAIT, after });
    expect((await readDevOtpOutbox(t.ctx)).length).toBe(codesBefore);
    expect(await t.ctx.models.PrivacyRequest.countDocuments({ chatId: String(STRANGER) })).toBe(0);
  });

  it('never logged a code or a full phone number', () => {
    const lines = [...t.appLogLines, ...t.ctx.logLines].join('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const phone of [SITI.phone, SITI.shared, BUDI.phone, NUR.phone, NUR.shared])
      expect(lines).not.toContain(phone);
    expect(codesSeen).toHaveLength(3);
    for (const code of codesSeen) expect(lines).not.toMatch(new RegExp(`\\b${code}\\b`));
  });
});
