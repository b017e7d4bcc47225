/**
 * The first, purely mechanical part of reading a message: characters to clauses of words. What
 * the words mean (spellings, affixes, typos) is `reading.ts`'s job, with the lexicon.
 */

/** Punctuation that ends a clause; a negation never reaches past one. */
const CLAUSE_END = /[.,!?;:()[\]{}\n\r\u2026]+/u;

/** Lower case, accents removed, apostrophes dropped ("don't" → "dont"). */
export function foldCase(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['\u2018\u2019`\u00b4]/gu, '');
}

/**
 * One clause's words. Reduplication reads as the word once ("diskon2" → "diskon", "promo-promo"
 * → "promo", "kirim2in" → "kirimin"); a hyphen inside a word joins it ("e-mail" → "email");
 * letters repeated three times or more count once ("stoppp" → "stop"). Word by word, with
 * anchored patterns: the work grows with the text, never with its square.
 */
export function wordsOf(clause: string): string[] {
  const words: string[] = [];
  for (const raw of clause.split(/[^\p{L}\p{N}-]+/u)) {
    const parts = raw.split('-').filter(Boolean);
    if (parts.length === 0) continue;
    const joined = parts.length === 2 && parts[0] === parts[1] ? (parts[0] as string) : parts.join('');
    words.push(joined.replace(/^(\p{L}{2,})2(\p{L}*)$/u, '$1$2').replace(/(\p{L})\1{2,}/gu, '$1'));
  }
  return words;
}

/** A request is stated in its first sentences; a long text is read this far (see MAX_WORDS). */
export const MAX_CHARS = 1000;

/** The message in clauses of words, and whether it asked a question mark. */
export function clausesOf(text: string): { clauses: string[][]; questionMark: boolean } {
  const folded = foldCase(text.slice(0, MAX_CHARS));
  return {
    clauses: folded
      .split(CLAUSE_END)
      .map(wordsOf)
      .filter((c) => c.length > 0),
    questionMark: folded.includes('?'),
  };
}

/** "hapuss" → "hapus": doubled letters once, to try when the word as typed is unknown. */
export function undouble(word: string): string {
  return word.replace(/(\p{L})\1/gu, '$1');
}
