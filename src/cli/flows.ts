import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { flowCatalog } from '../conversation/engine.js';
import { checkFlows, formatProblems } from '../conversation/flow-loader.js';

/** `hakdata flows check [dir]`: every flow and locale file, with file, step and problem. */
export async function runFlowsCheck(dir: string): Promise<number> {
  // A mistyped directory is one line, not every flow, locale and text reported missing in it.
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    process.stderr.write(`flows check: ${dir} is not a directory (give the flows directory, e.g. flows)\n`);
    return 2;
  }
  const { loaded, problems } = checkFlows(resolve(dir), flowCatalog());
  if (problems.length > 0) {
    process.stderr.write(`flows check: ${problems.length} problem(s)\n${formatProblems(problems)}\n`);
    return 1;
  }
  const steps = [...loaded.flows.values()].reduce((n, f) => n + Object.keys(f.steps).length, 0);
  // intents.yaml: the opt-out and every other intent, with their phrases.
  const lexicon = loaded.lexicon;
  const sets = lexicon ? [lexicon.optOut.clear, lexicon.optOut.probable, ...lexicon.intents] : [];
  const phrases = sets.reduce((n, s) => n + s.phrases.length + s.refused.length, 0);
  const intents = lexicon ? lexicon.intents.length + 1 : 0;
  process.stdout.write(
    `flows check: ${loaded.flows.size} flows, ${steps} steps, ${loaded.locales.id.size} texts in id and en, ${intents} intents with ${phrases} phrases: all valid.\n`,
  );
  return 0;
}
