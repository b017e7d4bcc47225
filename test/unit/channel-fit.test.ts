import { describe, expect, it } from 'vitest';
import { fitMessage, type MessageLimits, splitText } from '../../src/channels/fit.js';
import { channelDefinition } from '../../src/channels/registry.js';
import type { OutboundMessage } from '../../src/channels/types.js';

/**
 * Generic code fits a message to the limits a channel declares (src/channels/fit.ts, applied by
 * the outbox): long texts split at line ends, menus with more options than buttons numbered.
 */

const limitsOf = (name: string): MessageLimits => {
  const definition = channelDefinition(name);
  if (!definition) throw new Error(`no channel ${name}`);
  return definition.capabilities.limits;
};

const menu = (options: number, label = (i: number) => `Pilihan ${i + 1}`): OutboundMessage => ({
  kind: 'buttons',
  text: 'Pilih layanan:',
  buttons: Array.from({ length: options }, (_, i) => ({ label: label(i), value: `p1:${i}` })),
});

/** 50 numbered lines, 5,000 characters in all. */
const longText = () => {
  const lines = Array.from(
    { length: 50 },
    (_, i) => `${String(i).padStart(2, '0')} ${'x'.repeat(i === 49 ? 97 : 96)}`,
  );
  return { lines, text: lines.join('\n') };
};

describe('fitting a message to the limits a channel declares', () => {
  it('numbers a menu of 12 options on a channel with at most 3 buttons', () => {
    const fitted = fitMessage(menu(12), { text: 4096, buttons: 3, buttonLabel: 20 });
    const numbered = Array.from({ length: 12 }, (_, i) => `${i + 1}. Pilihan ${i + 1}`).join('\n');
    expect(fitted).toEqual([{ kind: 'text', text: `Pilih layanan:\n\n${numbered}` }]);
  });

  it('keeps 5 options as buttons on the Cloud API (10 list rows declared) and numbers 12', () => {
    const cloud = limitsOf('whatsapp-cloud');
    expect(fitMessage(menu(5), cloud)).toEqual([menu(5)]);
    const [twelve, ...more] = fitMessage(menu(12), cloud);
    expect(more).toEqual([]);
    expect(twelve?.kind).toBe('text');
    expect(twelve?.kind === 'text' && twelve.text.split('\n').slice(-2)).toEqual([
      '11. Pilihan 11',
      '12. Pilihan 12',
    ]);
  });

  it('numbers every menu on WhatsApp Web, which declares no buttons', () => {
    expect(fitMessage(menu(2), limitsOf('whatsapp'))).toEqual([
      { kind: 'text', text: 'Pilih layanan:\n\n1. Pilihan 1\n2. Pilihan 2' },
    ]);
  });

  it("splits a 5,000-character text on Telegram's 4,096 limit at a line end", () => {
    const { lines, text } = longText();
    expect(text).toHaveLength(5000);
    const parts = fitMessage({ kind: 'text', text }, limitsOf('telegram'));
    expect(parts).toHaveLength(2);
    const texts = parts.map((p) => (p.kind === 'text' ? p.text : ''));
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(4096);
    // Whole lines on both sides of the cut, none lost.
    expect(texts.flatMap((t) => t.split('\n'))).toEqual(lines);
    expect(texts.join('\n')).toBe(text);
  });

  it('keeps the buttons under the last part and a reply placement on the first', () => {
    const { text } = longText();
    const buttons = [{ label: 'Ya', value: 'p1:yes' }];
    const parts = fitMessage({ kind: 'buttons', text, buttons, replyTo: '12' }, limitsOf('telegram'));
    expect(parts.map((p) => p.kind)).toEqual(['text', 'buttons']);
    expect(parts[0]).toMatchObject({ kind: 'text', replyTo: '12' });
    expect(parts[1]).toEqual({ kind: 'buttons', text: expect.any(String), buttons });
  });

  it('cuts a label longer than the channel shows, keeping the value; never splits an edit', () => {
    const long = 'Hapus semua data saya dari sistem Sanita Jaya';
    const [fitted] = fitMessage(
      menu(2, () => long),
      { text: 4096, buttons: 3, buttonLabel: 20 },
    );
    expect(fitted?.kind === 'buttons' && fitted.buttons).toEqual([
      { label: 'Hapus semua data sa…', value: 'p1:0' },
      { label: 'Hapus semua data sa…', value: 'p1:1' },
    ]);
    const edit: OutboundMessage = { kind: 'text', text: 'x'.repeat(5000), replaces: '12' };
    expect(fitMessage(edit, limitsOf('telegram'))).toEqual([edit]);
    const doc: OutboundMessage = {
      kind: 'document',
      fileName: 'a.pdf',
      mimeType: 'application/pdf',
      contentBase64: '',
    };
    expect(fitMessage(doc, { text: 10, buttons: 0, buttonLabel: 0 })).toEqual([doc]);
  });

  it('passes a message within every limit as it is', () => {
    for (const name of ['telegram', 'whatsapp-cloud', 'webchat'])
      expect(fitMessage(menu(3), limitsOf(name)), name).toEqual([menu(3)]);
    expect(splitText('short', 10)).toEqual(['short']);
  });
});
