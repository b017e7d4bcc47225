import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/seed/seed.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { launchChromium } from '../helpers/browser.js';

/**
 * The local web chat (/chat) in real Chromium, as a newcomer uses it after `npm run demo`:
 * pick a demo customer, ask for the status of their requests, verify with the code shown in
 * the page's OTP panel, and read the answer. The whole app runs in this process (ROLE=all).
 */

const ARTIFACTS = new URL('../artifacts/', import.meta.url);
const SITI = { name: 'Siti Wulandari', customerNo: 'SJ-000001', typed: '0812-8761-1943' };
const WAIT = 15_000;

let t: TestApp;
let browser: Browser;
let page: Page;

/** Types a message in the chat box and sends it with Enter, as a person would. */
async function type(text: string): Promise<void> {
  await page.locator('#text').fill(text);
  await page.locator('#text').press('Enter');
}

/** Waits for the latest bot bubble containing `part`. */
async function botSays(part: string | RegExp) {
  const bubble = page.locator('.msg.bot', { hasText: part }).last();
  await bubble.waitFor({ state: 'visible', timeout: WAIT });
  return bubble;
}

beforeAll(async () => {
  // The browser starts while the app does: both take seconds on a busy machine.
  const launching = launchChromium();
  try {
    t = await startTestApp({ WEBCHAT_ENABLED: 'true', OTP_PROVIDER: 'console' });
    await seedDemo(t.ctx.models);
  } finally {
    browser = await launching;
  }
  page = await browser.newPage({ viewport: { width: 1200, height: 820 }, locale: 'id-ID' });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

describe('the local web chat in Chromium', () => {
  it('verifies Siti with the code from the OTP panel and shows her requests', async () => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${t.baseUrl}/chat`);
    await expect(page.title()).resolves.toContain('web chat');

    // Pick Siti among the demo customers.
    const siti = page.locator('.customer', { hasText: SITI.customerNo });
    await siti.waitFor({ timeout: WAIT });
    await expect(siti.textContent()).resolves.toContain(SITI.name);
    await siti.click();
    await expect(siti.getAttribute('class')).resolves.toContain('active');

    await type('status');
    // A first message is welcomed, then the number is asked for (with a share-contact button).
    await botSays('Halo!');
    const ask = await botSays('nomor HP yang terdaftar');
    await expect(ask.locator('button').textContent()).resolves.toContain('Bagikan nomor saya');

    await type(SITI.typed);
    await botSays('kode 6 angka');
    // The development OTP panel beside the chat shows the code (masked number, no full phone).
    const codeCell = page.locator('#otp .code').first();
    await codeCell.waitFor({ timeout: WAIT });
    const code = (await codeCell.textContent())?.trim() ?? '';
    expect(code).toMatch(/^\d{6}$/);
    await expect(page.locator('#otp').textContent()).resolves.toMatch(/\*{4}943/);

    await type(code);
    await botSays('sudah terverifikasi');
    const answer = await botSays(/Permintaan Anda|Tidak ada permintaan/);
    await expect(answer.textContent()).resolves.toMatch(/Permintaan Anda|Tidak ada permintaan/);
    // The customer's own words are on the right, in order.
    const mine = await page.locator('.msg.me').allTextContents();
    expect(mine).toEqual(['status', SITI.typed, code]);

    // Let the last bubbles settle (the menu follows "none"), then keep a picture for people.
    await page.waitForTimeout(800);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('webchat.png', ARTIFACTS).pathname, fullPage: false });
    expect(errors).toEqual([]);
  });

  it('a menu button works by click, and an old one says the menu expired', async () => {
    const before = await page.locator('.msg.bot').count();
    // The newest menu has "Kebijakan data": a click answers with the policy summary.
    const menu = page.locator('.msg.bot', { hasText: 'Apa yang ingin Anda lakukan' }).last();
    await menu.locator('button', { hasText: 'Kebijakan data' }).click();
    await botSays('Ringkasan Kebijakan Data Pelanggan');
    // The older "Kirim ulang kode" button belongs to a finished step.
    await page.locator('.msg.bot button', { hasText: 'Kirim ulang kode' }).first().click();
    await botSays('menu lama');
    expect(await page.locator('.msg.bot').count()).toBeGreaterThan(before + 2);
  });

  it('an access request arrives as two downloadable documents', async () => {
    await type('akses');
    const confirm = await botSays('dua dokumen');
    await confirm.locator('button', { hasText: 'Ya' }).click();
    await botSays('Dokumen data Anda akan dikirim');
    const pdf = page.locator('.msg.doc a[download="data-saya.pdf"]');
    const json = page.locator('.msg.doc a[download="data-saya.json"]');
    await pdf.waitFor({ timeout: WAIT });
    await json.waitFor({ timeout: WAIT });
    // The links carry the files themselves: a PDF, and JSON naming the customer.
    const pdfHref = (await pdf.getAttribute('href')) ?? '';
    expect(pdfHref.startsWith('data:application/pdf;base64,')).toBe(true);
    expect(
      Buffer.from(pdfHref.split(',')[1] ?? '', 'base64')
        .subarray(0, 4)
        .toString('latin1'),
    ).toBe('%PDF');
    const jsonHref = (await json.getAttribute('href')) ?? '';
    expect(Buffer.from(jsonHref.split(',')[1] ?? '', 'base64').toString('utf8')).toContain(SITI.customerNo);
    await page.screenshot({ path: new URL('webchat-documents.png', ARTIFACTS).pathname });
  });
});
