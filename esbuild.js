// One build for every bundle: the extension (node, cjs, 'vscode' external), the engine
// (src/core/workspace, which the extension requires on first use), the CLI (node, never
// 'vscode'), and webview code (browser, iife) for each webviews/<name>/main.ts there is.
// Usage: node esbuild.js [--production] [--watch]
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');
const { ensureSchemaValidators } = require('./scripts/lib/schema-validators.cjs');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  logLevel: 'info',
  legalComments: 'none',
  // Prefer packages' ESM entry: jsonc-parser's UMD main requires its parts at run time,
  // which a bundle cannot resolve ("Cannot find module './impl/format'").
  mainFields: ['module', 'main'],
  // pg's optional native binding is never used; PGlite (the sandbox's AlloyDB) loads its
  // WASM and extension files next to its own module, so it stays in node_modules.
  external: ['pg-native', '@electric-sql/pglite', '@electric-sql/pglite/*'],
};

/** Fails the CLI build if anything pulls in 'vscode': the engine must stay editor-free. */
const forbidVscode = {
  name: 'forbid-vscode',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) => ({
      errors: [{ text: `'vscode' imported by ${args.importer}: the CLI and src/core must not depend on the editor` }],
    }));
  },
};

/**
 * Code loaded on demand lives in bundle files of its own, shared by the CLI and the
 * editor's engine: a command, or the editor's first load, reads and compiles only what
 * it runs. `status --json` and the phase tree never parse the Google, MCP or report
 * libraries (2 MB in one file was most of their start-up). Any import of a chunk's
 * source, from any bundle, becomes a run-time require() of the chunk's file beside it;
 * the sources reach them by a lazy require() (src/core/workspace/workspace.ts,
 * src/cli/commands/index.ts) or from inside another lazily loaded module.
 */
const CHUNKS = [
  { source: 'src/core/workspace/wiring.ts', file: 'engine-wiring.js' },
  { source: 'src/core/health.ts', file: 'engine-health.js' },
  { source: 'src/core/workspace/report.ts', file: 'engine-report.js' },
  { source: 'src/cli/commands/sandbox.ts', file: 'cli-sandbox.js' },
  { source: 'src/cli/commands/login.ts', file: 'cli-login.js' },
  // Shared by every bundle that reaches Google or the vector store (the phases the registry
  // lists, the wiring, health, the CLI): one copy of google-auth-library and of pg in the VSIX,
  // not one per bundle. Both load their library only on first use.
  { source: 'src/core/gcp/auth.ts', file: 'engine-auth.js' },
  { source: 'src/core/vector/store.ts', file: 'engine-vector.js' },
];

/**
 * The extension's code that runs on first use, not at activation: every command (one file
 * each under src/extension/commands/, but for the table and the helpers they share) and
 * the webview panels and the health pick. Activation loads only dist/extension.js: the
 * tree, the status bar items and one stub per command id (src/extension/commands/index.ts),
 * each of which requires its command's file when first run.
 */
const COMMAND_HELPERS = new Set(['index.ts', 'command.ts', 'run-args.ts', 'run-log.ts']);
const EXTENSION_CHUNKS = [
  ...fs
    .readdirSync(path.join(__dirname, 'src', 'extension', 'commands'))
    .filter((name) => name.endsWith('.ts') && !COMMAND_HELPERS.has(name))
    .sort()
    .map((name) => ({
      source: `src/extension/commands/${name}`,
      file: `extension-command-${name.replace(/\.ts$/, '.js')}`,
    })),
  { source: 'src/extension/plan-panel.ts', file: 'extension-plan-panel.js' },
  { source: 'src/extension/report-panel.ts', file: 'extension-report-panel.js' },
  { source: 'src/extension/health-pick.ts', file: 'extension-health-pick.js' },
];

/**
 * `import * as vscode from 'vscode'`, bundled as CommonJS, becomes `__toESM(require('vscode'))`
 * in each file that has it: a copy of the whole editor API (hundreds of getters defined one by
 * one) per file, twenty-odd at activation, most of the extension's load time in the host.
 * TypeScript's `import vscode = require('vscode')` means the same to the code and bundles as
 * one plain require().
 */
