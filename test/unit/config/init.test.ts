import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { initConfig, initPlan } from '../../../src/core/config/init';
import { loadConfig } from '../../../src/core/config/load';
import { ENVIRONMENT_KINDS } from '../../../src/core/config/types';
import { workspace } from './helpers';

/** sha256 of every file under dir, by relative path. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const file = path.join(d, name);
      if (statSync(file).isDirectory()) walk(file);
      else out[path.relative(dir, file)] = createHash('sha256').update(readFileSync(file)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

const REPO = path.resolve(__dirname, '../../..');

describe('initConfig', () => {
  let ws: ReturnType<typeof workspace>;
  afterEach(() => ws?.cleanup());

  it('writes common.json, the four environment files and the schema, and a .gitignore', async () => {
    ws = workspace();
    const result = await initConfig(ws.dir, { env: {} });
    const rel = (files: string[]) => files.map((f) => path.relative(ws.dir, f));
    assert.deepEqual(rel(result.written), [
      'config/common.json',
      ...ENVIRONMENT_KINDS.map((k) => `config/${k}.json`),
      'config/schema/orchestra.schema.json',
    ]);
    assert.deepEqual(result.skipped, []);
    assert.equal(result.gitignore, 'created');
    assert.match(readFileSync(path.join(ws.dir, '.gitignore'), 'utf8'), /^\.orchestra\/$/m);
    for (const kind of ENVIRONMENT_KINDS) {
      const json = JSON.parse(readFileSync(path.join(ws.dir, `config/${kind}.json`), 'utf8'));
      assert.equal(json.$schema, './schema/orchestra.schema.json');
    }
  });

  it('a second run changes no byte', async () => {
    ws = workspace({ '.gitignore': 'node_modules/' });
    const first = await initConfig(ws.dir, { env: {} });
    assert.equal(first.gitignore, 'added');
    const before = snapshot(ws.dir);
    const second = await initConfig(ws.dir, { env: {} });
    assert.deepEqual(snapshot(ws.dir), before);
    assert.deepEqual(second.written, []);
    assert.equal(second.skipped.length, 6);
    assert.equal(second.gitignore, 'unchanged');
    assert.equal(
      readFileSync(path.join(ws.dir, '.gitignore'), 'utf8'),
      'node_modules/\n\n# Orchestra Migrate: local state, logs, reports and the memory outbox\n.orchestra/\n',
    );
  });

  it('never overwrites a user file, even an invalid one', async () => {
    ws = workspace({ 'config/local.json': '{ "mine": true ', '.gitignore': '/.orchestra\n' });
    const result = await initConfig(ws.dir, { env: {} });
    assert.equal(readFileSync(path.join(ws.dir, 'config/local.json'), 'utf8'), '{ "mine": true ');
    assert.deepEqual(result.skipped, [path.join(ws.dir, 'config/local.json')]);
    assert.equal(result.written.length, 5);
    assert.equal(result.gitignore, 'unchanged');
  });

  it('honours ORCHESTRA_CONFIG_DIR', async () => {
    ws = workspace();
    const result = await initConfig(ws.dir, { env: { ORCHESTRA_CONFIG_DIR: 'cfg' } });
    assert.equal(result.configDir, path.join(ws.dir, 'cfg'));
    assert.ok(result.written.every((f) => f.startsWith(path.join(ws.dir, 'cfg'))));
  });

  it('what it writes loads, in every environment, and equals the defaults', async () => {
    ws = workspace();
    await initConfig(ws.dir, { env: {} });
    for (const kind of ENVIRONMENT_KINDS) {
      const r = await loadConfig({ dir: ws.dir, env: {}, kind });
      assert.equal(r.files.length, 2);
      assert.equal(r.config.memory.timeoutMs, 2000);
    }
  });

  it('the repository config/ files are exactly what init writes', () => {
    for (const { relative, content } of initPlan()) {
      assert.equal(
        readFileSync(path.join(REPO, 'config', relative), 'utf8'),
        content,
        `config/${relative} differs from init's output`,
      );
    }
  });

  it('writes files Prettier leaves unchanged', async () => {
    for (const { relative, content } of initPlan()) {
      const formatted = await prettier.format(content, {
        parser: 'json',
        printWidth: 120,
        singleQuote: true,
        trailingComma: 'all',
      });
      assert.equal(formatted, content, `${relative} is not Prettier-formatted`);
    }
  });
});
