import {
  INTENT_NAMES,
  type IntentName,
  type IntentSpec,
  type IntentsFile,
  UPDATE_FIELDS,
  type UpdateField,
} from './schema.js';
import { foldCase, wordsOf } from './text.js';

/**
 * `flows/intents.yaml` compiled for reading: every list normalised the way a message is, groups
 * expanded, phrases split into elements. Compiling is also checking: what cannot be compiled is
 * reported as a problem with where it is in the file, for `flows check`.
 */

/** One element of a phrase: a word, or any word of a group. */
export type Element = { word: string } | { group: string; members: ReadonlySet<string> };

export interface Phrase {
  /** As written in the file: what the decision log names. */
  source: string;
  /** Where in the file, for problems: `intents.delete.phrases[2]`. */
  where: string;
  elements: Element[];
}

export interface PhraseSet {
  phrases: Phrase[];
  /** Count only when their first element follows a refusal. */
  refused: Phrase[];
}

export interface CompiledIntent extends PhraseSet {
  name: Exclude<IntentName, 'opt_out'>;
  flow: string;
  understood?: string;
  fields: { field: UpdateField; members: ReadonlySet<string>; understood?: string }[];
}

export interface OptOutRules {
  words: ReadonlySet<string>;
  clear: PhraseSet;
  probable: PhraseSet;
  unsure: Element[];
  flow: string;
  understood?: string;
}

export interface Lexicon {
  spellings: ReadonlyMap<string, string[]>;
  /** Spellings of two words or more ("no hp"), longest first. */
  multiSpellings: { from: string[]; to: string[] }[];
  particles: ReadonlySet<string>;
  /** Word sequences read as one word, longest first. */
  expressions: { words: string[]; joined: string }[];
  vocabulary: ReadonlySet<string>;
  /** Every word some phrase can match: a message with none of them asks nothing. */
  phraseWords: ReadonlySet<string>;
  /** Vocabulary words a typo may be forgiven against, by length. */
  fuzzyPool: ReadonlyMap<number, string[]>;
  negations: ReadonlySet<string>;
  refusals: ReadonlySet<string>;
  notNegating: ReadonlySet<string>;
  breaks: ReadonlySet<string>;
  stopWords: ReadonlySet<string>;
  /** Words of one language only, as typed (folded, no spellings applied). */
  languages: { id: ReadonlySet<string>; en: ReadonlySet<string> };
  optOut: OptOutRules;
  /** Every other intent, in the file's order (which breaks ties). */
  intents: CompiledIntent[];
  /** Flows and locale keys the file names, for the caller to check against what exists. */
  references: { flows: { flow: string; where: string }[]; texts: { key: string; where: string }[] };
}

export interface LexiconProblem {
  where: string;
  message: string;
}

/** Shortest word a typo is forgiven in: "data"/"dana", "stop"/"shop" are too close to guess. */
export const FUZZY_MIN_LENGTH = 5;

