import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  codeIn,
  templateParameter,
  toCloudCalls,
  toInboundMessage,
} from '../../src/channels/whatsapp-cloud/convert.js';
import { eventsOf, validSignature, verificationAnswer } from '../../src/channels/whatsapp-cloud/webhook.js';

/** The Cloud API channel's pure parts: Meta's limits on menus, the webhook's checks and shapes. */

const TO = '6281287611943';
const menu = (n: number, label = (i: number) => `Pilihan ${i}`) => ({
  kind: 'buttons' as const,
  text: 'Pilih:',
  buttons: Array.from({ length: n }, (_, i) => ({ label: label(i + 1), value: `v${i + 1}` })),
});
const interactiveOf = (calls: ReturnType<typeof toCloudCalls>) =>
  (calls[0]?.kind === 'message' ? calls[0].body.interactive : undefined) as
    | {
        type: string;
        action: { buttons?: unknown[]; sections?: { rows: { title: string; description?: string }[] }[] };
      }
    | undefined;

describe('menus within Meta limits', () => {
  it('sends up to 3 labels of at most 20 characters as reply buttons', () => {
    const i = interactiveOf(toCloudCalls(TO, menu(3)));
    expect(i?.type).toBe('button');
    expect(i?.action.buttons).toHaveLength(3);
  });

  it('sends 4 to 10 as a list; a label over 24 characters is cut in the title and whole in the description', () => {
    const long = 'Batasi pemrosesan data saya';
    const i = interactiveOf(
      toCloudCalls(
        TO,
        menu(8, (n) => (n === 8 ? long : `Pilihan ${n}`)),
      ),
    );
    expect(i?.type).toBe('list');
    const rows = i?.action.sections?.[0]?.rows ?? [];
    expect(rows).toHaveLength(8);
    expect(rows[7]?.title.length).toBeLessThanOrEqual(24);
    expect(rows[7]?.description).toBe(long);
  });

  it('sends more than 10 as numbered options the engine accepts as replies', () => {
    const calls = toCloudCalls(TO, menu(11));
    expect(calls[0]?.kind === 'message' && calls[0].body.type).toBe('text');
    const text = calls[0]?.kind === 'message' ? (calls[0].body.text as { body: string }).body : '';
    expect(text).toContain('11. Pilihan 11');
  });

  it('splits text over 4096 characters and sends a document for upload', () => {
    expect(toCloudCalls(TO, { kind: 'text', text: `${'a'.repeat(4000)}\n${'b'.repeat(4000)}` })).toHaveLength(
      2,
    );
    const [doc] = toCloudCalls(TO, {
      kind: 'document',
      fileName: 'data-saya.json',
      mimeType: 'application/json',
      contentBase64: Buffer.from('{}').toString('base64'),
    });
    expect(doc?.kind === 'document' && doc.bytes.toString()).toBe('{}');
  });

  it('flattens template parameters (no new lines, no runs of spaces) and finds the one code', () => {
    expect(templateParameter('Selesai.\n\nTerima   kasih')).toBe('Selesai. · Terima kasih');
    expect(codeIn('Kode verifikasi Sanita Jaya: 483920. Berlaku 5 menit.')).toBe('483920');
    expect(codeIn('no code here')).toBeUndefined();
  });
});

describe('the webhook', () => {
  const secret = 'app-secret-0123456789';
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
  const sign = (b: Buffer, s = secret) => `sha256=${createHmac('sha256', s).update(b).digest('hex')}`;

  it('accepts only the HMAC-SHA256 of the exact body under the app secret', () => {
    expect(validSignature(body, sign(body), secret)).toBe(true);
    expect(validSignature(body, sign(body, 'another-secret'), secret)).toBe(false);
    expect(validSignature(Buffer.from(`${body} `), sign(body), secret)).toBe(false);
    expect(validSignature(body, sign(body).slice('sha256='.length), secret)).toBe(false);
    expect(validSignature(body, undefined, secret)).toBe(false);
  });

  it('echoes hub.challenge only for subscribe with the verify token', () => {
    const q = { 'hub.mode': 'subscribe', 'hub.verify_token': 'tok-123', 'hub.challenge': '42' };
    expect(verificationAnswer(q, 'tok-123')).toBe('42');
    expect(verificationAnswer({ ...q, 'hub.verify_token': 'tok-124' }, 'tok-123')).toBeUndefined();
    expect(verificationAnswer({ ...q, 'hub.mode': 'unsubscribe' }, 'tok-123')).toBeUndefined();
  });

  it('reads messages and statuses for our number only, counting what it skips', () => {
    const payload = (phoneNumberId: string) => ({
      object: 'whatsapp_business_account',
      entry: [
        {
          changes: [
            {
              field: 'messages',
              value: {
                metadata: { phone_number_id: phoneNumberId },
                messages: [
                  { from: TO, id: 'wamid.A', timestamp: '1700000000', type: 'text', text: { body: 'halo' } },
                  { from: 'not-a-number', id: 'wamid.B', timestamp: '1', type: 'text' },
                ],
                statuses: [{ id: 'wamid.C', status: 'delivered', recipient_id: TO }],
              },
            },
          ],
        },
      ],
    });
    expect(eventsOf(payload('111'), '111')).toMatchObject({
      skipped: 1,
      events: [{ kind: 'message' }, { kind: 'status' }],
    });
    expect(eventsOf(payload('222'), '111')).toEqual({ events: [], skipped: 1 });
  });

  it('turns a button reply into an action on the message it was attached to, with the sender number as proof', () => {
    const inbound = toInboundMessage({
      from: TO,
      id: 'wamid.X',
      timestamp: '1700000000',
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Ya' } },
      context: { id: 'wamid.MENU' },
    });
    expect(inbound).toMatchObject({
      channel: 'whatsapp-cloud',
      chatId: TO,
      messageKey: `${TO}:wamid.X`,
      senderPhone: '+6281287611943',
      action: { value: 'yes', sourceMessageId: 'wamid.MENU' },
    });
  });
});
