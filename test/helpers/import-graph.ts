import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The import graph of `src/`, read from the source text (relative imports only: packages are not
 * modules of ours). Used by the boundary test and to count folder cycles and upward imports.
 */
export interface ImportEdge {
  /** Importing file, relative to src/ (`workers/erase.ts`). */
  from: string;
  /** Imported file, relative to src/ (`requests/states.ts`). */
  to: string;
  /** `import type`, `export type` or every name `type`-qualified: gone at run time. */
  typeOnly: boolean;
}

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+['"](\.{1,2}\/[^'"]+)['"]/g;
const SIDE_EFFECT = /(?:^|\n)\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/g;
const DYNAMIC = /import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every named specifier written `type X`: TypeScript drops the import at run time. */
function allNamesTypeOnly(clause: string): boolean {
  const names = /^\{([^}]*)\}$/.exec(clause.trim())?.[1];
  if (!names) return false;
  const items = names
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length > 0 && items.every((s) => s.startsWith('type '));
}

export function importGraph(srcDir: string): { files: string[]; edges: ImportEdge[] } {
  const files = sourceFiles(srcDir);
  const edges: ImportEdge[] = [];
  const target = (file: string, spec: string) =>
    relative(srcDir, resolve(dirname(file), spec))
      .replace(/\.js$/, '.ts')
      .split('\\')
      .join('/');
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const from = relative(srcDir, file).split('\\').join('/');
    for (const m of text.matchAll(IMPORT)) {
      const [, , typeWord, clause = '', spec = ''] = m;
      edges.push({ from, to: target(file, spec), typeOnly: Boolean(typeWord) || allNamesTypeOnly(clause) });
    }
    for (const m of text.matchAll(SIDE_EFFECT))
      edges.push({ from, to: target(file, m[1] ?? ''), typeOnly: false });
    for (const m of text.matchAll(DYNAMIC))
      edges.push({ from, to: target(file, m[1] ?? ''), typeOnly: false });
  }
  return { files: files.map((f) => relative(srcDir, f).split('\\').join('/')), edges };
}

/** `workers/access/pdf.ts` → `workers`; `cli.ts` → `(root)`. */
export const folderOf = (file: string) => (file.includes('/') ? (file.split('/')[0] as string) : '(root)');

/** Folder pairs that import each other, directly or through others (strongly connected folders). */
export function folderCycles(edges: ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    const a = folderOf(e.from);
    const b = folderOf(e.to);
    if (a === b) continue;
    if (!next.has(a)) next.set(a, new Set());
    next.get(a)?.add(b);
    if (!next.has(b)) next.set(b, new Set());
  }
  // Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return components;
}
