/**
 * Dependencies go one way: the page side (`src/`) may name the worker side (`worker/`) only in
 * type imports (erased at build time) and in the worker's URL, never in a runtime import, so that
 * no worker-only module is pulled into an app's main bundle. The worker side imports what it
 * shares with the page from `src/`. Run by `npm test`; exits 1 naming each offending line.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `import ... from '…'`, `export ... from '…'` and `import('…')`, with whether each is type-only. */
const STATIC = /^\s*(import|export)\s+(type\s+)?[^'"]*?\bfrom\s+['"]([^'"]+)['"]/gm;
const BARE = /^\s*import\s+['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function crossesIntoWorker(specifier: string): boolean {
  return /(^|\/)worker\//.test(specifier);
}

const problems: string[] = [];
for (const file of sources(join(root, 'src'))) {
  const text = readFileSync(file, 'utf8');
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  const where = (index: number) => `${relative(root, file)}:${lineOf(index)}`;
  for (const m of text.matchAll(STATIC)) {
    if (crossesIntoWorker(m[3]!) && !m[2]) problems.push(`${where(m.index)}: runtime ${m[1]} from ${m[3]} (use \`import type\`)`);
  }
  for (const m of text.matchAll(BARE)) {
    if (crossesIntoWorker(m[1]!)) problems.push(`${where(m.index)}: side-effect import of ${m[1]}`);
  }
  for (const m of text.matchAll(DYNAMIC)) {
    if (crossesIntoWorker(m[1]!)) problems.push(`${where(m.index)}: dynamic import of ${m[1]}`);
  }
}

if (problems.length > 0) {
  console.error(`src/ may import from worker/ only types and the worker's URL:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('layers: src/ imports nothing from worker/ at run time');
