/**
 * Bundles that tests and benchmarks run as child processes, each built once per process.
 * The CLI is built by the project's own build configuration (esbuild.js), chunks and all,
 * and laid out as installed: dist/cli.js beside its chunks, media/ two folders up (the
 * report's stylesheet). The folder sits inside the repository so the packages the build
 * leaves external (PGlite) resolve from node_modules as they do for dist/cli.js.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

/**
 * The repository: the nearest folder up with esbuild.js. Not a fixed '../..': `npm run
 * bench` bundles the benchmarks into .bench-build/, one folder below the root.
 */
function repositoryRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'esbuild.js'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no esbuild.js above ${from}: run from inside the repository`);
  }
}

const ROOT = repositoryRoot(__dirname);
let folder: string | undefined;
const built = new Map<string, Promise<string>>();

/** One folder per test process, removed when it exits. */
function ownFolder(): string {
  if (!folder) {
    mkdirSync(path.join(ROOT, '.test-runs'), { recursive: true });
    const dir = mkdtempSync(path.join(ROOT, '.test-runs', 'bundles-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    folder = dir;
  }
  return folder;
}

function once(key: string, make: () => Promise<string>): Promise<string> {
  let pending = built.get(key);
  if (!pending) {
    pending = make();
    built.set(key, pending);
  }
  return pending;
}

/** The CLI as `npm run build` makes it; resolves to the path of its dist/cli.js. */
export function shippedCli(): Promise<string> {
  return once('cli', async () => {
    const dir = ownFolder();
    const dist = path.join(dir, 'dist');
    mkdirSync(path.join(dir, 'media'), { recursive: true });
    copyFileSync(path.join(ROOT, 'media', 'report.css'), path.join(dir, 'media', 'report.css'));
    // esbuild.js is the build's CommonJS script; requiring it runs nothing but its definitions.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { cliBuilds } = require(path.join(ROOT, 'esbuild.js')) as {
      cliBuilds(outdir: string): Parameters<typeof build>[0][];
    };
    await Promise.all(cliBuilds(dist).map((config) => build(config)));
    return path.join(dist, 'cli.js');
  });
}

/** A plain Node bundle of one entry (a server's main, a test fixture), relative to the repository. */
export function scriptBundle(entry: string): Promise<string> {
  return once(`script:${entry}`, async () => {
    const outfile = path.join(ownFolder(), 'scripts', `${path.basename(entry, '.ts')}.cjs`);
    await build({
      entryPoints: [path.resolve(ROOT, entry)],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile,
      logLevel: 'error',
      external: ['vscode', 'pg-native', '@electric-sql/pglite', '@electric-sql/pglite/*'],
      // jsonc-parser's UMD build requires its parts at run time; its ESM build bundles.
      mainFields: ['module', 'main'],
    });
    return outfile;
  });
}
