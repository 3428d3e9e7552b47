/**
 * The VSIX content check (scripts/check-vsix.mjs, a step of `npm test`) must reject
 * source maps, node_modules, sources and anything outside its allow-list.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** A zip of stored entries (empty unless `contents` has a text for the name). */
function zip(names: string[], contents: Record<string, string> = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    const n = Buffer.from(name, 'utf8');
    const data = Buffer.from(contents[name] ?? '', 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    locals.push(local, n, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(names.length, 8);
  end.writeUInt16LE(names.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

const GOOD = [
  '[Content_Types].xml',
  'extension.vsixmanifest',
  'extension/package.json',
  'extension/readme.md',
  'extension/changelog.md',
  'extension/LICENSE.txt',
  'extension/dist/extension.js',
  'extension/dist/engine.js',
  'extension/dist/cli.js',
  'extension/dist/webview/plan.js',
  'extension/dist/webview/plan.css',
  'extension/media/icon.png',
  'extension/media/orchestra.svg',
  'extension/config/common.json',
  'extension/config/schema/orchestra.schema.json',
];

function check(names: string[], contents?: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'vsix-check-'));
  try {
    const file = path.join(dir, 'test.vsix');
    writeFileSync(file, zip(names, contents));
    const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'check-vsix.mjs'), file], {
      encoding: 'utf8',
    });
    return { status: result.status, output: result.stdout + result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('foundation: the VSIX content check', () => {
  it('accepts the bundles, media, config defaults and the manifest files', () => {
    const { status, output } = check(GOOD);
    assert.equal(status, 0, output);
  });

  for (const extra of [
    'extension/dist/extension.js.map',
    'extension/node_modules/ajv/package.json',
    'extension/src/extension/extension.ts',
    'extension/.vscode/launch.json',
    'extension/test/unit/foo.test.js',
    'extension/scripts/test.mjs',
    'extension/orchestra-migrate.vsix',
  ]) {
    it(`rejects ${extra}`, () => {
      const { status, output } = check([...GOOD, extra]);
      assert.equal(status, 1);
      assert.match(output, new RegExp(extra.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    });
  }

  it('fails when the extension bundle is missing', () => {
    const { status, output } = check(GOOD.filter((n) => n !== 'extension/dist/extension.js'));
    assert.equal(status, 1);
    assert.match(output, /missing: extension\/dist\/extension\.js/);
  });

  it('fails when a bundle file that a bundle requires on first use is not in the package', () => {
    const extension = 'var c = () => require("./extension-command-verify.js"), p = require("node:path");';
    const lazy = { 'extension/dist/extension.js': extension };
    const { status, output } = check(GOOD, lazy);
    assert.equal(status, 1);
    assert.match(
      output,
      /missing: extension\/dist\/extension-command-verify\.js \(extension\/dist\/extension\.js requires it\)/,
    );
    const shipped = check([...GOOD, 'extension/dist/extension-command-verify.js'], lazy);
    assert.equal(shipped.status, 0, shipped.output);
  });
});
