/**
 * The layer rule of DESIGN.md: the engine (src/core), the CLI and the sandbox never
 * import the editor API. ESLint enforces it too; this holds even if a lint rule changes.
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return /\.(ts|js|mjs|cjs)$/.test(e.name) ? [full] : [];
  });
}

const VSCODE_IMPORT = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"]vscode['"]/;

describe('foundation: layers', () => {
  for (const layer of ['src/core', 'src/cli', 'src/sandbox']) {
    it(`${layer} never imports 'vscode'`, () => {
      const offenders = sources(path.join(ROOT, layer)).filter((file) =>
        VSCODE_IMPORT.test(readFileSync(file, 'utf8')),
      );
      assert.deepEqual(
        offenders.map((f) => path.relative(ROOT, f)),
        [],
      );
    });
  }
});
