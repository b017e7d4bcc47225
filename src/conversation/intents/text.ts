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
 * letters repeated three times or more count once ("stoppp" → "stop").
 */
export function wordsOf(clause: string): string[] {
  return clause
    .replace(/(\p{L}{2,})2(?!\p{N})(\p{L}*)/gu, '$1$2')
    .replace(/(\p{L}+)-(\p{L}+)/gu, (_, a: string, b: string) => (a === b ? a : `${a}${b}`))
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .replace(/(\p{L})\1{2,}/gu, '$1')
    .split(' ')
    .filter(Boolean);
}

/** The message in clauses of words, and whether it asked a question mark. */
export function clausesOf(text: string): { clauses: string[][]; questionMark: boolean } {
  const folded = foldCase(text);
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
