import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGraphApi, GRAPH_VERSION } from '../fakes/graph-api.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * The fake Graph API's contract: each behaviour as Meta's WhatsApp Cloud API documentation
 * states it (send responses, limits of interactive messages, media then document by id,
 * templates (marketing ones with body parameters), error codes 100 / 130429 / 131026 / 131047 /
 * 132001 / 132005 / 132015, signed webhooks and the subscription check). A receiver here stands
 * in for the app's callback URL.
 */

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const WAIT = { timeoutMs: 5_000 };
let fake: FakeGraphApi;
let receiver: Server;
const received: Received[] = [];

beforeAll(async () => {
  fake = await FakeGraphApi.start();
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const challenge = new URL(req.url ?? '/', 'http://x').searchParams.get('hub.challenge');
      res.writeHead(200).end(challenge ?? 'ok');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  fake.webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await fake.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

const send = (body: Record<string, unknown>, token = fake.token) =>
  fetch(`${fake.url}/${GRAPH_VERSION}/${fake.phoneNumberId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', ...body }),
  });

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: number } }).error.code;

const statusesOf = (wamid: string) =>
  received
    .filter((r) => r.method === 'POST')
    .flatMap((r) => {
      const body = JSON.parse(r.body) as {
        entry: {
          changes: { value: { statuses?: { id: string; status: string; errors?: { code: number }[] }[] } }[];
        }[];
      };
      return body.entry.flatMap((e) => e.changes.flatMap((c) => c.value.statuses ?? []));
    })
    .filter((s) => s.id === wamid);

const buttons = (titles: string[]) => ({
  type: 'interactive',
  interactive: {
    type: 'button',
    body: { text: 'Pilih' },
    action: { buttons: titles.map((title, i) => ({ type: 'reply', reply: { id: `b${i}`, title } })) },
  },
});

describe('fake Graph API: sending', () => {
  it('refuses a wrong access token with OAuthException 190 (HTTP 401)', async () => {
    const res = await send({ to: '6281287611943', type: 'text', text: { body: 'x' } }, 'wrong');
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe(190);
  });

  it('answers a send with contacts[].wa_id and messages[].id starting wamid.', async () => {
    await fake.userSends('6281287611943', 'halo');
    const res = await send({ to: '+6281287611943', type: 'text', text: { body: 'Halo!' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { contacts: { wa_id: string }[]; messages: { id: string }[] };
    expect(body.contacts[0]?.wa_id).toBe('6281287611943');
    expect(body.messages[0]?.id).toMatch(/^wamid\./);
  });

  it('allows at most 3 reply buttons with titles of at most 20 characters (else error 100)', async () => {
    expect((await send({ to: '6281287611943', ...buttons(['Ya', 'Tidak', 'Batal']) })).status).toBe(200);
    const four = await send({ to: '6281287611943', ...buttons(['1', '2', '3', '4']) });
    expect(four.status).toBe(400);
    expect(await errorCode(four)).toBe(100);
    const long = await send({ to: '6281287611943', ...buttons(['x'.repeat(21)]) });
    expect(await errorCode(long)).toBe(100);
  });

  it('allows list messages of at most 10 rows with titles of at most 24 characters', async () => {
    const list = (rows: number, title = 'Pilihan') => ({
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'Menu' },
        action: {
          button: 'Menu',
          sections: [
            { title: 'Menu', rows: Array.from({ length: rows }, (_, i) => ({ id: `r${i}`, title })) },
          ],
        },
      },
    });
    expect((await send({ to: '6281287611943', ...list(10) })).status).toBe(200);
    expect(await errorCode(await send({ to: '6281287611943', ...list(11) }))).toBe(100);
    expect(await errorCode(await send({ to: '6281287611943', ...list(2, 'y'.repeat(25)) }))).toBe(100);
  });

  it('sends a document only by the id of uploaded media', async () => {
    expect(
      await errorCode(
        await send({ to: '6281287611943', type: 'document', document: { id: '42', filename: 'a.pdf' } }),
      ),
    ).toBe(100);
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', 'application/pdf');
    form.set('file', new Blob([Buffer.from('%PDF-1.4 x')], { type: 'application/pdf' }), 'data.pdf');
    const upload = await fetch(`${fake.url}/${GRAPH_VERSION}/${fake.phoneNumberId}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.token}` },
      body: form,
    });
    const { id } = (await upload.json()) as { id: string };
    expect(fake.media.get(id)?.bytes.toString()).toBe('%PDF-1.4 x');
    const res = await send({ to: '6281287611943', type: 'document', document: { id, filename: 'data.pdf' } });
    expect(res.status).toBe(200);
  });

  it('sends approved templates only (132001 otherwise); an authentication template carries the code twice', async () => {
    const template = (name: string, components: unknown[] = []) => ({
      type: 'template',
      template: { name, language: { code: 'id' }, components },
    });
    expect(await errorCode(await send({ to: '6281287611943', ...template('nope') }))).toBe(132001);
    const code = [
      { type: 'body', parameters: [{ type: 'text', text: '123456' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '123456' }] },
    ];
    expect((await send({ to: '6281287611943', ...template('hakdata_code', code) })).status).toBe(200);
    expect(await errorCode(await send({ to: '6281287611943', ...template('hakdata_code') }))).toBe(100);
  });

  it('sends a marketing template with its body parameters; refuses a paused one (132015), a parameter with a new line (100) and a body over 1024 (132005)', async () => {
    const promo = (text: string, name = 'hakdata_promotion') => ({
      type: 'template',
      template: {
        name,
        language: { code: 'id' },
        components: [{ type: 'body', parameters: [{ type: 'text', text }] }],
      },
    });
    const res = await send({ to: '6281287611943', ...promo('Diskon 20% · Balas STOP untuk berhenti.') });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { messages: { id: string; message_status: string }[] };
    expect(body.messages[0]?.message_status).toBe('accepted');
    expect(fake.templates.hakdata_promotion).toBe('MARKETING');
    const unknown = await send({ to: '6281287611943', ...promo('x', 'hakdata_promo_unknown') });
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe(132001);
    expect(await errorCode(await send({ to: '6281287611943', ...promo('Diskon\nbesar') }))).toBe(100);
    expect(await errorCode(await send({ to: '6281287611943', ...promo('Diskon     besar') }))).toBe(100);
    expect(await errorCode(await send({ to: '6281287611943', ...promo('x'.repeat(1025)) }))).toBe(132005);
    fake.pausedTemplates.add('hakdata_promotion');
    try {
      const paused = await send({ to: '6281287611943', ...promo('Diskon 20%') });
      expect(paused.status).toBe(400);
      expect(await errorCode(paused)).toBe(132015);
    } finally {
      fake.pausedTemplates.delete('hakdata_promotion');
    }
  });

  it('answers 130429 "Rate limit hit" when told to', async () => {
    fake.rateLimitNext(1);
    expect(await errorCode(await send({ to: '6281287611943', type: 'text', text: { body: 'x' } }))).toBe(
      130429,
    );
    expect((await send({ to: '6281287611943', type: 'text', text: { body: 'x' } })).status).toBe(200);
  });
});

describe('fake Graph API: webhooks', () => {
  it('signs every webhook with X-Hub-Signature-256 over the raw body under the app secret', async () => {
    const { status } = await fake.userSends('6281311112222', 'halo');
    expect(status).toBe(200);
    const last = received.at(-1);
    const expected = createHmac('sha256', fake.appSecret)
      .update(last?.body ?? '')
      .digest('hex');
    expect(last?.headers['x-hub-signature-256']).toBe(`sha256=${expected}`);
    const body = JSON.parse(last?.body ?? '{}') as {
      object: string;
      entry: {
        changes: {
          field: string;
          value: { messages: { from: string; id: string; text: { body: string } }[] };
        }[];
      }[];
    };
    expect(body.object).toBe('whatsapp_business_account');
    const message = body.entry[0]?.changes[0]?.value.messages[0];
    expect(message?.from).toBe('6281311112222');
    expect(message?.id).toMatch(/^wamid\./);
    expect(message?.text.body).toBe('halo');
  });

  it('reports sent, delivered and read inside the window', async () => {
    await fake.userSends('6281311112222', 'halo');
    const res = await send({ to: '6281311112222', type: 'text', text: { body: 'Halo' } });
    const wamid = ((await res.json()) as { messages: { id: string }[] }).messages[0]?.id ?? '';
    await pollUntil('three statuses', async () => statusesOf(wamid).length === 3, WAIT);
    expect(statusesOf(wamid).map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
  });

  it('fails a free-form message outside the 24-hour window with 131047; a template goes', async () => {
    const realNow = fake.now;
    fake.now = () => realNow() + 25 * 3600 * 1000;
    try {
      const res = await send({ to: '6281311112222', type: 'text', text: { body: 'Halo' } });
      expect(res.status).toBe(200);
      const wamid = ((await res.json()) as { messages: { id: string }[] }).messages[0]?.id ?? '';
      await pollUntil('a failed status', async () => statusesOf(wamid).length === 1, WAIT);
      expect(statusesOf(wamid)[0]?.status).toBe('failed');
      expect(statusesOf(wamid)[0]?.errors?.[0]?.code).toBe(131047);
      const template = await send({
        to: '6281311112222',
        type: 'template',
        template: { name: 'hakdata_request_update', language: { code: 'id' } },
      });
      const templateId = ((await template.json()) as { messages: { id: string }[] }).messages[0]?.id ?? '';
      await pollUntil(
        'delivered',
        async () => statusesOf(templateId).some((s) => s.status === 'delivered'),
        WAIT,
      );
    } finally {
      fake.now = realNow;
    }
  });

  it('fails a message to a number that cannot receive it with 131026', async () => {
    fake.undeliverable.add('6281399990000');
    const res = await send({
      to: '6281399990000',
      type: 'template',
      template: { name: 'hakdata_request_update', language: { code: 'id' } },
    });
    const wamid = ((await res.json()) as { messages: { id: string }[] }).messages[0]?.id ?? '';
    await pollUntil('a failed status', async () => statusesOf(wamid).length === 1, WAIT);
    expect(statusesOf(wamid)[0]?.errors?.[0]?.code).toBe(131026);
  });

  it('verifies the subscription with hub.mode, hub.verify_token and hub.challenge', async () => {
    const { status, body } = await fake.verifySubscription(fake.verifyToken, 'abc123');
    expect(status).toBe(200);
    expect(body).toBe('abc123');
    const query = new URL(received.at(-1)?.url ?? '/', 'http://x').searchParams;
    expect(query.get('hub.mode')).toBe('subscribe');
    expect(query.get('hub.verify_token')).toBe(fake.verifyToken);
  });

  it('sends a button press as an interactive button_reply quoting the message it was attached to', async () => {
    await fake.userSends('6281311112222', 'menu');
    await send({ to: '6281311112222', ...buttons(['Ya', 'Tidak']) });
    const { payload } = await fake.pressButton('6281311112222', 'Tidak');
    expect(received.some((r) => r.body === payload)).toBe(true);
    const body = JSON.parse(payload) as {
      entry: {
        changes: {
          value: { messages: { context: { id: string }; interactive: { button_reply: { id: string } } }[] };
        }[];
      }[];
    };
    const message = body.entry[0]?.changes[0]?.value.messages[0];
    expect(message?.interactive.button_reply.id).toBe('b1');
    expect(message?.context.id).toBe(fake.messagesTo('6281311112222').at(-1)?.wamid);
  });
});
