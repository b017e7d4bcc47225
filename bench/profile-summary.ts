/**
 * `npx tsx bench/profile-summary.ts <file.cpuprofile>`: where the CPU time of a `node --cpu-prof`
 * run went, by package / source file and by function (self time).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile>');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
for (const [i, id] of profile.samples.entries())
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] ?? url;
  const src = /\/work\/[^/]+\/(.+)$/.exec(url.replace('file://', ''));
  if (src) return src[1] ?? url;
  return url.startsWith('node:') ? url : url.split('/').slice(-2).join('/');
}

const areas = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, us] of self) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const a = area(url, functionName);
  areas.set(a, (areas.get(a) ?? 0) + us);
  const f = `${functionName || '(anonymous)'} ${a}:${lineNumber + 1}`;
  functions.set(f, (functions.get(f) ?? 0) + us);
}
const top = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n');
process.stdout.write(
  `total ${(total / 1e6).toFixed(1)} s sampled\n\nby area (self time):\n${top(areas, 25)}\n\nby function (self time):\n${top(functions, 30)}\n`,
);
