/**
 * The import structure DESIGN.md describes, checked on the code itself (imports parsed
 * with the TypeScript compiler, so comments and strings never count):
 * - the CLI and the extension reach the engine only through the application layer
 *   (src/core/workspace), the error types, and type-only imports;
 * - no import cycle anywhere in src/;
 * - inside src/core, no import runs up the layer order.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SRC = path.join(ROOT, 'src');

interface Edge {
  /** Repository-relative, forward slashes. */
  readonly from: string;
  readonly to: string;
  /** Erased at compile time: `import type`, `export type`, or only `type` specifiers. */
  readonly typeOnly: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');

function resolve(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  }
  // Data files (package.json) are not modules of the layers.
  if (existsSync(base) && !base.endsWith('.ts')) return undefined;
  // Generated at build time (schema validators), not in a fresh checkout.
  if (/\.generated$/.test(base)) return undefined;
  throw new Error(`${rel(from)}: cannot resolve '${specifier}'`);
}

function typeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // a side-effect import runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return (
    !!bindings &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((e) => e.isTypeOnly)
  );
}

function typeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return (
    !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly)
  );
}

function edgesOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const edges: Edge[] = [];
  const add = (specifier: ts.Expression | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return;
    const to = resolve(file, specifier.text);
    if (to) edges.push({ from: rel(file), to: rel(to), typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, typeOnlyImport(node));
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, typeOnlyExport(node));
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, true);
    else if (ts.isCallExpression(node) && node.arguments.length === 1) {
      const callee = node.expression;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if (isRequire || callee.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const EDGES: readonly Edge[] = sources(SRC).flatMap(edgesOf);

/** The engine's parts, lowest first (DESIGN.md); errors and util sit under all of them. */
const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'util'],
  ['environment', 'config', 'logging', 'logger'],
  ['resilience', 'gcp'],
  ['memory', 'vector'],
  ['migration'],
  ['report', 'health'],
  ['workspace'],
];

/** `src/core/memory/client.ts` -> 'memory'; `src/core/environment.ts` -> 'environment'. */
function coreFolder(file: string): string | undefined {
  const match = /^src\/core\/([^/.]+)/.exec(file);
  return match?.[1];
}

function layerOf(file: string): number {
  const folder = coreFolder(file)!;
  const index = LAYERS.findIndex((names) => names.includes(folder));
  assert.notEqual(index, -1, `${file}: src/core/${folder} has no place in the layer order; add it to LAYERS`);
  return index;
}

/** Core modules a side imports for their values (type-only imports are erased). */
function coreValueImports(side: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of EDGES) {
    if (!e.from.startsWith(`${side}/`) || !e.to.startsWith('src/core/') || e.typeOnly) continue;
    out.set(e.to, [...(out.get(e.to) ?? []), e.from]);
  }
  return out;
}

const THROUGH_THE_LAYER = (module: string) =>
  module.startsWith('src/core/workspace/') || module === 'src/core/errors.ts';

describe('foundation: import structure', () => {
  it('parses the imports of every source file', () => {
    assert.ok(EDGES.length > 300, `only ${EDGES.length} imports found: the parser missed some`);
    assert.ok(EDGES.some((e) => e.typeOnly) && EDGES.some((e) => !e.typeOnly));
  });

  for (const side of ['src/cli', 'src/extension']) {
    it(`${side} reaches src/core only through the workspace layer, errors and type-only imports`, () => {
      const modules = coreValueImports(side);
      const outside = [...modules].filter(([module]) => !THROUGH_THE_LAYER(module));
      assert.deepEqual(
        outside.map(([module, importers]) => `${module} <- ${importers.join(', ')}`),
        [],
        `${side} imports these core modules for their values`,
      );
      // The whole engine surface a side sees: a handful of workspace modules and errors.
      assert.ok(modules.size <= 8, `${side} imports ${modules.size} core modules: ${[...modules.keys()].join(', ')}`);
    });
  }

  it('has no import cycle in src/ (type-only imports included)', () => {
    const graph = new Map<string, string[]>();
    for (const e of EDGES) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      stack.push(file);
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' -> '));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    assert.deepEqual(cycles, []);
  });

  it('inside src/core, no import runs up the layer order', () => {
    const upward = EDGES.filter((e) => e.from.startsWith('src/core/') && e.to.startsWith('src/core/'))
      .filter((e) => layerOf(e.to) > layerOf(e.from))
      .map((e) => `${e.from} -> ${e.to}${e.typeOnly ? ' (type)' : ''}`);
    assert.deepEqual(upward, []);
  });

  it('src/core never imports the CLI, the extension or the sandbox', () => {
    const out = EDGES.filter((e) => e.from.startsWith('src/core/') && !e.to.startsWith('src/core/'));
    assert.deepEqual(
      out.map((e) => `${e.from} -> ${e.to}`),
      [],
    );
  });
});
