import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../src/admin/server.js';
import { loadAppConfig } from '../../src/app/settings.js';
import { type RunningApp, startApp } from '../../src/app/start.js';
import { replyDedupeKey } from '../../src/gateway/component.js';
import { readDevOtpOutbox } from '../../src/identity/otp-providers/index.js';
import { createMetrics, stateLabel } from '../../src/metrics/metrics.js';
import { OVERDUE_CACHE_MS, overdueSource, queueDepthSource } from '../../src/metrics/sources.js';
import { createOutbox } from '../../src/outbound/outbox.js';
import { defaultPartitions, outboundQueueName, partitionOf } from '../../src/outbound/queues.js';
import { createRequestReadModel } from '../../src/requests/index.js';
import { newRef } from '../../src/requests/ref.js';
import { seedDemo } from '../../src/seed/seed.js';
import { freePort } from '../../src/services/processes.js';
import { runningQueueNames } from '../../src/workers/queue-names.js';
import { FakeTelegramBotApi, type SentMessage } from '../fakes/telegram-bot-api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { captureLogger, createTestContext } from '../helpers/context.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * /metrics of the whole app (ROLE=all) after a Telegram customer's full journey: every figure
 * the operator's alerts read is there and counts what happened, every name starts with
 * `hakdata_`, and no label or line holds anything personal. Then the silent channel the metrics
 * exist for: a reply skipped as a duplicate leaves its message unanswered in the figures.
 */

const TOKEN = 'test-metrics-token-0123456789';
const SITI = {
  userId: 7101,
  customerNo: 'SJ-000001',
  name: 'Siti Wulandari',
  phone: '+6281287611943',
  email: 'siti.wulandari@contoh.id',
  address: 'Jl. Kemang Raya No. 12, Jakarta Selatan 12730',
};
const WAIT = { timeoutMs: 20_000 };

let t: TestApp;
let fake: FakeTelegramBotApi;
const codesSeen: string[] = [];

const includes = (part: string) => (m: SentMessage) =>
  (m.text ?? m.caption ?? '').toLowerCase().includes(part.toLowerCase());

async function send(text: string, expectPart: string): Promise<SentMessage> {
  const after = fake.callCount;
  fake.userSends(SITI.userId, text);
  return fake.waitForMessage(SITI.userId, includes(expectPart), { ...WAIT, after });
}

async function scrape(headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  return fetch(`${t.baseUrl}/metrics`, { headers });
}

async function metricsText(): Promise<string> {
  const res = await scrape();
  expect(res.status).toBe(200);
  return res.text();
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The exposition format's sample lines: `name{a="b",…} value`. */
function samples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
        if (k !== undefined) labels[k] = v ?? '';
      return { name: m[1] ?? '', labels, value: Number(m[3]) };
    });
}

