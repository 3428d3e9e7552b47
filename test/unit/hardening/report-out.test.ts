/**
 * `report --out FILE` creates at most the file's own folder inside the workspace, only
 * existing folders elsewhere, and refuses files in the way and special file systems with
 * exit 2 and the path named (child processes; the workspace's parent hashed before/after).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { emptyState } from '../../../src/core/migration/state';
import { runCli, treeHash } from './harness';

describe('report --out: where a report may be written (child processes)', function () {
  this.timeout(180_000);
  let parent: string;
  let ws: string;

  before(async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'orchestra-out-'));
    ws = path.join(parent, 'ws');
    await mkdir(path.join(ws, 'config'), { recursive: true });
    await mkdir(path.join(ws, '.orchestra'), { recursive: true });
    await writeFile(path.join(ws, 'config', 'common.json'), JSON.stringify({ projectId: 'orchestra-test' }));
    await writeFile(
      path.join(ws, '.orchestra', 'state-orchestra-test.json'),
      JSON.stringify(emptyState('orchestra-test')),
    );
    await writeFile(path.join(ws, 'notes.txt'), 'a file\n');
    await mkdir(path.join(parent, 'existing'));
  });
  after(async () => rm(parent, { recursive: true, force: true }));

  async function refused(out: string, message: RegExp, fix: RegExp) {
    const outside = treeHash(parent, ['ws']).entries;
    const r = await runCli(['report', '--out', out], ws);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.match(r.stderr, fix);
    assert.doesNotMatch(r.stderr, /ENOTDIR|EACCES|ENOENT/);
    assert.deepEqual(treeHash(parent, ['ws']).entries, outside, 'something changed outside the workspace');
  }

  it('a missing folder outside the workspace: exit 2, nothing created', async () => {
    await refused(
      path.join(parent, 'nonexistent', 'dir', 'x.md'),
      /The folder .*nonexistent\/dir does not exist/,
      /fix: Create .* first: outside the workspace/,
    );
    assert.equal(existsSync(path.join(parent, 'nonexistent')), false);
  });

  it('two missing levels inside the workspace: exit 2, nothing created', async () => {
    await refused('a/b/x.md', /The folder .*ws\/a\/b does not exist/, /fix: Create .*ws\/a first/);
    assert.equal(existsSync(path.join(ws, 'a')), false);
  });

  it('a file in the way: exit 2 naming it, not a raw ENOTDIR', async () => {
    await refused('notes.txt/x.md', /A file is in the way: .*notes\.txt is not a folder/, /fix: Choose another path/);
  });

  it('/proc: refused at once as a special file system', async () => {
    await refused(
      '/proc/self/x.md',
      /\/proc\/self\/x\.md is on a special file system \(proc\)/,
      /fix: Write the report to a regular folder/,
    );
  });

  it("the file's own folder inside the workspace is created; an existing folder elsewhere is used", async () => {
    const r = await runCli(['report', '--out', 'reports/x.md'], ws);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(path.join(ws, 'reports', 'x.md')));
    const out = path.join(parent, 'existing', 'x.md');
    const r2 = await runCli(['report', '--out', out], ws);
    assert.equal(r2.code, 0, r2.stderr);
    assert.ok(existsSync(out));
  });
});
