/**
 * Activation cost: bundle and VSIX sizes, and the time to load dist/extension.js and
 * run activate() in a fresh Node process with a minimal 'vscode' stand-in, median of
 * 20 runs, next to the time to load an empty module in the same harness and run.
 * Writes bench/results/activation.json. Run with `npm run bench`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const RUNS = 20;
const STAND_IN = path.join(ROOT, 'bench', 'vscode-stand-in.cjs');

// Runs in the child: maps require('vscode') to the stand-in, then times require + activate().
const HARNESS = `
const Module = require('node:module');
const [standIn, target] = process.argv.slice(1); // node -e: no script path in argv
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? standIn : resolve.call(this, request, ...rest);
};
const vscode = new Module(standIn);
vscode.filename = standIn;
vscode.exports = require(standIn);
vscode.loaded = true;
require.cache[standIn] = vscode;
const context = {
  subscriptions: [],
  extension: { id: 'orchestra.orchestra-migrate', packageJSON: { version: '0.0.0' } },
  extensionPath: process.cwd(),
  globalState: { get: () => undefined, update: async () => undefined, keys: () => [] },
  workspaceState: { get: () => undefined, update: async () => undefined, keys: () => [] },
  secrets: { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: () => ({ dispose() {} }) },
  environmentVariableCollection: { replace() {}, append() {}, prepend() {}, clear() {} },
  logUri: { fsPath: process.cwd() }, storageUri: undefined, globalStorageUri: { fsPath: process.cwd() },
};
(async () => {
  const start = process.hrtime.bigint();
  const mod = require(target);
  if (typeof mod.activate === 'function') await mod.activate(context);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  for (const d of context.subscriptions) d.dispose?.();
  process.stdout.write(JSON.stringify({ ms }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function timeOnce(target: string): number {
  const result = spawnSync(process.execPath, ['-e', HARNESS, STAND_IN, target], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`loading ${target} failed:\n${result.stderr}`);
  return (JSON.parse(result.stdout) as { ms: number }).ms;
}

function main(): void {
  // The production build and VSIX, as shipped (vsce runs vscode:prepublish).
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const extension = path.join(ROOT, 'dist', 'extension.js');
  mkdirSync(path.join(ROOT, '.test-runs'), { recursive: true });
  const scratch = mkdtempSync(path.join(ROOT, '.test-runs', 'bench-'));
  try {
    const empty = path.join(scratch, 'empty.js');
    writeFileSync(empty, '');
    const extensionMs: number[] = [];
    const emptyMs: number[] = [];
    timeOnce(extension); // warm the file system cache once
    for (let i = 0; i < RUNS; i++) {
      extensionMs.push(timeOnce(extension));
      emptyMs.push(timeOnce(empty));
    }
    const round = (n: number) => Math.round(n * 1000) / 1000;
    const result = {
      vsix_bytes: statSync(path.join(ROOT, 'orchestra-migrate.vsix')).size,
      bundle_bytes: statSync(extension).size,
      cli_bundle_bytes: statSync(path.join(ROOT, 'dist', 'cli.js')).size,
      load_activate_median_ms: round(median(extensionMs)),
      empty_module_median_ms: round(median(emptyMs)),
      load_activate_min_ms: round(Math.min(...extensionMs)),
      load_activate_max_ms: round(Math.max(...extensionMs)),
      runs: RUNS,
      node: process.version,
      version: (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
      date: new Date().toISOString(),
    };
    mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench', 'results', 'activation.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
