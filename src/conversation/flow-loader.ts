import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import type { ZodError } from 'zod';
import { type Flow, flowSchema, type Step } from './flow-schema.js';
import { INTENTS_FILE, type Lexicon, loadLexicon } from './intents/index.js';
import { LOCALES, type Locale, type LocaleTexts, parseLocale } from './locales.js';

export interface FlowProblem {
  file: string;
  step?: string;
  message: string;
}

/** What the checker needs to know about the TypeScript side: action names and what they use. */
export interface FlowCatalog {
  actions: Map<string, { outcomes: readonly string[]; texts: readonly string[] }>;
  /** Locale keys the engine itself says (expired session, not understood…). */
  engineTexts: readonly string[];
  requiredFlows: readonly string[];
}

export interface LoadedFlows {
  flows: Map<string, Flow>;
  locales: Record<Locale, LocaleTexts>;
  /** flows/intents.yaml compiled: how sentences are understood. */
  lexicon?: Lexicon;
}

export class FlowsInvalidError extends Error {
  constructor(readonly problems: FlowProblem[]) {
    super(`Invalid flows:\n${formatProblems(problems)}`);
    this.name = 'FlowsInvalidError';
  }
}

export function formatProblems(problems: FlowProblem[]): string {
  return problems.map((p) => `  ${p.file}${p.step ? `: step "${p.step}"` : ''}: ${p.message}`).join('\n');
}

function zodProblems(file: string, error: ZodError): FlowProblem[] {
  return error.issues.map((issue) => {
    const [first, second, ...rest] = issue.path.map(String);
    const inStep = first === 'steps' && second !== undefined;
    const where = (inStep ? rest : issue.path.map(String)).join('.');
    return {
      file,
      ...(inStep ? { step: second } : {}),
      message: `${where ? `${where}: ` : ''}${issue.message}`,
    };
  });
}

