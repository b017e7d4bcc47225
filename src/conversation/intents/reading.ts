import { distance } from 'fastest-levenshtein';
import { FUZZY_MIN_LENGTH, type Lexicon } from './lexicon.js';
import { clausesOf, undouble } from './text.js';

/**
 * A message read into words the lexicon knows: informal spellings replaced, particles dropped,
 * affixes removed, one typo forgiven, expressions joined, and each word marked with the
 * negation it falls under. Deterministic: the same text always reads the same.
 */

export interface Token {
  word: string;
  clause: number;
  /** Read with a typo forgiven ("unsubscibe" → "unsubscribe"). */
  corrected: boolean;
  /** The nearest negation before it in its clause, when one reaches it. */
  negatedBy?: 'negation' | 'refusal';
}

export interface Reading {
  tokens: Token[];
  /** Every word, space-separated: what a whole-message keyword is compared with. */
  whole: string;
  questionMark: boolean;
}

/** A request is stated in its first words; a long text is read that far and no further. */
export const MAX_WORDS = 64;

const PREFIXES: { prefix: string; restore: string[] }[] = [
  { prefix: '', restore: [''] },
  { prefix: 'di', restore: [''] },
  { prefix: 'ke', restore: [''] },
  { prefix: 'se', restore: [''] },
  { prefix: 'ter', restore: [''] },
  { prefix: 'ber', restore: [''] },
  { prefix: 'be', restore: [''] },
  { prefix: 'per', restore: [''] },
  { prefix: 'diper', restore: [''] },
  { prefix: 'me', restore: [''] },
  { prefix: 'pe', restore: [''] },
  // Nasal prefixes swallow the first letter of the root: menghapus ← hapus, mengirim ← kirim,
  // memperbarui ← perbarui, menarik ← tarik, menyimpan ← simpan; colloquial ngapus, ngirim.
  { prefix: 'meng', restore: ['', 'k'] },
  { prefix: 'peng', restore: ['', 'k'] },
  { prefix: 'mem', restore: ['', 'p'] },
  { prefix: 'pem', restore: ['', 'p'] },
  { prefix: 'memper', restore: [''] },
  { prefix: 'men', restore: ['', 't'] },
  { prefix: 'pen', restore: ['', 't'] },
  { prefix: 'meny', restore: ['s'] },
  { prefix: 'peny', restore: ['s'] },
  { prefix: 'nge', restore: [''] },
  { prefix: 'ng', restore: ['', 'k', 'h'] },
  { prefix: 'ny', restore: ['s'] },
];
const SUFFIXES = [
  '',
  'nya',
  'kan',
  'in',
  'i',
  'an',
  'lah',
  'kah',
  'pun',
  'kannya',
  'innya',
  'annya',
  's',
  'es',
  'd',
  'ed',
  'ing',
];
const MIN_ROOT = 3;

/** Roots the word may have, fewest letters removed first (the order decides, not chance). */
function roots(word: string): string[] {
  const found: { root: string; removed: number }[] = [];
  for (const { prefix, restore } of PREFIXES) {
    if (!word.startsWith(prefix)) continue;
    for (const suffix of SUFFIXES) {
      if (!word.endsWith(suffix) || prefix.length + suffix.length >= word.length) continue;
      if (prefix === '' && suffix === '') continue;
      const middle = word.slice(prefix.length, word.length - suffix.length);
      for (const r of restore) {
        const root = r + middle;
        if (root.length >= MIN_ROOT) found.push({ root, removed: prefix.length + suffix.length - r.length });
      }
    }
  }
  return found.sort((a, b) => a.removed - b.removed).map((f) => f.root);
}

