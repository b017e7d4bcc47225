import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Component } from '../../src/app/component.js';
import type { InboundMessage, OutboundMessage } from '../../src/channels/types.js';
import { ConversationEngine, flowCatalog } from '../../src/conversation/engine.js';
import { loadFlows } from '../../src/conversation/flow-loader.js';
import { FLOWS_DIR } from '../../src/conversation/runtime.js';
import { linkChat } from '../../src/identity/links.js';
import { createOtpService } from '../../src/identity/otp.js';
import { createConsoleOtpProvider } from '../../src/identity/otp-providers/index.js';
import { createOutbox, type OutboxHandle } from '../../src/outbound/outbox.js';
import { createRequestQueue, type RequestQueue } from '../../src/requests/queue.js';
import { createRequestService } from '../../src/requests/service.js';
import { createRequestWorkers } from '../../src/workers/requests-component.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { exactlyOnceReport, seedManyCustomers, waitFor } from './fixtures/audit.js';
import { type OwnServer, ownFerretdb } from './fixtures/servers.js';

/**
 * The MongoDB-wire server stops for 10 s while requests run and customers chat. Jobs caught by
 * it fail and retry with backoff, or wait in mongoose's buffer (which gives up after 10 s); when
 * the server is back every request completes exactly once. Meanwhile the bot answers a customer
 * with the "engine.error" sentence (a delay, try again) instead of crashing, and answers normally
 * again afterwards; a status list already in the Redis cache is still shown. The test runs its
 * own FerretDB; the shared one is never touched.
 */
// Enough that work is still in flight when the server stops (stopping FerretDB takes ~3 s).
const REQUESTS = 200;
const OUTAGE_MS = 10_000;

const flows = loadFlows(FLOWS_DIR, flowCatalog());
const DELAY_SENTENCE = flows.locales.id.get('engine.error') ?? '';
// A typed `status` is answered with what the bot understood in front of its first reply.
const STATUS_UNDERSTOOD = flows.locales.id.get('understood.status') ?? '';

let mongo: OwnServer;
let ctx: TestContext;
let queue: RequestQueue;
let outbox: OutboxHandle;
let workers: Component;

beforeAll(async () => {
  mongo = await ownFerretdb();
  ctx = await createTestContext({ MONGODB_URI: `${mongo.url}/outage`, LOG_LEVEL: 'warn' });
  queue = createRequestQueue(ctx, { backoffMs: 1_000 });
  outbox = createOutbox(ctx);
  // Production retry policy, with a 1 s first backoff (production: 5 s) to keep the test short.
  workers = createRequestWorkers(ctx, { outbox, backoffMs: 1_000, reconcileEveryMs: 3_000 });
}, 120_000);
afterAll(async () => {
  await workers?.stop();
  await outbox?.close();
  await queue?.close();
  await ctx?.cleanup();
  await mongo?.dispose();
});

let messageNo = 0;
const says = (chatId: string, text: string): InboundMessage => ({
  channel: 'telegram',
  chatId,
  senderId: chatId,
  messageId: `outage-${++messageNo}`,
  messageKey: `${chatId}:outage-${messageNo}`,
  receivedAt: new Date(),
  text,
});
const status = (chatId: string) => says(chatId, 'status');
const texts = (replies: OutboundMessage[]) => replies.map((r) => ('text' in r ? r.text : ''));