/** Reads and checks every flow and both locales; returns the problems instead of throwing. */
export function checkFlows(
  dir: string,
  catalog: FlowCatalog,
): { loaded: LoadedFlows; problems: FlowProblem[] } {
  const problems: FlowProblem[] = [];
  const locales = {} as Record<Locale, LocaleTexts>;
  for (const locale of LOCALES) {
    const file = join(dir, 'locales', `${locale}.yaml`);
    try {
      locales[locale] = parseLocale(readFileSync(file, 'utf8'));
    } catch (err) {
      problems.push({ file, message: `cannot read locale: ${(err as Error).message.split('\n')[0]}` });
      locales[locale] = new Map();
    }
  }

  const flows = new Map<string, Flow>();
  const files = new Map<string, string>();
  let entries: string[] = [];
  try {
    // intents.yaml sits beside the flows but is not one: its word lists are checked below.
    entries = readdirSync(dir).filter(
      (f) => (f.endsWith('.yaml') || f.endsWith('.yml')) && f !== INTENTS_FILE,
    );
  } catch {
    problems.push({ file: dir, message: 'no such flows directory' });
  }
  for (const name of entries.sort()) {
    const file = join(dir, name);
    let raw: unknown;
    try {
      raw = parse(readFileSync(file, 'utf8'));
    } catch (err) {
      problems.push({ file, message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    const result = flowSchema.safeParse(raw);
    if (!result.success) {
      problems.push(...zodProblems(file, result.error));
      continue;
    }
    const flow = result.data;
    if (flow.id !== basename(name).replace(/\.ya?ml$/, '')) {
      problems.push({ file, message: `id "${flow.id}" must match the file name` });
    }
    if (flows.has(flow.id)) problems.push({ file, message: `flow "${flow.id}" is defined twice` });
    flows.set(flow.id, flow);
    files.set(flow.id, file);
  }

  for (const required of catalog.requiredFlows) {
    if (!flows.has(required) && !entries.includes(`${required}.yaml`))
      problems.push({ file: dir, message: `missing flow "${required}"` });
  }

  const usedKeys = new Map<string, string>(); // key → where
  for (const key of catalog.engineTexts) usedKeys.set(key, 'the engine');
  const lexicon = checkIntents(dir, flows, entries, usedKeys, problems);
  for (const [id, flow] of flows) {
    const file = files.get(id) ?? id;
    const problem = (step: string | undefined, message: string) =>
      problems.push({ file, ...(step ? { step } : {}), message });
    if (!flow.steps[flow.start]) problem(undefined, `start step "${flow.start}" does not exist`);
    for (const [stepId, step] of Object.entries(flow.steps)) {
      for (const target of targetsOf(step)) {
        if (target === 'end') continue;
        if (target.startsWith('flow:')) {
          if (!flows.has(target.slice(5)) && !entries.includes(`${target.slice(5)}.yaml`)) {
            problem(stepId, `goes to unknown flow "${target.slice(5)}"`);
          }
        } else if (!flow.steps[target]) problem(stepId, `goes to unknown step "${target}"`);
      }
      if (step.type === 'call' && !entries.includes(`${step.flow}.yaml`)) {
        problem(stepId, `calls unknown flow "${step.flow}"`);
      }
      if (step.type === 'action') {
        const action = catalog.actions.get(step.action);
        if (!action) {
          problem(stepId, `unknown action "${step.action}"`);
        } else {
          for (const outcome of action.outcomes) {
            if (!(outcome in step.on))
              problem(stepId, `outcome "${outcome}" of ${step.action} is not handled`);
          }
          for (const outcome of Object.keys(step.on)) {
            if (!action.outcomes.includes(outcome)) {
              problem(
                stepId,
                `${step.action} has no outcome "${outcome}" (it has: ${action.outcomes.join(', ')})`,
              );
            }
          }
          for (const key of action.texts) usedKeys.set(key, `action ${step.action}`);
        }
      }
      for (const key of textsOf(step)) if (!usedKeys.has(key)) usedKeys.set(key, `${file} step "${stepId}"`);
    }
  }
  for (const [key, where] of usedKeys) {
    for (const locale of LOCALES) {
      if (!locales[locale].has(key)) {
        const [file, step] = where.includes(' step "') ? where.split(' step "') : [where, undefined];
        problems.push({
          file: file ?? where,
          ...(step ? { step: step.replace(/"$/, '') } : {}),
          message: `text "${key}" is missing in locales/${locale}.yaml`,
        });
      }
    }
  }
  return { loaded: { flows, locales, ...(lexicon ? { lexicon } : {}) }, problems };
}

/**
 * flows/intents.yaml: its own problems (unknown intent, empty list, a phrase claimed by two
 * intents, unknown group) and its references to flows and texts, checked like a flow's.
 */
function checkIntents(
  dir: string,
  flows: Map<string, Flow>,
  entries: string[],
  usedKeys: Map<string, string>,
  problems: FlowProblem[],
): Lexicon | undefined {
  const file = join(dir, INTENTS_FILE);
  const { lexicon, problems: found } = loadLexicon(file);
  for (const p of found) problems.push({ file, message: p.where ? `${p.where}: ${p.message}` : p.message });
  if (!lexicon) return undefined;
  for (const { flow, where } of lexicon.references.flows) {
    if (!flows.has(flow) && !entries.includes(`${flow}.yaml`)) {
      problems.push({ file, message: `${where}: unknown flow "${flow}"` });
    }
  }
  for (const { key, where } of lexicon.references.texts) {
    if (!usedKeys.has(key)) usedKeys.set(key, `${file} ${where}`);
  }
  return lexicon;
}

/** Loads flows for the engine, refusing to start on any problem (same report as `flows check`). */
export function loadFlows(dir: string, catalog: FlowCatalog): LoadedFlows {
  const { loaded, problems } = checkFlows(dir, catalog);
  if (problems.length > 0) throw new FlowsInvalidError(problems);
  return loaded;
}

function targetsOf(step: Step): string[] {
  switch (step.type) {
    case 'say':
    case 'ask':
      return [step.next, ...(step.type === 'ask' ? (step.shortcuts ?? []).map((s) => s.next) : [])];
    case 'choose':
      return step.options.map((o) => o.next);
    case 'confirm':
      return [step.yes, step.no];
    case 'action':
      return Object.values(step.on);
    case 'call':
      return [step.next];
    case 'goto':
      return [step.to];
    case 'end':
      return [];
  }
}

function textsOf(step: Step): string[] {
  switch (step.type) {
    case 'say':
      return [step.text];
    case 'ask':
      return [
        step.text,
        ...(step.invalid ? [step.invalid] : []),
        ...(step.again ? [step.again] : []),
        ...(step.contactButton ? [step.contactButton] : []),
        ...(step.shortcuts ?? []).map((s) => s.label),
      ];
    case 'choose':
      return [step.text, ...step.options.map((o) => o.label)];
    case 'confirm':
      return [step.text];
    case 'end':
      return step.text ? [step.text] : [];
    default:
      return [];
  }
}
