import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { folderCycles, folderOf, type ImportEdge, importGraph } from '../helpers/import-graph.js';

/**
 * The module boundaries of src/, checked over the import graph (README, "Layers"):
 * - a folder imports only folders in its own layer or below it: nothing runs upward;
 * - a folder with an `index.ts` has declared what other modules may use, and is entered only
 *   through it (no deep imports into its files);
 * - no runtime import cycle between files, and no cycle between folders (two folders that reach
 *   each other cannot be understood, tested or moved one without the other);
 * - every write to `privacyrequests` is made in src/requests/, and only `transition()`
 *   (requests/states.ts) changes a status.
 * The imports that broke a rule when it was introduced are listed below, each with why; the test
 * fails on any new one, and on a listed one that is gone (take it off the list).
 */
const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** Bottom to top. `(root)` is src/cli.ts. */
const LAYERS: readonly (readonly string[])[] = [
  ['config', 'logging', 'db', 'catalogue', 'privacy', 'pdf'], // settings, logs, the data contract, words, masks, PDF layout
  ['queues', 'metrics'], // BullMQ options, Prometheus instruments
  ['identity', 'audit'], // who someone is (phones, codes, links), what was done
  ['channels', 'outbound', 'sessions'], // the platforms, the outbox every message goes through, a chat's session
  ['requests'], // the privacy-request lifecycle
  ['conversation', 'promo', 'reports'], // what customers and the business do with it
  ['workers', 'staff'], // applying requests; staff decisions, console and chat
  ['gateway', 'admin'], // the roles' components
  ['app', 'cli', '(root)', 'seed', 'services'], // composition, commands, development services
];

/**
 * The context every module is given and the component shape every role starts: type imports of
 * these two files are the composition root's contract, allowed from any layer.
 */
const CONTRACT_TYPES = new Set(['app/context.ts', 'app/component.ts']);

const KNOWN_UPWARD: Record<string, string> = {
  'identity/otp-providers/channel.ts -> outbound/index.ts':
    'a code sent as a chat message goes through the outbox',
  'identity/otp-providers/index.ts -> outbound/index.ts': 'as above',
  'metrics/inbound.ts -> channels/types.ts': 'the channel name type of a label',
  'metrics/metrics.ts -> channels/types.ts': 'as above',
  'metrics/outbound.ts -> outbound/index.ts': 'the outbound message meta type of a label',
};

// Empty: every deep import found when the check came has been fixed. Keep it so.
const KNOWN_DEEP: Record<string, string> = {};

const { files, edges } = importGraph(SRC);
const layerOf = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));
const key = (e: ImportEdge) => `${e.from} -> ${e.to}`;
const crossing = edges.filter((e) => folderOf(e.from) !== folderOf(e.to));

const upward = crossing.filter(
  (e) =>
    !(CONTRACT_TYPES.has(e.to) && e.typeOnly) &&
    (layerOf.get(folderOf(e.from)) ?? -1) < (layerOf.get(folderOf(e.to)) ?? -1),
);
const bounded = (folder: string) => folder !== '(root)' && existsSync(`${SRC}/${folder}/index.ts`);
const deep = crossing.filter((e) => bounded(folderOf(e.to)) && e.to !== `${folderOf(e.to)}/index.ts`);

describe('module boundaries (src/)', () => {
  it('places every folder in a layer', () => {
    const folders = [...new Set(files.map(folderOf))].sort();
    expect(folders.filter((f) => !layerOf.has(f))).toEqual([]);
  });

  it('has no import that runs upward, but those listed', () => {
    expect([...new Set(upward.map(key))].filter((k) => !(k in KNOWN_UPWARD)).sort()).toEqual([]);
  });

  it('enters a folder with an index.ts only through it, but where listed', () => {
    expect([...new Set(deep.map(key))].filter((k) => !(k in KNOWN_DEEP)).sort()).toEqual([]);
  });

  it('lists only exceptions that still exist (take a fixed one off)', () => {
    const present = new Set([...upward, ...deep].map(key));
    expect([...Object.keys(KNOWN_UPWARD), ...Object.keys(KNOWN_DEEP)].filter((k) => !present.has(k))).toEqual(
      [],
    );
  });

  it('has no runtime import cycle between files', () => {
    const next = new Map<string, string[]>();
    for (const e of edges) if (!e.typeOnly) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    // Depth-first search with colours: grey on the stack, black done; a grey neighbour is a cycle.
    const colour = new Map<string, 'grey' | 'black'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      colour.set(file, 'grey');
      for (const to of next.get(file) ?? []) {
        if (colour.get(to) === 'grey') cycles.push([...path.slice(path.indexOf(to)), to].join(' -> '));
        else if (!colour.has(to)) visit(to, [...path, to]);
      }
      colour.set(file, 'black');
    };
    for (const file of files) if (!colour.has(file)) visit(file, [file]);
    expect(cycles).toEqual([]);
  });

  it('has no cycle between folders at run time', () => {
    expect(folderCycles(edges.filter((e) => !e.typeOnly))).toEqual([]);
  });

  it('has no cycle between folders through type imports either, but the contract types and those listed', () => {
    const counted = edges.filter(
      (e) => !(CONTRACT_TYPES.has(e.to) && e.typeOnly) && !(key(e) in KNOWN_UPWARD),
    );
    expect(folderCycles(counted)).toEqual([]);
  });
});

describe('request writes (src/requests/)', () => {
  const WRITE =
    /PrivacyRequest\.(?:updateOne|updateMany|findOneAndUpdate|findByIdAndUpdate|create|insertMany|bulkWrite|replaceOne|deleteOne|deleteMany)\(/;
  // No /g: a global regex's .test() keeps lastIndex between files and could skip a writer.
  const writers = files.filter((f) => WRITE.test(readFileSync(`${SRC}/${f}`, 'utf8')));

  it('are made in src/requests/ only: the service creates, transition() changes a status, records.ts the rest', () => {
    expect(writers.sort()).toEqual(['requests/records.ts', 'requests/service.ts', 'requests/states.ts']);
  });

  it('set a status only in requests/states.ts', () => {
    for (const file of writers.filter((f) => f !== 'requests/states.ts')) {
      const text = readFileSync(`${SRC}/${file}`, 'utf8');
      expect(text, file).not.toMatch(/\$set:\s*\{[^}]*\bstatus\b/);
    }
  });
});
