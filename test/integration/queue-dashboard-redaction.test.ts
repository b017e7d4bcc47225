import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../src/admin/server.js';
import { createOutbox, type OutboxHandle } from '../../src/outbound/outbox.js';
import { outboundQueueName, partitionOf } from '../../src/outbound/queues.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { addStaff, type Browser, signIn } from './console-kit.js';

/**
 * The queue dashboard as an admin reads it (bull-board's own API behind the console): a queued
 * message with personal text and a document shows its masked chat, kind and purpose, and nothing
 * of the message, in the job list and in the job's detail.
 */

const CHAT = 'web-dashboard-chat-01';
const PERSONAL = ['Dewi Lestari Anggraini', 'dewi.baru@contoh.co.id', 'Jl. Anggrek 9', CHAT];

let ctx: TestContext;
let app: FastifyInstance;
let outbox: OutboxHandle;
let admin: Browser;

beforeAll(async () => {
  ctx = await createTestContext({ WEBCHAT_ENABLED: 'true' });
  app = await buildAdminServer(ctx);
  outbox = createOutbox(ctx);
  admin = (await signIn(app, 'kepala', await addStaff(ctx, 'kepala', 'admin'))).b;
});
afterAll(async () => {
  await outbox.close();
  await app.close();
  await ctx.cleanup();
});

describe('queue dashboard', () => {
  it('shows outbound jobs redacted: masked chat, kind, purpose, never the message', async () => {
    const document = Buffer.from(JSON.stringify({ name: PERSONAL[0], address: PERSONAL[2] })).toString(
      'base64',
    );
    await outbox.send(
      'webchat',
      CHAT,
      [
        { kind: 'text', text: `Halo ${PERSONAL[0]}, data baru: ${PERSONAL[1]}` },
        {
          kind: 'document',
          fileName: 'data-saya.json',
          mimeType: 'application/json',
          contentBase64: document,
        },
      ],
      { purpose: 'notification', requestRef: 'PR-DASH01' },
    );
    const queue = outboundQueueName('webchat', partitionOf(CHAT, 8));
    const list = await admin.get(
      `/console/queues/api/queues?activeQueue=${queue}&status=waiting&page=1&jobsPerPage=10`,
    );
    expect(list.statusCode).toBe(200);
    const body = list.body;
    expect(body).toContain('PR-DASH01');
    expect(body).toContain('we****01');
    for (const value of PERSONAL) expect(body).not.toContain(value);
    expect(body).not.toContain(document);
    expect(body).not.toContain('sealed');

    const jobs = (
      list.json() as { queues: { name: string; jobs: { id: string; data: unknown }[] }[] }
    ).queues.find((q) => q.name === queue)?.jobs;
    expect(jobs).toHaveLength(2);
    expect(jobs?.map((j) => j.data)).toEqual([
      expect.objectContaining({ kind: 'document', maskedChat: 'we****01', meta: expect.any(Object) }),
      expect.objectContaining({ kind: 'text', maskedChat: 'we****01' }),
    ]);
    const detail = await admin.get(`/console/queues/api/queues/${queue}/${jobs?.[0]?.id}`);
    expect(detail.statusCode).toBe(200);
    for (const value of PERSONAL) expect(detail.body).not.toContain(value);
    expect(detail.body).not.toContain('sealed');
  });
});
