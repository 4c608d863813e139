// Import-graph check: no import cycles among the project's .ts files, and the layering rules (core/ imports no backend).
// Usage: node .ci/imports.mjs [--graph]   (exits 1 and lists every cycle / violation)
import ts from 'typescript';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = new Set(['node_modules', 'dist', '.git', 'bench-results', 'runs', 'reproduction', 'generated']);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts') && !name.endsWith('.d.mts')) out.push(p);
  }
  return out;
}

const rel = (f) => relative(root, f).split(sep).join('/');

/** Relative import specifiers of a file: static imports and re-exports (`import type` too), and dynamic import() (layering only, not cycles). */
function importsOf(file) {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const specs = [];
  const visit = (node) => {
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      specs.push({ spec: node.arguments[0].text, typeOnly: false, dynamic: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  for (const st of src.statements) {
    if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      specs.push({ spec: st.moduleSpecifier.text, typeOnly: ts.isImportDeclaration(st) ? !!st.importClause?.isTypeOnly : st.isTypeOnly });
    }
  }
  return specs;
}

function resolveSpec(from, spec) {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  for (const cand of [base.replace(/\.m?js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base + '.ts', join(base, 'index.ts')]) {
    if (existsSync(cand) && statSync(cand).isFile()) return cand;
  }
  return null;
}

const files = walk(root, []);
const graph = new Map(files.map((f) => [rel(f), []]));
for (const f of files) {
  for (const { spec, typeOnly, dynamic = false } of importsOf(f)) {
    const to = resolveSpec(f, spec);
    if (to !== null) graph.get(rel(f)).push({ to: rel(to), typeOnly, dynamic });
  }
}

// Tarjan's strongly connected components: every component with more than one file (or a self-import) is a cycle.
let index = 0;
const idx = new Map();
const low = new Map();
const onStack = new Set();
const stack = [];
const cycles = [];
function strong(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const { to, dynamic } of graph.get(v) ?? []) {
    if (dynamic) continue;
    if (!idx.has(to)) {
      strong(to);
      low.set(v, Math.min(low.get(v), low.get(to)));
    } else if (onStack.has(to)) low.set(v, Math.min(low.get(v), idx.get(to)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1 || (graph.get(v) ?? []).some((e) => e.to === v)) cycles.push(comp.sort());
  }
}
for (const v of graph.keys()) if (!idx.has(v)) strong(v);

// Layering: the ground floor (core/) may use kernels/geometry and kernels/elementwise (pure index math and op names,
// no device code) but no backend implementation; kernels/ never imports ops/ or nn/; nothing in the library imports cli/ or bench/.
const rules = [
  { from: /^core\//, to: /^kernels\/(cpu|wasm|gpu)\//, why: 'core/ imports no concrete backend' },
  { from: /^core\//, to: /^(ops|nn|cli|bench)\//, why: 'core/ is the ground floor' },
  { from: /^kernels\//, to: /^(ops|nn|cli|bench|test)\//, why: 'kernels/ do not depend on ops/ or nn/' },
  { from: /^ops\//, to: /^(nn|cli|bench)\//, why: 'ops/ do not depend on nn/' },
  { from: /^(core|ops|nn|kernels)\//, to: /^(cli|bench|test)\//, why: 'the library does not import its tools' },
  { from: /^bench\//, to: /^cli\//, why: 'bench/ does not import cli/ (the CLI imports bench/)' },
];
const violations = [];
for (const [from, edges] of graph) {
  for (const { to } of edges) {
    for (const r of rules) if (r.from.test(from) && r.to.test(to)) violations.push(`${from} -> ${to}: ${r.why}`);
  }
}

// Entry points (test files, scripts, the CLI, examples) that reach the engine must also reach kernels/register.ts (or the
// package entry), which registers the cpu backend: core/ itself registers none.
const entry = /^(test\/.*\.test\.ts|cli\/main\.ts|examples\/[^/]+\.ts|bench\/[^/]+\.ts)$/;
function reaches(start, target) {
  const seen = new Set([start]);
  const todo = [start];
  while (todo.length > 0) {
    const v = todo.pop();
    if (v === target) return true;
    for (const { to } of graph.get(v) ?? [])
      if (!seen.has(to)) {
        seen.add(to);
        todo.push(to);
      }
  }
  return false;
}
for (const f of graph.keys()) {
  if (entry.test(f) && reaches(f, 'core/engine.ts') && !reaches(f, 'kernels/register.ts')) {
    violations.push(`${f}: reaches core/engine.ts but not kernels/register.ts (import it, or the package entry, so the cpu backend is registered)`);
  }
}

if (process.argv.includes('--graph')) for (const [k, v] of graph) console.log(k, '->', v.map((e) => e.to).join(' '));
for (const c of cycles) console.error(`import cycle: ${c.join(' <-> ')}`);
for (const v of violations) console.error(`layering: ${v}`);
const edges = [...graph.values()].reduce((n, e) => n + e.length, 0);
console.log(`imports: ${graph.size} files, ${edges} relative imports, ${cycles.length} cycles, ${violations.length} layering violations`);
process.exit(cycles.length + violations.length > 0 ? 1 : 0);
