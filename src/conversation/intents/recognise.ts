import type { Element, Lexicon, Phrase, PhraseSet } from './lexicon.js';
import { type Reading, readMessage, type Token } from './reading.js';
import type { IntentName, UpdateField } from './schema.js';

/**
 * What a message asks, decided from the lexicon's phrases, with the rule that decided it.
 *
 * Order of the rules (each explained by `rule` in the decision and the log):
 *  1. `opt_out.words`: the whole message is an opt-out word → clear.
 *  2. `opt_out.clear.*`: a clear phrase, not negated (or a refused one after a refusal) → clear,
 *     unless the message is a question, a typo was forgiven in it, or it also names something in
 *     `unsure_with` → then only probable (`opt_out.unsure`), asked once.
 *  3. Otherwise the longest phrase of any intent wins (as long, then the closer together); equal
 *     ones go to the file's order. An unsure opt-out wins a tie; a merely probable one
 *     (`opt_out.probable.*`, "stop dulu") loses it, and counts only when no other intent was
 *     named, even negated ("stop! jangan hapus data saya" is about the data, not promotions).
 * A message about something else never turns marketing off: only rules 1 and 2 do.
 */

export interface Decision {
  intent: IntentName | 'none';
  /** Only an opt-out is ever probable: the others lead to flows that confirm anyway. */
  confidence: 'clear' | 'probable';
  rule: string;
  /** The phrase of flows/intents.yaml that matched (the file's words, never the message's). */
  phrase?: string;
  /** Elements matched: longer phrases are more specific. */
  score: number;
  /** Words read with a typo forgiven. */
  corrected: number;
  flow?: string;
  understood?: string;
  /** update: the field the message names, when exactly one. */
  field?: UpdateField;
  /** After a clear opt-out: a data right asked in the same message, started next. */
  also?: { intent: IntentName; flow: string; understood?: string; field?: UpdateField };
  /** Intents whose phrases matched only under a negation ("jangan hapus data saya"). */
  negated: IntentName[];
}

interface Match {
  phrase: Phrase;
  positions: number[];
  corrected: boolean;
  polarity: 'phrases' | 'refused';
}

const elementMatches = (element: Element, token: Token): boolean =>
  'word' in element ? element.word === token.word : element.members.has(token.word);

/**
 * The phrase's elements found at distinct positions; the first element (the head) must be free
 * of negation, or for `refused` phrases negated by a refusal.
 */
function matchPhrase(phrase: Phrase, tokens: Token[], polarity: 'phrases' | 'refused'): Match | undefined {
  const { elements } = phrase;
  const head = elements[0] as Element;
  // Plain loops: this runs for every phrase of every message (bench/inbound.ts).
  for (let h = 0; h < tokens.length; h++) {
    const token = tokens[h] as Token;
    if (!elementMatches(head, token)) continue;
    const headOk = polarity === 'phrases' ? !token.negatedBy : token.negatedBy === 'refusal';
    if (!headOk) continue;
    const positions = [h];
    for (let e = 1; e < elements.length; e++) {
      const element = elements[e] as Element;
      let at = -1;
      for (let i = 0; i < tokens.length && at < 0; i++) {
        if (!positions.includes(i) && elementMatches(element, tokens[i] as Token)) at = i;
      }
      if (at < 0) return undefined;
      positions.push(at);
    }
    return { phrase, positions, corrected: positions.some((p) => tokens[p]?.corrected), polarity };
  }
  return undefined;
}

/** Whether the phrase's words are all there but its head is negated (for the log only). */
function negatedOnly(phrase: Phrase, tokens: Token[]): boolean {
  const head = phrase.elements[0] as Element;
  return (
    tokens.some((t) => t.negatedBy && elementMatches(head, t)) &&
    phrase.elements.every((e) => tokens.some((t) => elementMatches(e, t)))
  );
}

const span = (m: Match) => Math.max(...m.positions) - Math.min(...m.positions);
/** > 0 when `a` is the better match: more elements, or as many closer together. */
const longer = (a: Match, b: Match) => a.positions.length - b.positions.length || span(b) - span(a);

/** The best match of a phrase set (first listed wins a full tie), and which list it came from. */
const headWordsOf = new WeakMap<PhraseSet, Set<string>>();
/** Every word a phrase of the set can start with: no such word in the message, no match. */
function headWords(set: PhraseSet): Set<string> {
  let words = headWordsOf.get(set);
  if (!words) {
    words = new Set();
    for (const phrase of [...set.phrases, ...set.refused]) {
      const head = phrase.elements[0] as Element;
      if ('word' in head) words.add(head.word);
      else for (const m of head.members) words.add(m);
    }
    headWordsOf.set(set, words);
  }
  return words;
}

function bestOf(set: PhraseSet, tokens: Token[]): Match | undefined {
  const heads = headWords(set);
  if (!tokens.some((t) => heads.has(t.word))) return undefined;
  let best: Match | undefined;
  for (const phrase of set.phrases) {
    const m = matchPhrase(phrase, tokens, 'phrases');
    if (m && (!best || longer(m, best) > 0)) best = m;
  }
  for (const phrase of set.refused) {
    const m = matchPhrase(phrase, tokens, 'refused');
    if (m && (!best || longer(m, best) > 0)) best = m;
  }
  return best;
}

