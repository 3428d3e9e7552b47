// `npm run bench`: runs every bench/*.bench.ts with tsx, one after another (each writes
// its JSON to bench/results/). Fails if any benchmark fails.
// Usage: node scripts/bench.mjs [name-substring]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/harness.mjs';

const filter = process.argv[2];
const benches = readdirSync(path.join(ROOT, 'bench'))
  .filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter)))
  .sort();
const tsx = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
let failed = 0;
for (const file of benches) {
  process.stdout.write(`\n=== bench/${file}\n`);
  const t0 = Date.now();
  const result = spawnSync(process.execPath, [tsx, path.join('bench', file)], { cwd: ROOT, stdio: 'inherit' });
  const ok = result.status === 0;
  if (!ok) failed++;
  process.stdout.write(
    `=== bench/${file}: ${ok ? 'ok' : `FAILED (exit ${result.status})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );
}
process.stdout.write(`\n${benches.length - failed} of ${benches.length} benchmarks ok\n`);
process.exit(failed ? 1 : 0);
