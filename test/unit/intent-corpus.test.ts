import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { INTENT_NAMES, loadLexicon, UPDATE_FIELDS } from '../../src/conversation/intents/index.js';
import { type Decision, recognise } from '../../src/conversation/intents/recognise.js';
import { FLOWS_DIR } from '../../src/conversation/runtime.js';

/**
 * test/conversations/intents/corpus.yaml: realistic phrasings with what each must be understood
 * as, read through the real flows/intents.yaml. Every phrasing is its own test, and a clear
 * opt-out of any message not labelled so (a false opt-out) fails the summary whatever else does.
 */
const LABELS = [
  'opt_out',
  'opt_out?',
  ...INTENT_NAMES.filter((i) => i !== 'opt_out'),
  ...UPDATE_FIELDS.map((f) => `update.${f}`),
  'none',
] as const;
const corpus = z
  .record(z.enum(LABELS), z.array(z.string().min(1)).min(1))
  .parse(parse(readFileSync('test/conversations/intents/corpus.yaml', 'utf8')));
const { lexicon, problems } = loadLexicon(join(FLOWS_DIR, 'intents.yaml'));
if (!lexicon) throw new Error(`flows/intents.yaml does not load: ${JSON.stringify(problems)}`);

function labelOf(d: Decision): string {
  if (d.intent === 'opt_out') return d.confidence === 'clear' ? 'opt_out' : 'opt_out?';
  if (d.intent === 'update' && d.field) return `update.${d.field}`;
  return d.intent;
}

const cases = Object.entries(corpus).flatMap(([label, texts]) => texts.map((text) => ({ label, text })));

describe('intent corpus (test/conversations/intents/corpus.yaml)', () => {
  it('has at least 150 phrasings, every intent among them', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
    for (const label of [
      'opt_out',
      'opt_out?',
      'access',
      'update',
      'delete',
      'status',
      'help',
      'policy',
      'business',
      'none',
    ]) {
      expect(corpus[label as keyof typeof corpus]?.length ?? 0, label).toBeGreaterThan(0);
    }
  });

  it.each(cases)('"$text" is understood as $label', ({ label, text }) => {
    const decision = recognise(text, lexicon);
    expect(labelOf(decision), `rule ${decision.rule}, phrase ${decision.phrase ?? '-'}`).toBe(label);
  });

  it('turns marketing off for no message that does not clearly ask it', () => {
    const falseOptOuts = cases.filter(
      ({ label, text }) => label !== 'opt_out' && labelOf(recognise(text, lexicon)) === 'opt_out',
    );
    expect(falseOptOuts.map((c) => c.text)).toEqual([]);
  });
});

describe("the README's corpus figures", () => {
  /** README rows (their first words) and the labels they count. */
  const ROWS: [string, string[]][] = [
    ['opt-out, clear', ['opt_out']],
    ['opt-out, probable', ['opt_out?']],
    ['access', ['access']],
    ['update', ['update', ...UPDATE_FIELDS.map((f) => `update.${f}`)]],
    ['delete', ['delete']],
    ['status', ['status']],
    ['help', ['help']],
    ['policy', ['policy']],
    ['business', ['business']],
    ['subscribe', ['subscribe']],
    ['restrict processing', ['restrict']],
    ['lift a restriction', ['resume']],
    ['none', ['none']],
  ];
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('**Corpus**'), readme.indexOf('**false opt-outs**') + 100);
  const count = (labels: string[]) =>
    labels.reduce((n, l) => n + (corpus[l as keyof typeof corpus]?.length ?? 0), 0);

  it('are this corpus: the total, each row recognised / total, and the false opt-outs', () => {
    expect(section).toContain(`${cases.length} phrasings`);
    for (const [row, labels] of ROWS) {
      const n = count(labels);
      const line = section.split('\n').find((l) => l.startsWith(`| ${row}`));
      expect(line, row).toMatch(new RegExp(`\\| ${n} / ${n} \\|$`));
    }
    expect(ROWS.flatMap(([, labels]) => labels).sort()).toEqual(Object.keys(corpus).sort());
    const notClear = cases.length - count(['opt_out']);
    expect(section).toMatch(new RegExp(`\\*\\*false opt-outs\\*\\* \\| \\*\\*0\\*\\* of the ${notClear} `));
  });
});
