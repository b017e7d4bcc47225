import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/channels/types.js';
import { webchatToken } from '../../src/channels/webchat/routes.js';
import type { StoredReply } from '../../src/channels/webchat/store.js';
import { readDevOtpOutbox } from '../../src/identity/otp-providers/index.js';
import { demoCustomers } from '../../src/seed/demo-data.js';
import { seedDemo } from '../../src/seed/seed.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Personal data never reaches the logs: the whole app (every role, LOG_LEVEL=debug) runs a full
 * scenario through the web chat API — verify, access copy delivered, email update, STOP, erase —
 * and then every log line is searched for every seeded customer's phone, email and name and
 * every code that was sent.
 */

const SITI = { phone: '+6281287611943', local: '081287611943', typed: '0812-8761-1943' };
const BUDI = { phone: '+6281311112222', typed: '0813-1111-2222' };
const NEW_EMAIL = 'siti.baru@example.co.id';
const TIMEOUT_MS = 45_000;

let t: TestApp;
const codesSeen: string[] = [];

beforeAll(async () => {
  t = await startTestApp({ WEBCHAT_ENABLED: 'true', LOG_LEVEL: 'debug', MAX_REQUESTS_PER_DAY: '100' });
  await seedDemo(t.ctx.models);
});
afterAll(() => t?.stop());

const textOf = (m: OutboundMessage): string =>
  m.kind === 'document'
    ? `[document ${m.fileName}]`
    : m.kind === 'buttons'
      ? `${m.text} ${m.buttons.map((b) => `[${b.label}]`).join('')}`
      : m.kind === 'contact_request'
        ? `${m.text} [${m.buttonLabel}]`
        : m.text;

/** One web chat, driven through the HTTP API as the page drives it. */
class WebChat {
  private seen = 0;
  constructor(readonly chatId: string) {}

