import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flowCatalog } from '../../src/conversation/engine.js';
import { checkFlows, formatProblems } from '../../src/conversation/flow-loader.js';
import { createIntentRecogniser, guessLanguage, loadLexicon } from '../../src/conversation/intents/index.js';
import { compileLexicon, type Lexicon } from '../../src/conversation/intents/lexicon.js';
import { readMessage } from '../../src/conversation/intents/reading.js';
import { recognise } from '../../src/conversation/intents/recognise.js';
import { intentsFileSchema } from '../../src/conversation/intents/schema.js';
import { clausesOf } from '../../src/conversation/intents/text.js';
import { FLOWS_DIR } from '../../src/conversation/runtime.js';
import { captureLogger } from '../helpers/context.js';

const real = loadLexicon(join(FLOWS_DIR, 'intents.yaml')).lexicon as Lexicon;
const words = (text: string, lexicon = real) => readMessage(text, lexicon).whole;
const negated = (text: string) =>
  Object.fromEntries(readMessage(text, real).tokens.map((t) => [t.word, t.negatedBy ?? '-']));

/** A lexicon of a few words, to show one mechanism without the real lists in the way. */
function tiny(extra: Record<string, string[]> = {}): Lexicon {
  const file = intentsFileSchema.parse({
    negations: ['tidak'],
    refusals: ['jangan'],
    groups: { stop: ['stop'], marketing: ['promo'], ...extra },
    intents: { opt_out: { flow: 'unsubscribe', clear: { phrases: ['<stop> <marketing>'] } } },
  });
  const { lexicon, problems } = compileLexicon(file);
  expect(problems).toEqual([]);
  return lexicon;
}

describe('reading a message', () => {
  it('folds case, accents and punctuation, and splits clauses at punctuation', () => {
    expect(clausesOf('STOP!! Promó, ya?')).toEqual({
      clauses: [['stop'], ['promo'], ['ya']],
      questionMark: true,
    });
  });

  it('reads reduplication, repeated letters and hyphens as one word', () => {
    expect(clausesOf('diskon2 promo-promo stoppp e-mail kirim2in').clauses).toEqual([
      ['diskon', 'promo', 'stop', 'email', 'kirimin'],
    ]);
  });

  it('replaces informal spellings and drops particles', () => {
    expect(words('sy gak mau terima promo lg dong')).toBe('saya tidak_mau terima promo lagi');
    expect(words('gw gamau dapet iklan ya kak')).toBe('saya tidak_mau dapat iklan');
    expect(words('no hp saya')).toBe('nomor hp saya');
  });

  it('removes Indonesian and English affixes only when the root is a known word', () => {
    expect(words('mohon dihapus datanya')).toBe('mohon hapus data');
    expect(words('menghapus penghapusan hapusin')).toBe('hapus hapus hapus');
    expect(words('mengirim menerima memperbarui')).toBe('kirim terima perbarui');
    expect(words('promotions blocked unsubscribed')).toBe('promotion block unsubscribe');
    // Not a known root: left as typed.
    expect(words('dimakan')).toBe('dimakan');
  });

  it('forgives one typo in words of five letters or more, and only when one word is that close', () => {
    const typo = readMessage('unsubscibe', real).tokens[0];
    expect(typo).toMatchObject({ word: 'unsubscribe', corrected: true });
    expect(readMessage('hapsu', real).tokens[0]).toMatchObject({ word: 'hapus', corrected: true });
    // Four letters: "stpo" is not guessed.
    expect(readMessage('stpo', real).tokens[0]).toMatchObject({ word: 'stpo', corrected: false });
    // "tarip" is as close to "tarik" as to "tarif": no guess.
    const two = tiny({ verbs: ['tarik', 'tarif'] });
    expect(readMessage('tarip', two).tokens[0]).toMatchObject({ word: 'tarip', corrected: false });
  });

  it('reads multi-word expressions as one word ("stop kontak" is a socket)', () => {
    expect(words('stop kontak rusak')).toBe('stop_kontak rusak');
    expect(words('no more promos')).toBe('no_more promo');
  });

  it('stops reading a very long message after its first words', () => {
    const long = `${'kata '.repeat(200)}stop promo`;
    expect(readMessage(long, real).tokens.length).toBeLessThanOrEqual(64);
    expect(recognise(long, real).intent).toBe('none');
  });
});

