import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbox } from '../../src/outbound/outbox.js';
import { createRequestService } from '../../src/requests/service.js';
import { seedDemo } from '../../src/seed/seed.js';
import { ensureDemoAdmin } from '../../src/staff/accounts.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { launchChromium } from '../helpers/browser.js';

/**
 * The staff console in real Chromium, with the whole app running in this process (ROLE=all):
 * sign in as the demo admin, find Budi's flagged erasure in the queue, approve it, wait for the
 * erase worker, and see Budi anonymized on the customer page.
 */

const ARTIFACTS = new URL('../artifacts/', import.meta.url);
const BUDI = { no: 'SJ-000002', name: 'Budi Santoso' };
const WAIT = 15_000;

let t: TestApp;
let browser: Browser;
let page: Page;
let login: { username: string; password: string };
let ref: string;
const problems: string[] = [];

beforeAll(async () => {
  // Chromium starts while the app does: both take seconds on a busy machine.
  const launching = launchChromium();
  try {
    t = await startTestApp({ WEBCHAT_ENABLED: 'true' });
    await seedDemo(t.ctx.models);
    const admin = await ensureDemoAdmin(t.ctx);
    login = { username: admin.username, password: admin.password ?? '' };
    const customer = await t.ctx.models.Customer.findOne({ customerNo: BUDI.no }).lean();
    const outbox = createOutbox(t.ctx);
    const requests = createRequestService(t.ctx, { outbox });
    try {
      const created = await requests.create({
        type: 'erase',
        customerId: String(customer?._id),
        channel: 'webchat',
        chatId: 'console-e2e-budi',
        locale: 'id',
      });
      ref = created.ref;
      expect(created.status).toBe('pending_approval');
    } finally {
      await requests.close();
      await outbox.close();
    }
  } finally {
    browser = await launching;
  }
  page = await browser.newPage({ viewport: { width: 1200, height: 860 }, locale: 'id-ID' });
  // Anything the CSP blocks or the page script throws shows up here.
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  // The approve form asks "are you sure?" for an erasure; a person says yes.
  page.on('dialog', (d) => void d.accept());
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

describe('the staff console in Chromium', () => {
  it('signs in, approves a flagged erasure, and shows the customer anonymized', async () => {
    // Not signed in: the console sends us to the login page.
    await page.goto(`${t.baseUrl}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await page.getByLabel('Nama pengguna').fill(login.username);
    await page.getByLabel('Kata sandi').fill(login.password);
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.waitForURL(/\/console\/requests/, { timeout: WAIT });

    // The flagged erasure waits in the queue, with its flags and a live countdown.
    const row = page.locator(`tr[data-ref="${ref}"]`);
    await row.waitFor({ timeout: WAIT });
    await expect(row.textContent()).resolves.toContain('Menunggu persetujuan');
    await expect(row.textContent()).resolves.toContain('OPEN_ORDER');
    await expect(row.locator('[data-due]').textContent()).resolves.toMatch(/^sisa \d+ hari/);

    // Detail, then approve.
    await row.getByRole('link', { name: ref }).click();
    await page.waitForURL(new RegExp(`/console/requests/${ref}$`), { timeout: WAIT });
    await expect(page.locator('main').textContent()).resolves.toContain('UNPAID_ORDER');
    await page.locator('#approve').click();
    await page.waitForURL(/notice=approved/, { timeout: WAIT });
    await expect(page.locator('.notice').textContent()).resolves.toContain('disetujui');

    // The worker erases Budi; the detail page then says so.
    const deadline = Date.now() + 20_000;
    let status = '';
    while (Date.now() < deadline) {
      status = (await t.ctx.models.PrivacyRequest.findOne({ ref }, { status: 1 }).lean())?.status ?? '';
      if (status === 'completed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe('completed');
    await page.reload();
    await expect(page.locator('#status').textContent()).resolves.toBe('Selesai');
    await expect(page.locator('body').textContent()).resolves.toContain('staff:admin');

    // The customer page: anonymized, nothing to show.
    await page.getByRole('link', { name: BUDI.no }).first().click();
    await page.waitForURL(new RegExp(`/console/customers/${BUDI.no}$`), { timeout: WAIT });
    await page.locator('#erased').waitFor({ timeout: WAIT });
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('telah dihapus (dianonimkan)');
    expect(text).not.toContain('Budi');
    expect(await page.locator('#reveal').count()).toBe(0);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('console.png', ARTIFACTS).pathname, fullPage: true });

    // The audit log tells the whole story of the request, newest first.
    await page.goto(`${t.baseUrl}/console/audit?ref=${ref}`);
    const actions = await page.locator('#audit td[data-label="Tindakan"]').allTextContents();
    expect(actions).toEqual(expect.arrayContaining(['request.created', 'request.status', 'customer.erased']));
    const actors = await page.locator('#audit td[data-label="Pelaku"]').allTextContents();
    expect(actors).toEqual(expect.arrayContaining(['customer', 'staff:admin', 'system:erase-worker']));

    // The queue dashboard renders behind the same sign-in, within its CSP.
    await page.goto(`${t.baseUrl}/console/queues/`);
    await page.getByText('requests', { exact: true }).first().waitFor({ timeout: WAIT });

    // On a phone: the queue in English, one card per request, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${t.baseUrl}/console/requests?status=all&lang=en`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Request queue');
    // A string: the test's TypeScript has no DOM types.
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: new URL('console-phone.png', ARTIFACTS).pathname, fullPage: true });

    // bull-board asks Google for its fonts; the CSP keeps staff browsers from calling third parties.
    expect(problems.filter((p) => !p.includes('fonts.googleapis.com'))).toEqual([]);
  }, 60_000);
});
