import { mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import wwebjs from 'whatsapp-web.js';
import {
  chatIdForPhone,
  contactFromVCards,
  ignoreReason,
  toWhatsAppCall,
} from '../../src/channels/whatsapp/convert.js';
import { scrubbed, toChannelSendError } from '../../src/channels/whatsapp/errors.js';
import { CHROMIUM_ARGS, loadRealPlatform } from '../../src/channels/whatsapp/real-client.js';
import { clearStaleProfileLock, profileDir } from '../../src/channels/whatsapp/session-lock.js';
import { createLogger } from '../../src/logging/logger.js';
import { incomingMessage } from '../fakes/whatsapp-client.js';

describe('vCard contacts', () => {
  it.each([
    [
      'TEL;type=CELL;type=VOICE;waid=6281287611943:+62 812-8761-1943',
      { phone: '+6281287611943', userId: '6281287611943@c.us' },
    ],
    [
      'item1.TEL;waid=6281287611943:+62 812-8761-1943',
      { phone: '+6281287611943', userId: '6281287611943@c.us' },
    ],
    ['TEL;TYPE=CELL:0812-8761-1943', { phone: '+6281287611943' }],
  ])('%s', (tel, contact) => {
    expect(contactFromVCards([`BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Budi\r\n${tel}\r\nEND:VCARD`])).toEqual(
      contact,
    );
  });

  it('takes the first card with a valid number, and none without', () => {
    const noPhone = 'BEGIN:VCARD\nFN:Kantor\nEMAIL:a@b.id\nEND:VCARD';
    const bad = 'BEGIN:VCARD\nTEL:12\nEND:VCARD';
    const good = 'BEGIN:VCARD\nTEL;waid=6285712345678:+62 857-1234-5678\nEND:VCARD';
    expect(contactFromVCards([noPhone, bad, good])).toEqual({
      phone: '+6285712345678',
      userId: '6285712345678@c.us',
    });
    expect(contactFromVCards([noPhone])).toBeUndefined();
  });
});

describe('which messages reach the engine', () => {
  it.each([
    [{ from: '6281287611943@c.us' }, undefined],
    [{ from: '123456789012345@lid' }, undefined],
    [{ from: '6281287611943@c.us', type: 'image', body: 'caption' }, undefined],
    [{ from: '6281287611943@c.us', fromMe: true }, 'own'],
    [{ from: 'status@broadcast' }, 'status'],
    [{ from: '6281287611943@c.us', isStatus: true }, 'status'],
    [{ from: '120363012345678901@g.us' }, 'group'],
    [{ from: '120363012345678901@newsletter' }, 'not_a_person'],
    [{ from: '6281287611943@c.us', broadcast: true }, 'not_a_person'],
    [{ from: '6281287611943@c.us', type: 'revoked' }, 'system'],
    [{ from: '6281287611943@c.us', type: 'notification_template' }, 'system'],
  ] as const)('%j → %s', (fields, reason) => {
    expect(ignoreReason(incomingMessage({ ...fields }))).toBe(reason);
  });

  it('treats a message without an id as malformed', () => {
    const msg = incomingMessage({ from: '6281287611943@c.us' });
    expect(ignoreReason({ ...msg, id: { _serialized: '' } })).toBe('malformed');
  });
});

describe('outbound conversion', () => {
  it('numbers buttons and keeps a text without buttons as is', () => {
    expect(
      toWhatsAppCall({
        kind: 'buttons',
        text: 'Pilih:',
        buttons: [
          { label: 'Ya', value: 'y' },
          { label: 'Tidak', value: 'n' },
        ],
      }),
    ).toEqual({ kind: 'text', text: 'Pilih:\n\n1. Ya\n2. Tidak' });
    expect(toWhatsAppCall({ kind: 'buttons', text: 'Info', buttons: [] })).toEqual({
      kind: 'text',
      text: 'Info',
    });
  });

  it('refuses what WhatsApp would refuse', () => {
    expect(() => toWhatsAppCall({ kind: 'text', text: 'x'.repeat(70_000) })).toThrow(/longer than/);
    expect(() =>
      toWhatsAppCall({ kind: 'document', fileName: ' ', mimeType: 'application/pdf', contentBase64: 'e30=' }),
    ).toThrow(/file name/);
    expect(() =>
      toWhatsAppCall({ kind: 'document', fileName: 'a', mimeType: 'pdf', contentBase64: 'e30=' }),
    ).toThrow(/MIME/);
  });

  it('addresses a phone number', () => {
    expect(chatIdForPhone('+6281287611943')).toBe('6281287611943@c.us');
  });
});

describe('errors', () => {
  it('scrubs chat ids and numbers from error texts', () => {
    expect(
      scrubbed('invalid wid 6281287611943@c.us, lid 12345@lid, group 1203-63@g.us, +62 812-8761-1943'),
    ).toBe('invalid wid [chat], lid [chat], group [chat], [number]');
  });

  it.each([
    ['Protocol error (Runtime.callFunctionOn): Target closed.', 'UNAVAILABLE'],
    ['Execution context was destroyed, most likely because of a navigation.', 'UNAVAILABLE'],
    ['Evaluation failed: Error: wid error: invalid wid', 'BAD_REQUEST'],
    ['You blocked this contact', 'CHAT_BLOCKED'],
    ['something odd', 'UNAVAILABLE'],
  ])('%s → %s', (message, code) => {
    expect(toChannelSendError(new Error(message)).code).toBe(code);
  });
});

describe('Chromium profile lock', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function lockTo(target: string): string {
    dir = mkdtempSync(join(tmpdir(), 'wa-session-'));
    mkdirSync(profileDir(dir), { recursive: true });
    symlinkSync(target, join(profileDir(dir), 'SingletonLock'));
    writeFileSync(join(profileDir(dir), 'SingletonCookie'), '');
    return dir;
  }

  it('removes a lock of a dead process or another host', () => {
    const session = lockTo(`${hostname()}-2147483646`);
    expect(clearStaleProfileLock(session)).toBe('dead process');
    expect(() => readlinkSync(join(profileDir(session), 'SingletonLock'))).toThrow();
    rmSync(session, { recursive: true });
    expect(clearStaleProfileLock(lockTo('old-container-id-17'))).toBe('other host');
  });

  it('keeps the lock of a live browser on this host, and ignores a missing one', () => {
    const session = lockTo(`${hostname()}-${process.pid}`);
    expect(clearStaleProfileLock(session)).toBeUndefined();
    expect(readlinkSync(join(profileDir(session), 'SingletonLock'))).toBe(`${hostname()}-${process.pid}`);
    expect(clearStaleProfileLock(join(session, 'nothing-here'))).toBeUndefined();
  });
});