describe('negation', () => {
  it('reaches the rest of its clause, and refusals are told apart from plain negations', () => {
    expect(negated('jangan kirim promo')).toMatchObject({ kirim: 'refusal', promo: 'refusal' });
    expect(negated('saya tidak dapat promo')).toMatchObject({ dapat: 'negation', promo: 'negation' });
  });

  it('ends at punctuation and at clause words such as dan', () => {
    expect(negated('jangan kirim promo, hapus data saya')).toMatchObject({ promo: 'refusal', hapus: '-' });
    expect(negated('jangan kirim promo dan hapus data saya')).toMatchObject({ hapus: '-' });
  });

  it('is stopped by a word of group stop: "jangan berhenti kirim promo" refuses the stopping', () => {
    expect(negated('jangan berhenti kirim promo')).toMatchObject({
      berhenti: 'refusal',
      kirim: '-',
      promo: '-',
    });
    expect(recognise('jangan berhenti kirim promo', real).intent).not.toBe('opt_out');
  });

  it('does not reach past ability or knowledge ("tidak tahu cara hapus data")', () => {
    expect(negated('saya tidak tahu cara hapus data')).toMatchObject({ hapus: '-' });
    expect(recognise('saya tidak tahu cara hapus data', real).intent).toBe('delete');
  });
});

describe('decisions', () => {
  it('explains each decision by its rule and the phrase of the file', () => {
    expect(recognise('jangan kirim promo lagi', real)).toMatchObject({
      intent: 'opt_out',
      confidence: 'clear',
      rule: 'opt_out.clear.refused',
      phrase: '<send> <marketing>',
    });
    expect(recognise('stop dulu', real)).toMatchObject({
      intent: 'opt_out',
      confidence: 'probable',
      rule: 'opt_out.probable.phrases',
      flow: 'unsubscribe',
    });
    expect(recognise('gimana cara stop promo?', real)).toMatchObject({ rule: 'opt_out.unsure.question' });
    expect(recognise('jangan hapus data saya', real)).toMatchObject({
      intent: 'none',
      rule: 'negated',
      negated: ['delete'],
    });
  });

  it('names the field of an update, and none when two are named', () => {
    expect(recognise('mau ganti email', real)).toMatchObject({
      intent: 'update',
      field: 'email',
      understood: 'understood.update_email',
    });
    expect(recognise('ganti email dan alamat', real).field).toBeUndefined();
  });

  it('after a clear opt-out, starts another right asked in words of its own', () => {
    expect(recognise('jangan kirim promo lagi dan hapus data saya', real)).toMatchObject({
      intent: 'opt_out',
      confidence: 'clear',
      also: { intent: 'delete', flow: 'delete' },
    });
    // "hapus saya dari daftar promo" is one wish: the words are the opt-out's.
    expect(recognise('hapus saya dari daftar promo', real).also).toBeUndefined();
  });

  it('logs every decision with its rule, never the words of the message', () => {
    const { logger, lines } = captureLogger('info');
    const recogniser = createIntentRecogniser(real, logger);
    recogniser.recognise('tolong hapus data saya, email siti.w@example.co.id', { channel: 'webchat' });
    recogniser.recognise('Siti Wulandari 0812-8761-1943', { channel: 'webchat' });
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ msg: 'intent decision', intent: 'delete', rule: 'delete.phrases' });
    expect(second).toMatchObject({ intent: 'none', rule: 'no_match' });
    const output = lines.join('\n');
    for (const secret of ['siti', 'Siti', 'Wulandari', '8761', 'example'])
      expect(output).not.toContain(secret);
  });
});

