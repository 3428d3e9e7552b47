// `npm run bench`: runs every bench/*.bench.ts, one after another (each writes its JSON
// to bench/results/). Fails if any benchmark fails.
// Usage: node scripts/bench.mjs [name-substring]
//
// Each benchmark is bundled with esbuild first, as the extension and the CLI are shipped,
// and run with plain node. Run under tsx instead, the engine's code carried tsx's
// keep-names wrappers (a defineProperty per closure created), which cost the hot paths
// measurable time that users never pay. Dependencies are bundled too, as in dist/;
// esbuild itself (the engine benchmark builds the memory server with it) stays external.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './lib/harness.mjs';
import schemaValidators from './lib/schema-validators.cjs';

schemaValidators.ensureSchemaValidators();
const filter = process.argv[2];
const benches = readdirSync(path.join(ROOT, 'bench'))
  .filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter)))
  .sort();
// One level below the root, like bench/: the benchmarks find the root as `__dirname/..`.
const outDir = path.join(ROOT, '.bench-build');
mkdirSync(outDir, { recursive: true });
let failed = 0;
for (const file of benches) {
  process.stdout.write(`\n=== bench/${file}\n`);
  const t0 = Date.now();
  const outfile = path.join(outDir, file.replace(/\.ts$/, '.cjs'));
  await build({
    entryPoints: [path.join(ROOT, 'bench', file)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // PGlite (the vector benchmark's database) loads its WASM beside its own module, as in esbuild.js;
    // playwright-core (the UI benchmark's browser driver) reads its browsers.json beside its own.
    external: ['esbuild', 'playwright-core', 'pg-native', '@electric-sql/pglite', '@electric-sql/pglite/*'],
    // The same choice as esbuild.js: some packages' CommonJS entries break when bundled.
    mainFields: ['module', 'main'],
    outfile,
    logLevel: 'error',
  });
  const result = spawnSync(process.execPath, [outfile], { cwd: ROOT, stdio: 'inherit' });
  const ok = result.status === 0;
  if (!ok) failed++;
  process.stdout.write(
    `=== bench/${file}: ${ok ? 'ok' : `FAILED (exit ${result.status})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );
}
process.stdout.write(`\n${benches.length - failed} of ${benches.length} benchmarks ok\n`);
process.exit(failed ? 1 : 0);
