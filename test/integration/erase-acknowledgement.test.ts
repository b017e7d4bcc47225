import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/channels/types.js';
import { appendReply, repliesAfter } from '../../src/channels/webchat/store.js';
import { loadLocales, translator } from '../../src/conversation/locales.js';
import { createOutbox } from '../../src/outbound/outbox.js';
import { erasureKeeps } from '../../src/workers/erase-keeps.js';
import { processRequest } from '../../src/workers/request-worker.js';
import { seedCustomer, workerTestKit } from '../fixtures/requests-kit.js';
import { describeHit, type Needle, sweepRedis } from '../helpers/store-sweep.js';

/**
 * An erase runs as soon as the request is queued, which is before the customer's page has read
 * the acknowledgement ("Permintaan penghapusan PR-… diterima"). The erase must not swallow it:
 * the web chat's replies lose everything personal (earlier replies, documents) and keep the
 * request's own words.
 */

const CHAT = 'web-erase-ack-0001';
const texts = loadLocales(join(process.cwd(), 'flows'));

const {
  ctx,
  service,
  deps,
  outbox: recorded,
  close,
} = await workerTestKit({ env: { MAX_REQUESTS_PER_DAY: '100' } });
// The real producer: messages rest sealed in the outbound queue (no sender runs in this file).
const outbox = createOutbox(ctx);
afterAll(async () => {
  await outbox.close();
  await close();
});

const shown = (m: OutboundMessage) => (m.kind === 'document' ? `[document ${m.fileName}]` : m.text);

describe('erase and the web chat replies not yet read', () => {
  it('keeps the acknowledgement of the erase and removes every reply holding personal data', async () => {
    const seeded = await seedCustomer(ctx);
    const customer = {
      _id: seeded._id,
      name: String(seeded.name),
      email: String(seeded.email),
      address: String(seeded.address),
      phone: String(seeded.phone),
    };
    const local = `0${customer.phone.slice(3)}`;
    const dashed = `${local.slice(0, 4)}-${local.slice(4, 8)}-${local.slice(8)}`;
    const newEmail = 'kartika.baru@contoh.id';
    // An earlier change of email: its request keeps the new value until the erase scrubs it.
    await service.create({
      type: 'update',
      customerId: String(customer._id),
      channel: 'webchat',
      chatId: CHAT,
      locale: 'id',
      changes: { email: newEmail },
    });
    const erase = await service.create({
      type: 'erase',
      customerId: String(customer._id),
      channel: 'webchat',
      chatId: CHAT,
      locale: 'id',
    });
    expect(erase.flagged).toBe(false);
    const ref = erase.ref;
    const t = translator(texts, 'id');

    // What the chat holds when the erase starts: the conversation so far, a document, and last the
    // acknowledgement of this erase, which the page has not read yet.
    await appendReply(ctx, CHAT, { kind: 'text', text: `Nomor ${dashed} terverifikasi, ${customer.name}.` });
    await appendReply(ctx, CHAT, { kind: 'text', text: `Data baru: ${newEmail}` });
    await appendReply(ctx, CHAT, {
      kind: 'document',
      fileName: 'data-saya.json',
      mimeType: 'application/json',
      contentBase64: Buffer.from(JSON.stringify({ address: customer.address })).toString('base64'),
      caption: `Permintaan ${ref}`,
    });
    // Names the ref, but quotes the number: not kept.
    await appendReply(ctx, CHAT, {
      kind: 'text',
      text: `${ref} — menunggu, nomor +62 ${customer.phone.slice(3)}`,
    });
    const ack = t('delete.queued', { ref });
    expect(ack).toContain(ref);
    await appendReply(ctx, CHAT, { kind: 'buttons', text: ack, buttons: [] });

    expect(await processRequest(ctx, deps, ref)).toBe('completed');

    expect((await repliesAfter(ctx, CHAT, 0)).map((r) => shown(r.message))).toEqual([ack]);
    const needles: Needle[] = [
      { label: 'name', value: customer.name },
      { label: 'email', value: customer.email },
      { label: 'new email', value: newEmail },
      { label: 'address', value: customer.address },
      { label: 'phone', value: customer.phone },
      { label: 'phone as typed', value: dashed },
      { label: 'phone national', value: local },
    ];
    const hits = await sweepRedis(ctx.redis, ctx.config.redisPrefix, needles);
    expect(hits.map(describeHit)).toEqual([]);
    const audit = await ctx.models.AuditEvent.findOne({ requestRef: ref, action: 'customer.erased' }).lean();
    expect(audit?.details).toMatchObject({ redis: { chatsForgottenByChannel: 1 } });
  });

  it('queues the acknowledgement again when the erase finds it still waiting to be sent', async () => {
    const seeded = await seedCustomer(ctx);
    const chat = 'web-erase-ack-0002';
    const erase = await service.create({
      type: 'erase',
      customerId: String(seeded._id),
      channel: 'webchat',
      chatId: chat,
      locale: 'id',
    });
    const ack = translator(texts, 'id')('delete.queued', { ref: erase.ref });
    // As the gateway queues them: an earlier reply quoting the customer, then the acknowledgement.
    await outbox.send('webchat', chat, [{ kind: 'text', text: `Halo ${seeded.name}` }], { purpose: 'reply' });
    await outbox.send('webchat', chat, [{ kind: 'text', text: ack }], {
      purpose: 'reply',
      dedupeKey: 'ack-2',
    });
    recorded.clear();

    expect(await processRequest(ctx, deps, erase.ref)).toBe('completed');

    // The acknowledgement goes again (before the outcome), the other message is gone for good.
    expect(recorded.textsTo(chat)[0]).toBe(ack);
    expect(recorded.textsTo(chat).some((x) => x.includes(String(seeded.name)))).toBe(false);
    const audit = await ctx.models.AuditEvent.findOne({
      requestRef: erase.ref,
      action: 'customer.erased',
    }).lean();
    expect(audit?.details).toMatchObject({
      redis: { outboundKeysDestroyed: 1, outboundJobsRemoved: 2, outboundMessagesRequeued: 1 },
    });
  });

  it('keeps only messages naming the ref as a whole, and quoting no personal value in any form', () => {
    const keep = erasureKeeps('PR-ABC123', {
      texts: ['Siti Wulandari', 'Jl. Melati No. 9, Depok'],
      phones: ['+6281287611943'],
    });
    const text = (t: string): OutboundMessage => ({ kind: 'text', text: t });
    expect(keep(text('Permintaan penghapusan PR-ABC123 diterima.'))).toBe(true);
    expect(keep(text('Permintaan penghapusan PR-ABC1234 diterima.'))).toBe(false);
    expect(keep(text('Permintaan lain diterima.'))).toBe(false);
    expect(keep(text('PR-ABC123: Bu Siti'))).toBe(false);
    expect(keep(text('PR-ABC123 ke Depok'))).toBe(false);
    expect(keep(text('PR-ABC123 ke 0812-8761-1943'))).toBe(false);
    expect(keep(text('PR-ABC123 ke +62 812 8761 1943'))).toBe(false);
    expect(
      keep({
        kind: 'document',
        fileName: 'x.pdf',
        mimeType: 'application/pdf',
        contentBase64: '',
        caption: 'PR-ABC123',
      }),
    ).toBe(false);
  });
});
