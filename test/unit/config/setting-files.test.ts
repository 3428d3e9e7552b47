/**
 * Single settings written into config files and taken out again (the cutover and its
 * rollback): a write and its undo leave the file as it was, byte for byte, and a removal
 * takes away only what the write added.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { missingParent, writeSettings, type SettingEdit } from '../../../src/core/config/setting-files';

const URL = 'https://memory.example.run.app';

describe('config setting files: a write and its undo', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(tmpdir(), 'om-settings-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  /** Writes each setting, then undoes them as the rollback does; resolves with the file's text after each. */
  async function roundTrip(name: string, text: string | undefined, settings: string[]) {
    const file = path.join(dir, name);
    if (text !== undefined) await writeFile(file, text);
    const undo: SettingEdit[] = [];
    for (const setting of settings) {
      const created = await missingParent(file, setting);
      undo.push({ file, setting, value: undefined, ...(created !== undefined ? { prune: created } : {}) });
    }
    await writeSettings(settings.map((setting) => ({ file, setting, value: URL })));
    const written = await readFile(file, 'utf8');
    await writeSettings(undo);
    return { file, written, after: existsSync(file) ? await readFile(file, 'utf8') : undefined };
  }

  it('a setting under an object the write created: the object goes too, the file reads as before', async () => {
    const before = '{\n  // the team\'s own comment\n  "memory": {\n    "transport": "http"\n  }\n}\n';
    const r = await roundTrip('a.json', before, ['endpoints.api']);
    assert.match(r.written, /"endpoints": \{\s+"api": "https:/);
    assert.equal(r.after, before);
  });

  it('a setting in an object that was there, empty: the object stays, written as {} again', async () => {
    const before = '{\n  "endpoints": {},\n  "memory": {\n    "transport": "http"\n  }\n}\n';
    const r = await roundTrip('b.json', before, ['endpoints.api', 'memory.endpoint']);
    assert.equal(r.after, before);
  });

  it('two settings under one new object, and a file the write created: both go once empty', async () => {
    const shared = await roundTrip('c.json', '{\n  "log": {\n    "level": "info"\n  }\n}\n', [
      'memory.endpoint',
      'memory.source.endpoint',
    ]);
    assert.equal(shared.after, '{\n  "log": {\n    "level": "info"\n  }\n}\n');
    const created = await roundTrip('d.json', undefined, ['memory.endpoint', 'endpoints.api']);
    assert.match(created.written, /"memory"[\s\S]*"endpoints"/);
    assert.equal(created.after, undefined, 'the file the write created is gone');
  });

  it('a file on one line (minified) stays on one line, and the undo gives back its bytes', async () => {
    const before = '{"projectId":"p","endpoints":{"memory":"http://127.0.0.1:1"},"gcp":{"emulator":true}}';
    const r = await roundTrip('g.json', before, ['endpoints.api', 'memory.source.endpoint']);
    assert.equal(r.written.trim().includes('\n'), false, r.written);
    assert.deepEqual(JSON.parse(r.written).memory, { source: { endpoint: URL } });
    assert.equal(r.after, before);
  });

  it('what someone added meanwhile under a created object is kept, and so is the object', async () => {
    const file = path.join(dir, 'e.json');
    await writeFile(file, '{}\n');
    const created = await missingParent(file, 'endpoints.api');
    assert.equal(created, 'endpoints');
    await writeSettings([{ file, setting: 'endpoints.api', value: URL }]);
    await writeSettings([{ file, setting: 'endpoints.mcp', value: 'http://127.0.0.1:9/' }]);
    await writeSettings([{ file, setting: 'endpoints.api', value: undefined, prune: created }]);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { endpoints: { mcp: 'http://127.0.0.1:9/' } });
  });

  it('missingParent names the outermost absent object, "" for no file, nothing when the path is there', async () => {
    const file = path.join(dir, 'f.json');
    assert.equal(await missingParent(file, 'memory.source.endpoint'), '');
    await writeFile(file, '{ "memory": { "transport": "http" } }');
    assert.equal(await missingParent(file, 'memory.source.endpoint'), 'memory.source');
    assert.equal(await missingParent(file, 'memory.endpoint'), undefined);
    assert.equal(await missingParent(file, 'endpoints.api'), 'endpoints');
  });
});