/** Two letters swapped ("hapsu"): one slip of the fingers, though Levenshtein counts two. */
function isTransposition(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i < a.length - 1 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

/** The one vocabulary word this is a typo of, or nothing when none or several are as close. */
function forgiveTypo(word: string, lexicon: Lexicon): string | undefined {
  if (word.length < FUZZY_MIN_LENGTH || !/^\p{L}+$/u.test(word)) return undefined;
  const close: string[] = [];
  for (const length of [word.length - 1, word.length, word.length + 1]) {
    for (const candidate of lexicon.fuzzyPool.get(length) ?? []) {
      const d = distance(word, candidate);
      if (d === 1 || (d === 2 && isTransposition(word, candidate))) close.push(candidate);
    }
  }
  return close.length === 1 ? close[0] : undefined;
}

/** A word as the lexicon knows it: as typed, undoubled, without affixes, or with a typo forgiven. */
function resolve(word: string, lexicon: Lexicon): { word: string; corrected: boolean } {
  const { vocabulary } = lexicon;
  if (vocabulary.has(word) || /^\p{N}+$/u.test(word)) return { word, corrected: false };
  const single = undouble(word);
  if (vocabulary.has(single)) return { word: single, corrected: false };
  for (const candidate of [word, single]) {
    const root = roots(candidate).find((r) => vocabulary.has(r));
    if (root) return { word: root, corrected: false };
  }
  const forgiven = forgiveTypo(word, lexicon) ?? (single !== word ? forgiveTypo(single, lexicon) : undefined);
  return forgiven ? { word: forgiven, corrected: true } : { word, corrected: false };
}

/** Informal spellings (also of two words, "no hp") and particles, on one clause as typed. */
function respell(words: string[], lexicon: Lexicon): string[] {
  const out: string[] = [];
  const at = (i: number) => words[i] as string;
  for (let i = 0; i < words.length; i++) {
    const multi = lexicon.multiSpellings.find((s) =>
      s.from.every((w, k) => i + k < words.length && (at(i + k) === w || undouble(at(i + k)) === w)),
    );
    if (multi) {
      out.push(...multi.to);
      i += multi.from.length - 1;
      continue;
    }
    const word = at(i);
    const single = undouble(word);
    const spelled = lexicon.spellings.get(word) ?? lexicon.spellings.get(single);
    if (spelled) out.push(...spelled);
    else if (!lexicon.particles.has(word) && !lexicon.particles.has(single)) out.push(word);
  }
  return out;
}

function joinExpressions(tokens: Omit<Token, 'clause'>[], lexicon: Lexicon): Omit<Token, 'clause'>[] {
  const out: Omit<Token, 'clause'>[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const e = lexicon.expressions.find((x) => x.words.every((w, k) => tokens[i + k]?.word === w));
    if (e) {
      const parts = tokens.slice(i, i + e.words.length);
      out.push({ word: e.joined, corrected: parts.some((p) => p.corrected) });
      i += e.words.length - 1;
    } else out.push(tokens[i] as Omit<Token, 'clause'>);
  }
  return out;
}

export function readMessage(text: string, lexicon: Lexicon): Reading {
  const { clauses, questionMark } = clausesOf(text);
  const tokens: Token[] = [];
  let clause = 0;
  let budget = MAX_WORDS;
  for (const raw of clauses) {
    if (budget <= 0) break;
    const words = respell(raw.slice(0, budget), lexicon);
    budget -= raw.length;
    const resolved = joinExpressions(
      words.map((w) => resolve(w, lexicon)),
      lexicon,
    );
    for (const token of resolved) {
      // "dan", "tapi": a new clause, as after a comma.
      if (lexicon.breaks.has(token.word)) {
        clause++;
        continue;
      }
      tokens.push({ ...token, clause });
    }
    clause++;
  }
  markNegations(tokens, lexicon);
  return { tokens, whole: tokens.map((t) => t.word).join(' '), questionMark };
}

/**
 * A negation reaches the rest of its clause, unless a word of group `stop` comes between ("jangan
 * berhenti kirim promo": the refusal is of stopping), or a `not_negating` word (the negation is
 * about ability, knowledge or missing out: "tidak tahu cara hapus data", "tidak mau ketinggalan
 * promo"), or a number ("Jl. Melati no 5 dekat toko diskon").
 */
function markNegations(tokens: Token[], lexicon: Lexicon): void {
  let clause = -1;
  let reach: Token['negatedBy'];
  for (const [i, token] of tokens.entries()) {
    if (token.clause !== clause) {
      clause = token.clause;
      reach = undefined;
    }
    if (lexicon.stopWords.has(token.word) || lexicon.notNegating.has(token.word)) {
      if (reach) token.negatedBy = reach;
      reach = undefined;
      continue;
    }
    // "no 5", "tidak 2 kali": a number ends the reach before it starts.
    if (reach && /^\p{N}/u.test(token.word)) reach = undefined;
    if (reach) token.negatedBy = reach;
    if (lexicon.negations.has(token.word)) {
      const next = tokens[i + 1];
      const number = next && /^\p{N}/u.test(next.word);
      reach = number ? undefined : lexicon.refusals.has(token.word) ? 'refusal' : 'negation';
    }
  }
}