describe('the real platform (no browser launched)', () => {
  it('builds a Client with LocalAuth in the session directory and Debian Chromium', async () => {
    const sessionDir = mkdtempSync(join(tmpdir(), 'wa-real-'));
    try {
      const platform = await loadRealPlatform({
        sessionDir,
        chromiumPath: '/usr/bin/chromium',
        logger: createLogger({ level: 'silent' }),
      });
      const client = platform.createClient();
      expect(client).toBeInstanceOf(wwebjs.Client);
      const real = client as unknown as InstanceType<typeof wwebjs.Client> & {
        options: {
          puppeteer: { executablePath: string; args: string[] };
          authStrategy: { dataPath: string };
        };
      };
      expect(real.options.puppeteer).toMatchObject({
        executablePath: '/usr/bin/chromium',
        args: CHROMIUM_ARGS,
      });
      expect(real.options.authStrategy).toBeInstanceOf(wwebjs.LocalAuth);
      expect(real.options.authStrategy.dataPath).toBe(sessionDir);
      const media = platform.createMedia('application/pdf', 'JVBERg==', 'a.pdf');
      expect(media).toBeInstanceOf(wwebjs.MessageMedia);
      expect(media).toMatchObject({ mimetype: 'application/pdf', data: 'JVBERg==', filename: 'a.pdf' });
    } finally {
      rmSync(sessionDir, { recursive: true, force: true });
    }
  });
});