describe('the language of a first message', () => {
  it('is English or Indonesian only when the words say so plainly', () => {
    expect(guessLanguage('I want to delete my data', real)).toBe('en');
    expect(guessLanguage('sy gak mau terima promo lg', real)).toBe('id');
    // One word, shared words, or both languages mixed: no guess (the platform's hint or the default).
    for (const text of ['stop', 'ok', 'promo status', 'please hapus data saya', 'hello']) {
      expect(guessLanguage(text, real), text).toBeUndefined();
    }
  });
});

describe('flows check of flows/intents.yaml', () => {
  /** A copy of the real flows with intents.yaml changed by `edit`. */
  function checkEdited(edit: (yaml: string) => string): string {
    const dir = mkdtempSync(join(tmpdir(), 'intents-'));
    cpSync(FLOWS_DIR, dir, { recursive: true });
    const file = join(dir, 'intents.yaml');
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
    return formatProblems(checkFlows(dir, flowCatalog()).problems);
  }

  it('passes on the real file', () => {
    expect(checkFlows(FLOWS_DIR, flowCatalog()).problems).toEqual([]);
  });

  it('reports an unknown intent', () => {
    const report = checkEdited((y) => `${y}\n  refund:\n    flow: help\n    phrases: [refund]\n`);
    expect(report).toMatch(/intents\.yaml: intents\.refund: unknown intent "refund" \(known: opt_out, /);
  });

  it('reports an empty list', () => {
    const report = checkEdited((y) => y.replace(/ {2}stop: \[.*\]/, '  stop: []'));
    expect(report).toMatch(/groups\.stop: is empty/);
    const phrases = checkEdited((y) => y.replace(/( {2}help:\n {4}flow: help\n {4}phrases: )\[.*\]/, '$1[]'));
    expect(phrases).toMatch(/intents\.help\.phrases: is empty/);
  });

  it('reports a phrase claimed by two intents, in any word order', () => {
    const report = checkEdited((y) =>
      y.replace('    phrases: [bantuan, help,', '    phrases: ["<mydata> <delete>", bantuan, help,'),
    );
    expect(report).toMatch(
      /intents\.help\.phrases\[0\]: phrase "<mydata> <delete>" is also claimed by intents\.delete\.phrases\[0\]/,
    );
  });

  it('reports phrases of two intents that one message matches equally, and a phrase that is an opt-out word', () => {
    // "harga" is a word of <price>: the message "harga" would go to whichever comes first in the file.
    const word = checkEdited((y) =>
      y.replace('    phrases: [bantuan, help,', '    phrases: [harga, bantuan, help,'),
    );
    expect(word).toMatch(
      /intents\.business\.phrases\[0\]: phrase "<price>" is also claimed by intents\.help\.phrases\[0\] \("harga"\)/,
    );
    const pair = checkEdited((y) => y.replace('    phrases: [status,', '    phrases: ["cek data", status,'));
    expect(pair).toMatch(
      /intents\.access\.phrases\[0\]: phrase "<see> <mydata>" is also claimed by intents\.status\.phrases\[0\] \("cek data"\)/,
    );
    // The whole message "quit" is opt_out's word: the help phrase could never be what it means.
    const optOutWord = checkEdited((y) =>
      y.replace('    phrases: [bantuan, help,', '    phrases: [quit, bantuan, help,'),
    );
    expect(optOutWord).toMatch(
      /intents\.help\.phrases\[0\]: phrase "quit" is also claimed by intents\.opt_out\.words\[\d+\] \("quit"\)/,
    );
  });

  it('reports unknown groups, unknown flows and missing texts', () => {
    const report = checkEdited((y) =>
      y
        .replace('phrases: [bantuan,', 'phrases: ["<nosuch> data", bantuan,')
        .replace('flow: business', 'flow: orders')
        .replace('understood: understood.access', 'understood: understood.nosuch'),
    );
    expect(report).toMatch(/intents\.help\.phrases\[0\]: unknown group "nosuch"/);
    expect(report).toMatch(/intents\.business\.flow: unknown flow "orders"/);
    expect(report).toMatch(/text "understood\.nosuch" is missing in locales\/id\.yaml/);
  });
});