export function compileLexicon(file: IntentsFile): { lexicon: Lexicon; problems: LexiconProblem[] } {
  const problems: LexiconProblem[] = [];
  const problem = (where: string, message: string) => problems.push({ where, message });

  // Spellings and particles first: every other list is read through them.
  const spellings = new Map<string, string[]>();
  const multiSpellings: { from: string[]; to: string[] }[] = [];
  for (const [from, to] of Object.entries(file.spellings)) {
    const fromWords = wordsOf(foldCase(from));
    const toWords = wordsOf(foldCase(to));
    if (fromWords.length === 0 || toWords.length === 0) {
      problem(`spellings.${from}`, 'reads as nothing');
      continue;
    }
    if (fromWords.length === 1) spellings.set(fromWords[0] as string, toWords);
    else multiSpellings.push({ from: fromWords, to: toWords });
  }
  multiSpellings.sort((a, b) => b.from.length - a.from.length);
  const particles = new Set(file.particles.flatMap((p) => wordsOf(foldCase(p))));

  /** A list entry's words, as a message's would read (spellings, particles), before expressions. */
  const plainWords = (text: string): string[] => {
    const out: string[] = [];
    const raw = wordsOf(foldCase(text));
    for (let i = 0; i < raw.length; i++) {
      const multi = multiSpellings.find((s) => s.from.every((w, k) => raw[i + k] === w));
      if (multi) {
        out.push(...multi.to);
        i += multi.from.length - 1;
        continue;
      }
      const word = raw[i] as string;
      out.push(...(spellings.get(word) ?? [word]));
    }
    return out.filter((w) => !particles.has(w));
  };

  // Expressions: the declared ones and every entry of two words or more in the word lists.
  const expressionWords = new Map<string, string[]>();
  const addExpression = (text: string) => {
    const words = plainWords(text);
    if (words.length > 1) expressionWords.set(words.join('_'), words);
  };
  for (const e of file.expressions) addExpression(e);
  for (const list of [file.negations, file.refusals, file.not_negating, file.breaks])
    list.forEach(addExpression);
  for (const members of Object.values(file.groups)) {
    for (const m of members) if (!/^<.*>$/.test(m)) addExpression(m);
  }
  const expressions = [...expressionWords].map(([joined, words]) => ({ joined, words }));
  expressions.sort((a, b) => b.words.length - a.words.length);

  /** Words joined by the expressions, greedy from the left, longest first. */
  const joinExpressions = (words: string[]): string[] => {
    const out: string[] = [];
    for (let i = 0; i < words.length; i++) {
      const e = expressions.find((x) => x.words.every((w, k) => words[i + k] === w));
      if (e) {
        out.push(e.joined);
        i += e.words.length - 1;
      } else out.push(words[i] as string);
    }
    return out;
  };
  const entryTokens = (text: string) => joinExpressions(plainWords(text));

  const vocabulary = new Set<string>();
  const learn = (words: string[]) => {
    for (const w of words) for (const part of w.split('_')) vocabulary.add(part);
  };
  for (const to of spellings.values()) learn(to);
  for (const s of multiSpellings) learn(s.to);
  for (const e of expressions) learn(e.words);

  const wordSet = (where: string, entries: string[]): Set<string> => {
    const set = new Set<string>();
    for (const [i, entry] of entries.entries()) {
      const tokens = entryTokens(entry);
      if (tokens.length !== 1) {
        problem(`${where}[${i}]`, `"${entry}" reads as ${tokens.length ? tokens.join(' ') : 'nothing'}`);
        continue;
      }
      set.add(tokens[0] as string);
      learn(tokens);
    }
    return set;
  };
  const negations = wordSet('negations', file.negations);
  const refusals = wordSet('refusals', file.refusals);
  for (const r of refusals) negations.add(r);
  const notNegating = wordSet('not_negating', file.not_negating);
  const breaks = wordSet('breaks', file.breaks);

  // Groups, with <other> groups expanded; a cycle is a problem, not a hang.
  const groups = new Map<string, Set<string>>();
  const expanding = new Set<string>();
  const expand = (name: string, where: string): Set<string> | undefined => {
    const done = groups.get(name);
    if (done) return done;
    const members = file.groups[name];
    if (!members) return undefined;
    if (expanding.has(name)) {
      problem(where, `group "${name}" includes itself`);
      return new Set();
    }
    expanding.add(name);
    const set = new Set<string>();
    for (const [i, member] of members.entries()) {
      const ref = /^<([a-z][a-z0-9_]*)>$/.exec(member);
      if (ref) {
        const inner = expand(ref[1] as string, `groups.${name}[${i}]`);
        if (inner) for (const m of inner) set.add(m);
        else problem(`groups.${name}[${i}]`, `unknown group "${ref[1]}"`);
        continue;
      }
      const tokens = entryTokens(member);
      if (tokens.length !== 1) {
        problem(
          `groups.${name}[${i}]`,
          `"${member}" reads as ${tokens.length ? tokens.join(' ') : 'nothing'}`,
        );
        continue;
      }
      set.add(tokens[0] as string);
      learn(tokens);
    }
    expanding.delete(name);
    groups.set(name, set);
    return set;
  };
  for (const name of Object.keys(file.groups)) expand(name, `groups.${name}`);

  /** A phrase's elements: `<group>` or words (read like a message, expressions joined). */
  const compilePhrase = (source: string, where: string): Phrase | undefined => {
    const elements: Element[] = [];
    let literal: string[] = [];
    const flush = () => {
      for (const word of entryTokens(literal.join(' '))) {
        elements.push({ word });
        learn([word]);
      }
      literal = [];
    };
    for (const part of source.trim().split(/\s+/)) {
      const ref = /^<([a-z][a-z0-9_]*)>$/.exec(part);
      if (!ref) {
        literal.push(part);
        continue;
      }
      flush();
      const members = groups.get(ref[1] as string);
      if (!members) {
        problem(where, `unknown group "${ref[1]}" in "${source}"`);
        return undefined;
      }
      elements.push({ group: ref[1] as string, members });
    }
    flush();
    if (elements.length === 0) {
      problem(where, `"${source}" reads as nothing (only particles?)`);
      return undefined;
    }
    return { source, where, elements };
  };
  const compileList = (entries: string[] | undefined, where: string): Phrase[] =>
    (entries ?? []).flatMap((p, i) => compilePhrase(p, `${where}[${i}]`) ?? []);

  // Who claims which phrase: the same words (in any order, same polarity) for two intents is
  // ambiguous, and which one wins would depend on the file's order.
  const claims = new Map<string, string>();
  const ownerOf = (w: string) => w.split('.').slice(0, 2).join('.');
  /** Every phrase claimed, in the file's order, for the overlap check after the intents. */
  const claimed: { phrase: Phrase; polarity: 'phrases' | 'refused'; key: string }[] = [];
  const claim = (phrases: Phrase[], polarity: 'phrases' | 'refused') => {
    for (const p of phrases) {
      const where = p.where;
      const key = `${polarity}:${p.elements
        .map((e) => ('group' in e ? `<${e.group}>` : e.word))
        .sort()
        .join(' ')}`;
      claimed.push({ phrase: p, polarity, key });
      const previous = claims.get(key);
      if (previous && ownerOf(previous) !== ownerOf(where)) {
        problem(where, `phrase "${p.source}" is also claimed by ${previous}`);
      } else if (previous) {
        problem(where, `phrase "${p.source}" is listed twice (also ${previous})`);
      } else claims.set(key, where);
    }
  };
  /** opt_out's whole-message words, as read: a phrase of another intent may not be one of them. */
  const optOutWordClaims: { tokens: string[]; source: string; where: string }[] = [];

  const references: Lexicon['references'] = { flows: [], texts: [] };
  const intents: CompiledIntent[] = [];
  let optOut: OptOutRules | undefined;
  const known = new Set<string>(INTENT_NAMES);
  for (const [name, spec] of Object.entries(file.intents)) {
    const where = `intents.${name}`;
    if (!known.has(name)) {
      problem(where, `unknown intent "${name}" (known: ${INTENT_NAMES.join(', ')})`);
      continue;
    }
    references.flows.push({ flow: spec.flow, where: `${where}.flow` });
    if (spec.understood) references.texts.push({ key: spec.understood, where: `${where}.understood` });
    if (name === 'opt_out') {
      optOut = compileOptOut(spec, where);
      continue;
    }
    for (const key of ['words', 'clear', 'probable', 'unsure_with'] as const) {
      if (spec[key]) problem(`${where}.${key}`, `only opt_out has ${key}`);
    }
    if (spec.fields && name !== 'update') problem(`${where}.fields`, 'only update has fields');
    const phrases = compileList(spec.phrases, `${where}.phrases`);
    const refused = compileList(spec.refused, `${where}.refused`);
    if (!spec.phrases && !spec.refused) problem(where, 'has no phrases');
    claim(phrases, 'phrases');
    claim(refused, 'refused');
    const fields: CompiledIntent['fields'] = [];
    for (const [field, f] of Object.entries(spec.fields ?? {})) {
      if (!(UPDATE_FIELDS as readonly string[]).includes(field)) {
        problem(
          `${where}.fields.${field}`,
          `unknown field (the update flow has: ${UPDATE_FIELDS.join(', ')})`,
        );
        continue;
      }
      const members = groups.get(f.group);
      if (!members) {
        problem(`${where}.fields.${field}`, `unknown group "${f.group}"`);
        continue;
      }
      if (f.understood) references.texts.push({ key: f.understood, where: `${where}.fields.${field}` });
      fields.push({
        field: field as UpdateField,
        members,
        ...(f.understood ? { understood: f.understood } : {}),
      });
    }
    intents.push({
      name: name as CompiledIntent['name'],
      flow: spec.flow,
      ...(spec.understood ? { understood: spec.understood } : {}),
      phrases,
      refused,
      fields,
    });
  }

  function compileOptOut(spec: IntentSpec, where: string): OptOutRules {
    if (spec.phrases || spec.refused) problem(where, 'opt_out lists its phrases under clear: and probable:');
    if (spec.fields) problem(`${where}.fields`, 'only update has fields');
    if (!spec.clear?.phrases && !spec.clear?.refused) problem(`${where}.clear`, 'has no phrases');
    const section = (key: 'clear' | 'probable'): PhraseSet => {
      const phrases = compileList(spec[key]?.phrases, `${where}.${key}.phrases`);
      const refused = compileList(spec[key]?.refused, `${where}.${key}.refused`);
      claim(phrases, 'phrases');
      claim(refused, 'refused');
      return { phrases, refused };
    };
    const words = new Set<string>();
    for (const [i, w] of (spec.words ?? []).entries()) {
      const tokens = entryTokens(w);
      if (tokens.length === 0) problem(`${where}.words[${i}]`, `"${w}" reads as nothing`);
      else {
        words.add(tokens.join(' '));
        optOutWordClaims.push({ tokens, source: w, where: `${where}.words[${i}]` });
      }
      learn(tokens);
    }
    const unsure = compileList(spec.unsure_with, `${where}.unsure_with`).flatMap((p) => {
      if (p.elements.length !== 1)
        problem(`${where}.unsure_with`, `"${p.source}" must be one word or <group>`);
      return p.elements.slice(0, 1);
    });
    return {
      words,
      clear: section('clear'),
      probable: section('probable'),
      unsure,
      flow: spec.flow,
      ...(spec.understood ? { understood: spec.understood } : {}),
    };
  }

  if (!optOut) problem('intents', 'missing intent "opt_out" (natural-language opt-out needs it)');

  // Claimed by two intents in other words: phrases one message matches equally (as many elements,
  // each sharing a word with one of the other's: "harga" and "<price>", "cek data" and
  // "<see> <mydata>") leave the choice to the file's order; a phrase that is one of opt_out's
  // whole-message words ("quit") never wins. Exact repeats were reported above.
  const meet = (a: Element, b: Element) =>
    'word' in a
      ? 'word' in b
        ? a.word === b.word
        : b.members.has(a.word)
      : 'word' in b
        ? a.members.has(b.word)
        : [...a.members].some((m) => b.members.has(m));
  /** Whether each element of `a` can be paired with its own element of `b` that it meets. */
  const pairUp = (a: Element[], b: Element[], used: boolean[] = b.map(() => false), i = 0): boolean => {
    if (i === a.length) return true;
    for (let j = 0; j < b.length; j++) {
      if (used[j] || !meet(a[i] as Element, b[j] as Element)) continue;
      used[j] = true;
      if (pairUp(a, b, used, i + 1)) return true;
      used[j] = false;
    }
    return false;
  };
  for (const [n, later] of claimed.entries()) {
    for (const earlier of claimed.slice(0, n)) {
      if (earlier.polarity !== later.polarity || earlier.key === later.key) continue;
      if (ownerOf(earlier.phrase.where) === ownerOf(later.phrase.where)) continue;
      if (earlier.phrase.elements.length !== later.phrase.elements.length) continue;
      if (!pairUp(later.phrase.elements, earlier.phrase.elements)) continue;
      problem(
        later.phrase.where,
        `phrase "${later.phrase.source}" is also claimed by ${earlier.phrase.where} ("${earlier.phrase.source}"): one message matches both`,
      );
    }
  }
  for (const { phrase, polarity } of claimed) {
    if (polarity !== 'phrases' || ownerOf(phrase.where) === 'intents.opt_out') continue;
    for (const word of optOutWordClaims) {
      if (word.tokens.length !== phrase.elements.length) continue;
      if (
        !pairUp(
          phrase.elements,
          word.tokens.map((w) => ({ word: w })),
        )
      )
        continue;
      problem(phrase.where, `phrase "${phrase.source}" is also claimed by ${word.where} ("${word.source}")`);
    }
  }
  const stopWords = groups.get('stop') ?? new Set<string>();
  if (!groups.has('stop')) problem('groups', 'missing group "stop" (it ends a negation\'s reach)');

  const phraseWords = new Set<string>();
  const allPhrases = [
    ...intents.flatMap((i) => [...i.phrases, ...i.refused]),
    ...(optOut ? [optOut.clear, optOut.probable].flatMap((p) => [...p.phrases, ...p.refused]) : []),
  ];
  for (const phrase of allPhrases) {
    for (const e of phrase.elements) {
      if ('word' in e) phraseWords.add(e.word);
      else for (const m of e.members) phraseWords.add(m);
    }
  }

  const fuzzyPool = new Map<number, string[]>();
  for (const word of [...vocabulary].sort()) {
    if (word.length < FUZZY_MIN_LENGTH || !/^\p{L}+$/u.test(word)) continue;
    const bucket = fuzzyPool.get(word.length) ?? [];
    bucket.push(word);
    fuzzyPool.set(word.length, bucket);
  }

  return {
    lexicon: {
      spellings,
      multiSpellings,
      particles,
      expressions,
      vocabulary,
      phraseWords,
      fuzzyPool,
      negations,
      refusals,
      notNegating,
      breaks,
      stopWords,
      languages: {
        id: new Set((file.languages?.id ?? []).flatMap((w) => wordsOf(foldCase(w)))),
        en: new Set((file.languages?.en ?? []).flatMap((w) => wordsOf(foldCase(w)))),
      },
      optOut: optOut ?? {
        words: new Set(),
        clear: { phrases: [], refused: [] },
        probable: { phrases: [], refused: [] },
        unsure: [],
        flow: 'unsubscribe',
      },
      intents,
      references,
    },
    problems,
  };
}
