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
import {
  missingParent,
  plannedSettings,
  restoreFile,
  restoreOf,
  writeSettings,
  type SettingEdit,
} from '../../../src/core/config/setting-files';

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

  describe('an exact restore, recorded before the write (the cutover keeps it in the state)', () => {
    /** Records the restore of writing `settings`, writes them, then restores; the file's text after each. */
    async function restored(
      name: string,
      text: string | undefined,
      settings: string[],
      between?: (file: string) => Promise<void>,
    ) {
      const file = path.join(dir, name);
      if (text !== undefined) await writeFile(file, text);
      const edits = settings.map((setting) => ({ file, setting, value: URL }));
      const [change] = await plannedSettings(edits);
      const restore = restoreOf(change)!;
      await writeSettings(edits);
      const written = await readFile(file, 'utf8');
      await between?.(file);
      const done = await restoreFile(file, restore);
      return { done, written, restore, after: existsSync(file) ? await readFile(file, 'utf8') : undefined };
    }

    it('any layout comes back byte for byte, where a setting-by-setting undo re-lays the lines it touches', async () => {
      // An inline object on the line the write goes after: the formatter re-lays that line.
      const before = '{\n  "log": { "level": "info" }, "memory": {"transport":"http"},\n\t"projectId":   "p"\n}';
      const r = await restored('h.json', before, ['endpoints.api', 'memory.endpoint']);
      assert.deepEqual(JSON.parse(r.written).endpoints, { api: URL });
      assert.equal(r.done, true);
      assert.equal(r.after, before);
      // The undo setting by setting does not give these bytes back: the exact restore is needed.
      const undo = await roundTrip('h3.json', before, ['endpoints.api', 'memory.endpoint']);
      assert.notEqual(undo.after, before, 'this layout is one the setting-by-setting undo changes');
    });

    it('keeps only the span the write changed, with its text before', async () => {
      const before = `{\n  "projectId": "p",\n${'  "pad": 1,\n'.repeat(200)}  "memory": { "transport": "http" }\n}\n`;
      const r = await restored('i.json', before, ['memory.endpoint']);
      assert.equal(r.after, before);
      assert.ok((r.restore.text ?? '').length < 100, `kept ${r.restore.text?.length} characters of ${before.length}`);
    });

    it('a file the write created is deleted', async () => {
      const r = await restored('j.json', undefined, ['memory.endpoint']);
      assert.equal(r.restore.created, true);
      assert.equal(r.done, true);
      assert.equal(r.after, undefined);
    });

    it('a file someone changed since the write is left alone: restoreFile says so, for the setting-by-setting undo', async () => {
      const before = '{\n  "memory": { "transport": "http" }\n}\n';
      const r = await restored('k.json', before, ['memory.endpoint'], async (file) => {
        await writeFile(file, (await readFile(file, 'utf8')).replace('"http"', '"http" ,"poolSize": 4'));
      });
      assert.equal(r.done, false);
      assert.match(r.after ?? '', /"poolSize": 4/, 'their edit is still there');
    });
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