function fieldOf(
  fields: { field: UpdateField; members: ReadonlySet<string> }[],
  tokens: Token[],
): UpdateField | undefined {
  const named = new Set(
    fields.filter((f) => tokens.some((t) => !t.negatedBy && f.members.has(t.word))).map((f) => f.field),
  );
  return named.size === 1 ? [...named][0] : undefined;
}

/** An opt-out asked once, through the opt-out flow's yes/no question. */
function probableOptOut(lexicon: Lexicon, base: Pick<Decision, 'corrected' | 'negated'>) {
  const { flow, understood } = lexicon.optOut;
  return {
    ...base,
    intent: 'opt_out' as const,
    confidence: 'probable' as const,
    flow,
    ...(understood ? { understood } : {}),
  };
}

/** The data rights worth starting after an opt-out in the same message. */
const ALSO_AFTER_OPT_OUT = new Set<IntentName>(['access', 'update', 'delete', 'status']);

export function decide(reading: Reading, lexicon: Lexicon): Decision {
  const { tokens } = reading;
  const corrected = tokens.filter((t) => t.corrected).length;
  const base = { corrected, negated: [] as IntentName[] };
  const { optOut } = lexicon;

  if (reading.whole && optOut.words.has(reading.whole)) {
    // "unsubscibe": the word, but only with a typo forgiven, is asked once like any unsure one.
    if (corrected) return { ...probableOptOut(lexicon, base), rule: 'opt_out.unsure.typo', score: 1 };
    return { ...base, intent: 'opt_out', confidence: 'clear', rule: 'opt_out.words', score: 1 };
  }

  // No word any phrase could match (a code, a number, a name): nothing to decide.
  if (!tokens.some((t) => lexicon.phraseWords.has(t.word))) {
    return { ...base, intent: 'none', confidence: 'clear', rule: 'no_match', score: 0 };
  }

  // Every other intent's best match, kept in the file's order.
  const others = lexicon.intents.map((intent) => ({ intent, match: bestOf(intent, tokens) }));
  const anyNegated = tokens.some((t) => t.negatedBy);
  for (const { intent, match } of others) {
    if (match || !anyNegated || !tokens.some((t) => t.negatedBy && headWords(intent).has(t.word))) continue;
    if (
      intent.phrases.some((p) => negatedOnly(p, tokens)) ||
      intent.refused.some((p) => negatedOnly(p, tokens))
    )
      base.negated.push(intent.name);
  }
  const found = others.filter((o) => o.match) as {
    intent: (typeof others)[number]['intent'];
    match: Match;
  }[];
  const describe = (o: (typeof found)[number]) => {
    const field = o.intent.fields.length ? fieldOf(o.intent.fields, tokens) : undefined;
    const fieldSpec = o.intent.fields.find((f) => f.field === field);
    const understood = fieldSpec?.understood ?? o.intent.understood;
    return {
      intent: o.intent.name,
      flow: o.intent.flow,
      ...(understood ? { understood } : {}),
      ...(field ? { field } : {}),
    };
  };

  const clear = bestOf(optOut.clear, tokens);
  if (clear) {
    const unsureWord = tokens.some((t) => optOut.unsure.some((e) => elementMatches(e, t)));
    const reason = reading.questionMark
      ? 'question'
      : unsureWord
        ? 'unsure_with'
        : clear.corrected
          ? 'typo'
          : '';
    if (!reason) {
      // Another right in the same message, in words of its own ("… dan hapus data saya").
      const also = found
        .filter((o) => ALSO_AFTER_OPT_OUT.has(o.intent.name))
        .filter((o) => o.match.positions.every((p) => !clear.positions.includes(p)))
        .sort((a, b) => longer(b.match, a.match))[0];
      return {
        ...base,
        intent: 'opt_out',
        confidence: 'clear',
        rule: `opt_out.clear.${clear.polarity}`,
        phrase: clear.phrase.source,
        score: clear.positions.length,
        ...(also ? { also: describe(also) } : {}),
      };
    }
    // Unsure: asked once, unless another intent has a longer phrase (an unsure opt-out wins a tie).
    if (!found.some((o) => o.match.positions.length > clear.positions.length)) {
      return {
        ...probableOptOut(lexicon, base),
        rule: `opt_out.unsure.${reason}`,
        phrase: clear.phrase.source,
        score: clear.positions.length,
      };
    }
  }

  // The longest phrase wins; the file's order breaks ties (sort is stable).
  const winner = [...found].sort((a, b) => longer(b.match, a.match))[0];
  const probable = bestOf(optOut.probable, tokens);
  // "stop! jangan hapus data saya": a stop beside another intent's negated words is about that.
  const aboutOther = base.negated.length > 0;
  if (probable && !aboutOther && (!winner || probable.positions.length > winner.match.positions.length)) {
    return {
      ...probableOptOut(lexicon, base),
      rule: `opt_out.probable.${probable.polarity}`,
      phrase: probable.phrase.source,
      score: probable.positions.length,
    };
  }
  if (!winner) {
    return {
      ...base,
      intent: 'none',
      confidence: 'clear',
      rule: base.negated.length ? 'negated' : 'no_match',
      score: 0,
    };
  }
  return {
    ...base,
    ...describe(winner),
    confidence: 'clear',
    rule: `${winner.intent.name}.${winner.match.polarity}`,
    phrase: winner.match.phrase.source,
    score: winner.match.positions.length,
  };
}

export function recognise(text: string, lexicon: Lexicon): Decision {
  return decide(readMessage(text, lexicon), lexicon);
}
