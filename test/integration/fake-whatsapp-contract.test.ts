import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import wwebjs from 'whatsapp-web.js';
import type { InboundMessage } from '../../src/channels/types.js';
import { WhatsAppAdapter } from '../../src/channels/whatsapp/adapter.js';
import { toInboundMessage } from '../../src/channels/whatsapp/convert.js';
import { SessionStore } from '../../src/sessions/session-store.js';
import { FakeWhatsAppPlatform, MessageAck, type MessageId } from '../fakes/whatsapp-client.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * The fake whatsapp-web.js client's contract: each behaviour as the library (1.34, its
 * index.d.ts and src/util/Constants.js) states it, and what the adapter and the session store
 * make of it. Keys built from WhatsApp ids must hold the chat: the serialized id does.
 */

const A = '6281287611943@c.us';
const B = '6281398765432@c.us';
const LID = '123456789012345@lid';

let ctx: TestContext;
const running: WhatsAppAdapter[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ WHATSAPP_ENABLED: 'true' });
});
afterEach(async () => {
  for (const adapter of running.splice(0)) await adapter.stop();
});
afterAll(async () => {
  await ctx.cleanup();
});

async function connectedAdapter() {
  const platform = new FakeWhatsAppPlatform('ready');
  const inbound: InboundMessage[] = [];
  const adapter = new WhatsAppAdapter(ctx, {
    loadPlatform: async () => platform,
    messagesPerSecond: 100,
    jitterMs: { min: 0, max: 0 },
    reconnectMs: { min: 20, max: 200 },
    watchdogMs: 0,
    printQr: () => {},
  });
  running.push(adapter);
  await adapter.start(async (m) => {
    inbound.push(m);
  });
  await pollUntil('the adapter to connect', async () => adapter.health().ok, { timeoutMs: 5_000 });
  return { platform, adapter, inbound };
}

describe('fake whatsapp-web.js: message ids', () => {
  it('serializes ids as <fromMe>_<remote>_<id>; the bare id repeats across chats, the serialized one never', () => {
    const client = new FakeWhatsAppPlatform().createClient();
    const a = client.receive({ from: A, body: 'halo' }).id as MessageId;
    const b = client.receive({ from: B, body: 'halo' }).id as MessageId;
    for (const id of [a, b]) {
      expect(id._serialized).toBe(`${id.fromMe}_${id.remote}_${id.id}`);
      expect(id.fromMe).toBe(false);
      expect(id.id).toMatch(/^[0-9A-F]{16,32}$/);
    }
    expect(a.remote).toBe(A);
    expect(b.remote).toBe(B);
    expect(a.id).toBe(b.id);
    expect(a._serialized).not.toBe(b._serialized);
  });

  it('gives sent messages a fromMe id in the chat they went to', async () => {
    const client = new FakeWhatsAppPlatform().createClient();
    const sent = await client.sendMessage(A, 'Terima kasih');
    const id = sent?.id as MessageId;
    expect(id).toMatchObject({ fromMe: true, remote: A });
    expect(id._serialized).toBe(`true_${A}_${id.id}`);
  });

  it('the adapter keys each message by its serialized id, so equal bare ids of two chats stay apart', async () => {
    const client = new FakeWhatsAppPlatform().createClient();
    const one = await toInboundMessage(client.receive({ from: A, body: 'akses' }));
    const two = await toInboundMessage(client.receive({ from: B, body: 'akses' }));
    expect(one.messageKey).toBe(one.messageId);
    expect(one.messageKey).toContain(A);
    expect(two.messageKey).toContain(B);
    expect(one.messageKey).not.toBe(two.messageKey);
  });
});

describe('fake whatsapp-web.js: events', () => {
  it('a re-delivered message keeps its id, and the conversation handles it once', async () => {
    const { platform, inbound } = await connectedAdapter();
    const message = platform.current.receive({ from: A, body: 'status' });
    platform.current.redeliver(message);
    await pollUntil('both deliveries to reach the engine', async () => inbound.length === 2, {
      timeoutMs: 5_000,
    });
    expect(inbound[0]?.messageKey).toBe(inbound[1]?.messageKey);
    const store = new SessionStore(ctx);
    expect((await store.begin(inbound[0] as InboundMessage)).first).toBe(true);
    expect((await store.begin(inbound[1] as InboundMessage)).first).toBe(false);
  });

  it('@lid senders: the chat is the privacy id, the phone comes from getContactLidAndPhone', async () => {
    const { platform, inbound } = await connectedAdapter();
    platform.current.lidPhones.set(LID, A);
    const known = platform.current.receive({ from: LID, body: 'halo' });
    expect(known.id._serialized).toBe(`false_${LID}_${(known.id as MessageId).id}`);
    await pollUntil('the @lid message', async () => inbound.length === 1, { timeoutMs: 5_000 });
    expect(inbound[0]).toMatchObject({
      chatId: LID,
      senderPhone: '+6281287611943',
      messageKey: known.id._serialized,
    });
    expect(await platform.current.getContactLidAndPhone(['999@lid'])).toEqual([{ lid: '999@lid', pn: '' }]);
  });

  it('disconnected carries a WAState or LOGOUT, and the adapter reconnects with a fresh client', async () => {
    const { platform, adapter } = await connectedAdapter();
    const reasons: string[] = [];
    platform.current.on('disconnected', (reason: string) => reasons.push(reason));
    platform.current.disconnect('UNPAIRED');
    expect(reasons).toEqual(['UNPAIRED']);
    expect(Object.values(wwebjs.WAState)).toContain('UNPAIRED');
    await pollUntil('a new client', async () => platform.clients.length === 2, { timeoutMs: 5_000 });
    await pollUntil('connected again', async () => adapter.health().ok, { timeoutMs: 5_000 });
  });

  it('message_ack follows a send: ACK_SERVER, then device and read as WhatsApp reports them', async () => {
    expect(MessageAck).toEqual(wwebjs.MessageAck);
    const client = new FakeWhatsAppPlatform().createClient();
    const seen: [string, number][] = [];
    client.on('message_ack', (message: { id: { _serialized: string } }, ack: number) =>
      seen.push([message.id._serialized, ack]),
    );
    const sent = await client.sendMessage(A, 'Kode sudah dikirim');
    const id = sent?.id._serialized ?? '';
    await pollUntil('ACK_SERVER', async () => seen.length === 1, { timeoutMs: 2_000 });
    client.ack(id, MessageAck.ACK_DEVICE);
    client.ack(id, MessageAck.ACK_READ);
    expect(seen).toEqual([
      [id, MessageAck.ACK_SERVER],
      [id, MessageAck.ACK_DEVICE],
      [id, MessageAck.ACK_READ],
    ]);
  });
});