const VSCODE_NAMESPACE_IMPORT = /^import \* as vscode from 'vscode';$/m;
const plainVscodeRequire = {
  name: 'plain-vscode-require',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!VSCODE_NAMESPACE_IMPORT.test(text)) return undefined;
      return { contents: text.replace(VSCODE_NAMESPACE_IMPORT, "import vscode = require('vscode');"), loader: 'ts' };
    });
  },
};

function resolveSource(resolveDir, specifier) {
  const base = path.resolve(resolveDir, specifier);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Leaves imports of a chunk (other than the one being built) to a run-time require() of its file. */
function chunks(entry, list = CHUNKS) {
  return {
    name: 'chunks',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const resolved = resolveSource(args.resolveDir, args.path);
        if (!resolved) return undefined;
        const source = path.relative(__dirname, resolved).split(path.sep).join('/');
        const chunk = list.find((c) => c.source === source && c.source !== entry);
        return chunk ? { path: `./${chunk.file}`, external: true } : undefined;
      });
    },
  };
}

function builds() {
  const extension = (source, outfile) => ({
    ...common,
    entryPoints: [source],
    outfile,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: [...common.external, 'vscode'],
    plugins: [plainVscodeRequire, chunks(source, EXTENSION_CHUNKS)],
  });
  const list = [
    extension('src/extension/extension.ts', 'dist/extension.js'),
    ...EXTENSION_CHUNKS.map((chunk) => extension(chunk.source, `dist/${chunk.file}`)),
    {
      // The application layer (src/core/workspace), which the extension requires on first use (src/extension/gateway.ts).
      ...common,
      entryPoints: ['src/core/workspace/index.ts'],
      outfile: 'dist/engine.js',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      plugins: [forbidVscode, chunks('src/core/workspace/index.ts')],
    },
    {
      ...common,
      entryPoints: ['src/cli/main.ts'],
      outfile: 'dist/cli.js',
      // The version, not the whole manifest bundled for one field.
      define: { ORCHESTRA_VERSION: JSON.stringify(require('./package.json').version) },
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      banner: { js: '#!/usr/bin/env node' },
      plugins: [forbidVscode, chunks('src/cli/main.ts')],
    },
    ...CHUNKS.map((chunk) => ({
      ...common,
      entryPoints: [chunk.source],
      outfile: `dist/${chunk.file}`,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      plugins: [forbidVscode, chunks(chunk.source)],
    })),
  ];
  const webviews = path.join(__dirname, 'webviews');
  if (fs.existsSync(webviews)) {
    for (const name of fs.readdirSync(webviews)) {
      const entry = path.join('webviews', name, 'main.ts');
      if (fs.existsSync(entry)) {
        list.push({
          ...common,
          entryPoints: [entry],
          outfile: `dist/webview/${name}.js`,
          platform: 'browser',
          format: 'iife',
          target: 'es2022',
        });
      }
    }
  }
  return list;
}

/**
 * The CLI and the chunks it loads, exactly as the build makes them, written to `outdir`
 * instead of dist/: tests and benchmarks run the CLI as shipped (a lazy chunk that fails
 * to load fails them too), built once per test process.
 */
function cliBuilds(outdir) {
  const shipped = new Set(['dist/cli.js', ...CHUNKS.map((c) => `dist/${c.file}`)]);
  return builds()
    .filter((config) => shipped.has(config.outfile))
    .map((config) => ({
      ...config,
      absWorkingDir: __dirname,
      outfile: path.join(outdir, path.basename(config.outfile)),
      sourcemap: false,
      logLevel: 'error',
    }));
}

/** The extension's bundles as the build makes them (tests read what activation loads). */
function extensionBuilds() {
  const shipped = new Set(['dist/extension.js', ...EXTENSION_CHUNKS.map((c) => `dist/${c.file}`)]);
  return builds().filter((config) => shipped.has(config.outfile));
}

async function main() {
  // The schema's validators as Ajv standalone code: a build never ships them older than the schema.
  if (ensureSchemaValidators()) console.log('[schema] generated the standalone validators');
  const configs = builds();
  if (watch) {
    for (const config of configs) {
      const ctx = await esbuild.context(config);
      await ctx.watch();
    }
    console.log('[esbuild] watching for changes');
    return;
  }
  await Promise.all(configs.map((config) => esbuild.build(config)));
  fs.chmodSync(path.join(__dirname, 'dist', 'cli.js'), 0o755);
}

module.exports = { cliBuilds, extensionBuilds };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