  async post(body: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${t.baseUrl}/chat/api/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chatId: this.chatId, ...body }),
    });
    expect(res.status).toBe(202);
  }

  /** The first reply after the last one consumed that matches; consumes up to it. */
  async waitFor(pattern: RegExp, what = String(pattern)): Promise<StoredReply> {
    const deadline = Date.now() + TIMEOUT_MS;
    const recent: string[] = [];
    while (Date.now() < deadline) {
      const res = await fetch(`${t.baseUrl}/chat/api/replies?chatId=${this.chatId}&after=${this.seen}`, {
        headers: { 'x-chat-token': webchatToken(t.ctx, this.chatId) },
      });
      const { replies } = (await res.json()) as { replies: StoredReply[] };
      for (const reply of replies) {
        recent.push(textOf(reply.message).slice(0, 160));
        if (pattern.test(textOf(reply.message))) {
          this.seen = reply.seq;
          return reply;
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${this.chatId}: no reply matching ${what}; saw:\n${recent.join('\n')}`);
  }

  async say(text: string, expect: RegExp): Promise<StoredReply> {
    await this.post({ text });
    return this.waitFor(expect);
  }

  /** Presses the button whose label matches, on the latest buttons reply already consumed. */
  async press(reply: StoredReply, label: RegExp, expect: RegExp): Promise<StoredReply> {
    if (reply.message.kind !== 'buttons') throw new Error(`not a buttons reply: ${textOf(reply.message)}`);
    const button = reply.message.buttons.find((b) => label.test(b.label));
    if (!button) throw new Error(`no button ${label} in ${textOf(reply.message)}`);
    await this.post({ action: { value: button.value } });
    return this.waitFor(expect);
  }

  /** Answers "which number?" and the code: the code is read from the development OTP outbox. */
  async verify(typed: string, phone: string, then: RegExp): Promise<StoredReply> {
    // A fresh code within a minute of the last one waits for the resend cooldown; the test
    // skips the wait by dropping the cooldown marks (never the per-phone cap).
    await dropCooldowns();
    const asked = Date.now();
    await this.say(typed, /kode 6 angka telah dikirim/);
    const code = await latestCode(phone, asked);
    await this.post({ text: code });
    return this.waitFor(then);
  }
}

async function dropCooldowns(): Promise<void> {
  const keys = await t.ctx.redis.keys(t.ctx.key('otp', 'limit', 'cooldown', '*'));
  if (keys.length > 0) await t.ctx.redis.unlink(...keys);
}

async function latestCode(phone: string, notBefore: number): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const entry = (await readDevOtpOutbox(t.ctx)).find(
      (e) => e.phoneLast4 === phone.slice(-4) && Date.parse(e.at) >= notBefore - 1000,
    );
    if (entry) {
      codesSeen.push(entry.code);
      return entry.code;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no code for …${phone.slice(-4)}`);
}

async function waitForStatus(type: string, status: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    const found = await t.ctx.models.PrivacyRequest.findOne({ type, status }).lean();
    if (found) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const all = await t.ctx.models.PrivacyRequest.find({ type }, { status: 1 }).lean();
  throw new Error(`no ${type} request reached ${status}: ${all.map((r) => r.status).join(', ')}`);
}

/** Every form a phone number takes in text: E.164, without '+', local 0…, and dashed as typed. */
function phoneForms(e164: string): string[] {
  const digits = e164.replace(/\D/g, '');
  const local = `0${digits.slice(2)}`;
  return [e164, digits, local, `${local.slice(0, 4)}-${local.slice(4, 8)}-${local.slice(8)}`];
}

describe('no personal data in logs', () => {
  it('runs verify, access, update, STOP and erase through the web chat without logging personal data', async () => {
    const siti = new WebChat('reliab-siti-0001');
    const menu = await siti.say('akses', /nomor HP yang terdaftar/);
    expect(textOf(menu.message)).toMatch(/Bagikan/);
    const confirm = await siti.verify(SITI.typed, SITI.phone, /salinan semua data pribadi/);
    await siti.press(confirm, /^Ya$/, /Permintaan PR-[A-Z0-9]{6} diterima/);
    // The access worker delivers the documents to this chat.
    await siti.waitFor(/^\[document /, 'the first access document');
    await waitForStatus('access', 'completed');

    const which = await siti.say('ubah', /Data mana yang ingin Anda perbarui|nomor HP yang terdaftar/);
    const fields = /nomor HP yang terdaftar/.test(textOf(which.message))
      ? await siti.verify(SITI.local, SITI.phone, /Data mana yang ingin Anda perbarui/)
      : which;
    await siti.press(fields, /^Email$/, /alamat email yang baru/);
    const confirmEmail = await siti.say('Siti.Baru@Example.co.id', /Data baru: siti\.baru@example\.co\.id/);
    await siti.press(confirmEmail, /^Ya$/, /Permintaan perubahan PR-[A-Z0-9]{6} diterima/);
    await waitForStatus('update', 'completed');

    await siti.say('STOP', /tidak akan menerima promosi lagi/);
    await waitForStatus('unsubscribe', 'completed');

    // Budi checks his status; a stranger types a number that is nobody's.
    const budi = new WebChat('reliab-budi-0002');
    await budi.say('status', /nomor HP yang terdaftar/);
    await budi.verify(BUDI.typed, BUDI.phone, /terverifikasi/);
    const stranger = new WebChat('reliab-stranger-03');
    await stranger.say('status', /nomor HP yang terdaftar/);
    await stranger.say('0813-9999-0000', /kode 6 angka telah dikirim/);
    await stranger.say('123456', /tidak cocok/);

    // Erase always wants a fresh code, even in a verified chat.
    await siti.say('hapus', /nomor HP yang terdaftar/);
    const sure = await siti.verify(SITI.local, SITI.phone, /Apakah Anda yakin/);
    await siti.press(sure, /^Ya$/, /Permintaan penghapusan PR-[A-Z0-9]{6} diterima/);
    await waitForStatus('erase', 'completed');
    const erased = await t.ctx.models.Customer.findOne({ customerNo: 'SJ-000001' }).lean();
    expect(erased?.erasedAt).toBeTruthy();
    expect(erased?.phone ?? null).toBeNull();

    // Let the workers' last lines land.
    await new Promise((r) => setTimeout(r, 500));
    const lines = [...t.appLogLines, ...t.ctx.logLines];
    expect(lines.length).toBeGreaterThan(50);
    expect(codesSeen.length).toBeGreaterThanOrEqual(3);
    // The search covers the lines that matter: the OTP service and the workers did log.
    expect(lines.some((l) => l.includes('code issued'))).toBe(true);
    expect(lines.some((l) => /"component":"otp"/.test(l))).toBe(true);

    const needles = new Map<string, string>();
    for (const c of demoCustomers) {
      for (const form of phoneForms(c.phone)) needles.set(form, `phone of ${c.customerNo}`);
      needles.set(c.email.toLowerCase(), `email of ${c.customerNo}`);
      needles.set(c.name.toLowerCase(), `name of ${c.customerNo}`);
      needles.set(c.address.toLowerCase(), `address of ${c.customerNo}`);
    }
    needles.set(NEW_EMAIL, 'the new email');
    for (const form of phoneForms('+6281399990000')) needles.set(form, "the stranger's number");
    for (const code of codesSeen) needles.set(code, 'an OTP code');
    // A chat id is personal data too (on WhatsApp it is the number).
    for (const chat of [siti, budi, stranger]) needles.set(chat.chatId, 'a chat id');

    const found: string[] = [];
    for (const [i, line] of lines.entries()) {
      const lower = line.toLowerCase();
      for (const [needle, what] of needles) {
        if (lower.includes(needle)) found.push(`line ${i} has ${what}: ${line.slice(0, 300)}`);
      }
    }
    expect(found.slice(0, 10)).toEqual([]);
  });
});