/** Sum of the samples of `name` whose labels include `labels`. */
function total(text: string, name: string, labels: Record<string, string> = {}): number {
  return samples(text)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

async function latestCode(notBefore: number): Promise<string> {
  const entry = await pollUntil(
    'a development code for Siti',
    async () =>
      (await readDevOtpOutbox(t.ctx)).find(
        (e) => e.phoneLast4 === SITI.phone.slice(-4) && Date.parse(e.at) >= notBefore - 1000,
      ),
    WAIT,
  );
  codesSeen.push(entry.code);
  return entry.code;
}

/** Inbound messages that had replies, and those whose first reply was delivered. */
const answered = (text: string) => ({
  replied: total(text, 'hakdata_inbound_messages_total', { channel: 'telegram', outcome: 'replied' }),
  answered: total(text, 'hakdata_reply_latency_seconds_count', { channel: 'telegram' }),
});

beforeAll(async () => {
  fake = await FakeTelegramBotApi.start({ maxPollSeconds: 1 });
  t = await startTestApp({
    ...fake.env,
    OTP_PROVIDER: 'console',
    WEBCHAT_ENABLED: 'false',
    METRICS_TOKEN: TOKEN,
  });
  await seedDemo(t.ctx.models);
  await fake.waitForCall('getUpdates', () => true, WAIT);
}, 60_000);

afterAll(async () => {
  await t?.stop();
  await fake?.close();
});

describe('/metrics (admin server, ROLE=all)', () => {
  it('refuses a scrape without the bearer token, or with a wrong one', async () => {
    const none = await scrape({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await scrape({ authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await scrape({ authorization: `Basic ${TOKEN}` })).status).toBe(401);
    expect(t.appLogLines.some((l) => l.includes('metrics scrape refused'))).toBe(true);
  });

  it('counts a full journey: inbound, replies, OTP, the request, queues, the channel', async () => {
    await send('akses', 'nomor HP');
    const sharedAt = Date.now();
    let after = fake.callCount;
    fake.shareContact(SITI.userId, SITI.phone.slice(1));
    await fake.waitForMessage(SITI.userId, includes('kode 6 angka'), { ...WAIT, after });
    // One wrong code, then the right one.
    await send('000000', 'tidak cocok');
    const code = await latestCode(sharedAt);
    after = fake.callCount;
    fake.userSends(SITI.userId, code);
    await fake.waitForMessage(SITI.userId, includes('dua dokumen'), { ...WAIT, after });
    after = fake.callCount;
    fake.pressButton(SITI.userId, { label: 'Ya' });
    await fake.waitForMessage(SITI.userId, (m) => m.document?.fileName === 'data-saya.pdf', {
      ...WAIT,
      after,
    });
    await send('STOP', 'promosi');

    // Every inbound message that had replies has its first reply delivered: the ratio is 1.
    const text = await pollUntil(
      'every answered message counted',
      async () => {
        const body = await metricsText();
        const { replied, answered: done } = answered(body);
        return replied >= 6 && done === replied && body;
      },
      {
        ...WAIT,
        explain: async () => JSON.stringify(answered(await metricsText())),
      },
    );

    expect(
      total(text, 'hakdata_outbound_sent_total', { channel: 'telegram', purpose: 'reply' }),
    ).toBeGreaterThan(6);
    expect(
      total(text, 'hakdata_outbound_sent_total', { channel: 'telegram', purpose: 'notification' }),
    ).toBeGreaterThanOrEqual(1);
    expect(total(text, 'hakdata_otp_issued_total', { purpose: 'verify' })).toBe(1);
    expect(total(text, 'hakdata_otp_refused_total', { reason: 'wrong' })).toBe(1);
    expect(total(text, 'hakdata_otp_verified_total', { purpose: 'verify' })).toBe(1);
    expect(total(text, 'hakdata_otp_deliveries_total', { provider: 'console', result: 'delivered' })).toBe(1);
    expect(total(text, 'hakdata_requests_created_total', { type: 'access', status: 'queued' })).toBe(1);
    expect(total(text, 'hakdata_requests_created_total', { type: 'unsubscribe' })).toBe(1);
    await pollUntil(
      'both requests finished',
      async () =>
        total(await metricsText(), 'hakdata_requests_finished_total', { outcome: 'completed' }) === 2,
      WAIT,
    );
    const closed = await metricsText();
    expect(total(closed, 'hakdata_request_completion_seconds_count', { type: 'access' })).toBe(1);
    expect(
      total(closed, 'hakdata_request_job_duration_seconds_count', { type: 'access', result: 'completed' }),
    ).toBe(1);
    // Read at scrape time: the queues of this configuration, overdue requests, the channel.
    for (const state of ['waiting', 'active', 'delayed', 'failed'])
      expect(samples(closed).some((s) => s.name === 'hakdata_queue_jobs' && s.labels.state === state)).toBe(
        true,
      );
    expect(
      samples(closed).find((s) => s.name === 'hakdata_queue_jobs' && s.labels.queue === 'requests'),
    ).toBeDefined();
    expect(total(closed, 'hakdata_requests_overdue', { type: 'access' })).toBe(0);
    expect(samples(closed).some((s) => s.name === 'hakdata_requests_overdue')).toBe(true);
    expect(total(closed, 'hakdata_channel_up', { channel: 'telegram' })).toBe(1);
    expect(total(closed, 'hakdata_channel_state', { channel: 'telegram', state: 'polling' })).toBe(1);
    expect(total(closed, 'hakdata_metrics_collect_errors_total')).toBe(0);
  });

  it('names every metric hakdata_…, and no label or line holds a personal value', async () => {
    const text = await metricsText();
    const all = samples(text);
    expect(all.length).toBeGreaterThan(50);
    for (const s of all) expect(s.name, s.name).toMatch(/^hakdata_/);

    const digits = SITI.phone.slice(1);
    const refs = (await t.ctx.models.PrivacyRequest.find({}, { ref: 1 }).lean()).map((r) => r.ref);
    expect(codesSeen.length).toBe(1);
    const needles = [
      SITI.name,
      ...SITI.name.split(' '),
      SITI.phone,
      digits,
      `0${digits.slice(2)}`,
      SITI.email,
      SITI.address,
      SITI.customerNo,
      ...refs,
    ];
    for (const needle of needles) expect(text, needle).not.toContain(needle);
    // Numbers (chat id, code) could occur inside a figure by chance: no label value holds them.
    const values = all.flatMap((s) => Object.values(s.labels));
    for (const needle of [String(SITI.userId), ...codesSeen, digits])
      expect(
        values.filter((v) => v.includes(needle)),
        needle,
      ).toEqual([]);
  });

  it('shows a silent channel: a reply skipped as a duplicate leaves its message unanswered', async () => {
    // The old collision: something already queued under the dedupe key of the next message's reply.
    const chat = String(SITI.userId);
    // The chat's partition stays paused until the skip is seen: were the message already queued
    // sent first, it would take the chat's next message id (ids are per chat, bot's and user's alike).
    const partition = new Queue(
      outboundQueueName('telegram', partitionOf(chat, defaultPartitions('telegram'))),
      {
        connection: t.app.ctx.redis,
        prefix: t.app.ctx.config.redisPrefix,
      },
    );
    await partition.pause();
    const next = fake.nextMessageIdFor(chat);
    const outbox = createOutbox(t.app.ctx);
    try {
      await outbox.send('telegram', chat, [{ kind: 'text', text: 'already queued' }], {
        purpose: 'notification',
        dedupeKey: replyDedupeKey({ channel: 'telegram', messageKey: `${chat}:${next}` }),
      });
    } finally {
      await outbox.close();
    }
    const before = answered(await metricsText());
    expect(before.answered).toBe(before.replied);

    const id = fake.userSends(SITI.userId, 'menu');
    expect(id).toBe(next);
    const text = await pollUntil(
      'the skipped reply counted',
      async () => {
        const body = await metricsText();
        return (
          total(body, 'hakdata_outbound_duplicates_skipped_total', {
            channel: 'telegram',
            purpose: 'reply',
          }) >= 1 && body
        );
      },
      WAIT,
    ).finally(async () => {
      await partition.resume();
      await partition.close();
    });
    const now = answered(text);
    expect(now.replied).toBe(before.replied + 1);
    expect(now.answered).toBe(before.answered);
  });

  it('without METRICS_TOKEN, answers direct internal connections only, never through a proxy', async () => {
    const app = await buildAdminServer({
      ...t.app.ctx,
      config: { ...t.app.ctx.config, metrics: { ...t.app.ctx.config.metrics, token: undefined } },
    });
    try {
      const local = await app.inject({ url: '/metrics', remoteAddress: '127.0.0.1' });
      expect(local.statusCode).toBe(200);
      expect(local.headers['content-type']).toMatch(/^text\/plain/);
      expect((await app.inject({ url: '/metrics', remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
      expect((await app.inject({ url: '/metrics', remoteAddress: '203.0.113.9' })).statusCode).toBe(403);
      const proxied = await app.inject({
        url: '/metrics',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': '203.0.113.9' },
      });
      expect(proxied.statusCode).toBe(403);
    } finally {
      await app.close();
    }
  });

  it('answers within 2 s when Redis does not: queue depth left out, the failed read counted', async () => {
    // A client pointed at a port where nothing listens: Redis down. ioredis holds its commands.
    const deadRedis = new Redis(await freePort(), '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: null,
    });
    deadRedis.on('error', () => {});
    const metrics = createMetrics();
    const depth = queueDepthSource({ ...t.app.ctx, redis: deadRedis }, runningQueueNames(t.app.ctx));
    metrics.watchQueues(depth.read);
    try {
      const started = Date.now();
      const first = await metrics.registry.metrics();
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(samples(first).some((s) => s.name === 'hakdata_queue_jobs')).toBe(false);
      const second = await metrics.registry.metrics();
      expect(
        total(second, 'hakdata_metrics_collect_errors_total', { source: 'queues' }),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      deadRedis.disconnect();
      await depth.close();
    }
  });

  it('counts open requests past due with one query reused for 30 s', async () => {
    const past = new Date(Date.now() - 3_600_000);
    const overdue = (type: string, status: string) => ({
      ref: newRef(),
      type,
      channel: 'telegram',
      chatId: '1',
      locale: 'id',
      status,
      flags: [],
      dueAt: past,
      reminders: [],
      history: [],
      createdAt: past,
    });
    await t.ctx.models.PrivacyRequest.create([
      overdue('erase', 'pending_approval'),
      overdue('erase', 'completed'),
    ]);
    let now = Date.now();
    const read = overdueSource(createRequestReadModel(t.ctx.models).overdueTypes, () => now);
    // Only the open one counts; every type is there, at 0 when none is overdue.
    expect(await read()).toMatchObject({ erase: 1, access: 0, update: 0, unsubscribe: 0 });
    await t.ctx.models.PrivacyRequest.create(overdue('update', 'pending_approval'));
    now += OVERDUE_CACHE_MS - 1_000;
    expect((await read()).update).toBe(0);
    now += 2_000;
    expect(await read()).toMatchObject({ erase: 1, update: 1 });
  });

  it('a channel state becomes a label without the detail after its colon', () => {
    expect(stateLabel('down: Bot API unreachable')).toBe('down');
    expect(stateLabel('waiting for QR scan')).toBe('waiting_for_qr_scan');
    expect(stateLabel('polling')).toBe('polling');
    expect(stateLabel('+62 812')).toBe('other');
  });
});

describe('/metrics of a gateway or worker process without the admin role (METRICS_PORT)', () => {
  it.each(['worker', 'gateway'] as const)('a %s serves it on its own port and only there', async (role) => {
    // The web chat is on outside production: the gateway's channel (no external service needed).
    const ctx = await createTestContext({ WEBCHAT_ENABLED: 'true' });
    const port = await freePort();
    const { logger } = captureLogger('info');
    let app: RunningApp | undefined;
    try {
      app = await startApp(
        loadAppConfig({ ...ctx.env, ROLE: role, METRICS_PORT: String(port), METRICS_TOKEN: TOKEN }),
        logger,
      );
      expect(app.components.map((c) => c.name)).toContain('metrics');
      expect(app.components.map((c) => c.name)).not.toContain('admin');
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(total(text, 'hakdata_queue_jobs', { queue: 'requests', state: 'waiting' })).toBe(0);
      expect(samples(text).some((s) => s.name === 'hakdata_process_resident_memory_bytes')).toBe(true);
      // Channel health comes from the process that holds the channels: the gateway.
      const webchatUp = samples(text).find(
        (s) => s.name === 'hakdata_channel_up' && s.labels.channel === 'webchat',
      );
      if (role === 'gateway') expect(webchatUp?.value).toBe(1);
      else expect(webchatUp).toBeUndefined();
      // Its health, beside /metrics: the container's health check asks this port in this role.
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready' });
      for (const path of ['/healthz', '/readyz']) {
        // Asynchronously: this process serves the port the script asks.
        const check = await promisify(execFile)(process.execPath, ['deploy/healthcheck.mjs', path], {
          env: { PATH: process.env.PATH, ROLE: role, METRICS_PORT: String(port), ADMIN_PORT: '1' },
        }).then(
          ({ stderr }) => ({ path, status: 0, stderr }),
          (err: { code?: number; stderr?: string }) => ({ path, status: err.code, stderr: err.stderr }),
        );
        expect(check).toEqual({ path, status: 0, stderr: '' });
      }
    } finally {
      await app?.stop();
      await ctx.cleanup();
    }
  });
});