describe('MongoDB-wire server stopped for 10 s', () => {
  it(
    'jobs retry and complete; the bot tells of a delay instead of crashing',
    async () => {
      expect(DELAY_SENTENCE.length).toBeGreaterThan(20);
      expect(STATUS_UNDERSTOOD.length).toBeGreaterThan(10);
      const customers = await seedManyCustomers(ctx, REQUESTS + 2, 72);
      const service = createRequestService(ctx, { outbox, queue });
      const otp = createOtpService(ctx, createConsoleOtpProvider(ctx));
      const engine = new ConversationEngine(ctx, { otp, requests: service }, flows);
      // Two verified customers who will ask for the status during the outage: one asked before
      // (the list is in Redis), one asks for the first time (it needs MongoDB).
      const chat = 'outage-chat';
      const asked = 'outage-chat-asked';
      await linkChat(ctx, 'telegram', chat, String(customers[REQUESTS]));
      await linkChat(ctx, 'telegram', asked, String(customers[REQUESTS + 1]));
      await engine.handle(says(chat, 'menu'));
      await engine.handle(status(asked));
      const before = await engine.handle(status(asked));

      // When the driver last checked the server: a monitor stuck in a heartbeat that never ends
      // leaves the server Unknown, and every read fails, long after MongoDB is back
      // (db/monitor-watchdog.ts). Said if the wait below times out.
      let lastHeartbeat = Date.now();
      for (const event of ['serverHeartbeatSucceeded', 'serverHeartbeatFailed'] as const)
        ctx.mongo.getClient().on(event, () => {
          lastHeartbeat = Date.now();
        });
      const refs: string[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const created = await service.create({
          type: 'unsubscribe',
          customerId: String(customers[i]),
          channel: 'telegram',
          chatId: `outage-${i}`,
          locale: 'id',
          proof: { words: 'stop' },
        });
        refs.push(created.ref);
      }
      await workers.start();
      await waitFor(
        'some requests to complete',
        async () => (await ctx.models.PrivacyRequest.countDocuments({ status: 'completed' })) >= 3,
        120_000,
      );

      const openAtStop = await ctx.models.PrivacyRequest.countDocuments({
        status: { $in: ['queued', 'processing'] },
      });
      await mongo.stop();
      const stoppedAt = Date.now();
      const duringOutage = await engine.handle(status(chat));
      const answeredInMs = Date.now() - stoppedAt;
      const cachedDuringOutage = await engine.handle(status(asked));
      await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt))));
      await mongo.start();

      await waitFor(
        'every request to complete with its audit events written',
        async () =>
          // The test's own reads may meet a connection the outage closed: asked again. A close
          // whose event insert met the outage leaves its mark; the job's retry or the reconciler
          // writes them.
          (await ctx.models.PrivacyRequest.countDocuments({
            $or: [{ status: { $in: ['queued', 'processing'] } }, { auditPending: true }],
          }).catch(() => -1)) === 0,
        4 * 60_000,
        async () => {
          // After the outage a read may still meet a closed connection: the timeout is the news.
          const open = await ctx.models.PrivacyRequest.find(
            { $or: [{ status: { $in: ['queued', 'processing'] } }, { auditPending: true }] },
            { ref: 1, status: 1, attempts: 1 },
          )
            .lean()
            .catch((err: Error) => err);
          if (open instanceof Error)
            return `open requests unreadable (${open.message}); the driver's last heartbeat ended ${Math.round((Date.now() - lastHeartbeat) / 1000)} s ago`;
          const states = await Promise.all(
            open
              .slice(0, 5)
              .map(async (r) => `${r.ref} ${r.status}: job ${await (await queue.getJob(r.ref))?.getState()}`),
          );
          return `${open.length} open (${states.join('; ')}); queue ${JSON.stringify(await queue.getJobCounts())}`;
        },
      );
      const after = await engine.handle(status(chat));
      const report = await exactlyOnceReport(ctx, refs);
      const jobs = await Promise.all(refs.map((ref) => queue.getJob(ref)));
      // attemptsMade counts the successful attempt too.
      const retried = jobs.filter((j) => (j?.attemptsMade ?? 0) > 1).length;
      // Work the outage caught: jobs that finished only once the server was back, half the outage or
      // more after it stopped (a job takes well under a second otherwise). Their writes failed and
      // were retried, or waited in mongoose's buffer, which gives up after 10 s. BullMQ's finishing
      // time (in Redis) says when; a history entry has the time its write was issued.
      const finishedAfter = jobs.filter((j) => (j?.finishedOn ?? 0) >= stoppedAt + OUTAGE_MS / 2).length;
      const monitorRestarts = ctx.logLines.filter((l) =>
        l.includes('MongoDB server monitor was stuck'),
      ).length;
      console.warn(
        `[reliability] MongoDB down ${OUTAGE_MS / 1000} s with ${openAtStop} of ${REQUESTS} requests open: the bot answered in ${Math.round(answeredInMs / 1000)} s with the delay sentence (from the Redis cache where it could); ${finishedAfter} completed after it returned, ${retried} of them through a retry; the driver's stuck server monitor was restarted ${monitorRestarts} times`,
      );
      expect(openAtStop).toBeGreaterThan(0);
      expect(finishedAfter).toBeGreaterThan(0);

      expect(texts(duringOutage)).toEqual([`${STATUS_UNDERSTOOD} ${DELAY_SENTENCE}`]);
      expect(texts(cachedDuringOutage)).toEqual(texts(before));
      expect(texts(before).join('\n')).not.toContain(DELAY_SENTENCE);
      expect(texts(after).join('\n')).not.toContain(DELAY_SENTENCE);
      expect(after.length).toBeGreaterThan(0);
      expect(report.requests).toBe(REQUESTS);
      expect(report.notCompleted).toEqual([]);
      expect(report.wrongEvents).toEqual([]);
      expect(report.wrongConsent).toEqual([]);
      await otp.drain();
    },
    8 * 60_000,
  );
});
