/**
 * Files in the way of the engine's own files, through the command line in a child process:
 * a file where its folder must be (`logs`, `.orchestra`, the reports folder), a folder where
 * its file must be (the lock, latest.log), a state file too large to be one. Each is bad
 * input naming the path in the way and the fix, exit 2, with no raw ENOTDIR or EISDIR, and
 * nothing changes anywhere under the workspace's parent (the user's folder in the lock's
 * place used to be renamed to a `.stale-*` grave and left there).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { builtInPhases } from '../../../src/core/migration/phases';
import { emptyState } from '../../../src/core/migration/state';
import { STATE_FILE_MAX_BYTES } from '../../../src/core/migration/store';
import { leftovers, runCli, treeHash, type CliResult } from './harness';

const PROJECT = 'orchestra-test';
const STATE = `state-${PROJECT}.json`;
const PHASE_IDS = builtInPhases()
  .infos()
  .map((p) => p.id);

describe('files in the way of the engine’s own files (child processes)', function () {
  this.timeout(180_000);
  let parent: string;
  let ws: string;

  beforeEach(async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'orchestra-way-'));
    ws = path.join(parent, 'ws');
    await mkdir(path.join(ws, 'config'), { recursive: true });
    await writeFile(path.join(parent, 'neighbour.txt'), 'outside\n');
    // An emulator address nobody listens on: a request would fail with exit 1, never 2.
    await writeFile(
      path.join(ws, 'config', 'common.json'),
      JSON.stringify({
        projectId: PROJECT,
        gcp: { emulator: true, endpointOverrides: { serviceusage: 'http://127.0.0.1:9' } },
      }),
    );
  });
  afterEach(async () => {
    assert.deepEqual(leftovers(parent), [], 'a lock or temp file was left behind');
    await rm(parent, { recursive: true, force: true });
  });

  async function writeState() {
    await mkdir(path.join(ws, '.orchestra'), { recursive: true });
    await writeFile(path.join(ws, '.orchestra', STATE), JSON.stringify(emptyState(PROJECT, new Date(), PHASE_IDS)));
  }

  /**
   * Each command exits 2 with `message` and `fix`, no raw errno, and nothing under the
   * parent folder (the workspace included) changes; `runLogs`: the command's own log file
   * under logs/ may be new (its folder was not in the way).
   */
  async function refused(commands: string[][], message: RegExp, fix: RegExp, runLogs = false): Promise<CliResult[]> {
    const files = () => treeHash(parent).entries.filter((e) => !(runLogs && e.startsWith('ws/logs/')));
    const out: CliResult[] = [];
    for (const args of commands) {
      const before = files();
      const r = await runCli(args, ws);
      const what = `${args.join(' ')}:\n${r.stderr}`;
      assert.equal(r.code, 2, what);
      assert.match(r.stderr, message, what);
      assert.match(r.stderr, fix, what);
      assert.doesNotMatch(r.stderr, /ENOTDIR|EISDIR|EEXIST|\n\s+at /, what);
      assert.deepEqual(files(), before, `${args.join(' ')} changed files`);
      out.push(r);
    }
    return out;
  }

  it('a folder in the place of the lock file: exit 2 naming it; the folder is neither taken over nor moved', async () => {
    await writeState();
    await mkdir(path.join(ws, '.orchestra', `lock-${PROJECT}.json`));
    await writeFile(path.join(ws, '.orchestra', `lock-${PROJECT}.json`, 'mine.txt'), 'user data\n');
    await refused(
      [['execute', '--yes'], ['status'], ['destroy', '--yes']],
      new RegExp(`A folder is in the place of the migration lock file ${ws}/\\.orchestra/lock-${PROJECT}\\.json`),
      /fix: Move the folder .*lock-orchestra-test\.json aside: the lock is a file that execute creates and removes/,
      true,
    );
  });

  it('logs is a file: every command that logs exits 2 naming it, before any request', async () => {
    await writeFile(path.join(ws, 'logs'), 'a note the user keeps\n');
    await refused(
      [['execute', '--yes'], ['verify'], ['report', '--stdout'], ['health']],
      new RegExp(`A file is in the way: ${ws}/logs is not a folder`),
      /where: log\.dir .*\n\s+fix: Move .*\/logs aside .* or set log\.dir to another folder/,
    );
  });

  it('a folder in the place of logs/migration/latest.log: exit 2 naming it, no run file written', async () => {
    await mkdir(path.join(ws, 'logs', 'migration', 'latest.log'), { recursive: true });
    await refused(
      [['execute', '--yes'], ['verify']],
      new RegExp(`A folder is in the place of ${ws}/logs/migration/latest\\.log, a file the engine writes`),
      /fix: Move the folder .*latest\.log aside/,
    );
  });

  it('.orchestra is a file: exit 2 naming it as what is in the way, not the state file to move aside', async () => {
    await writeFile(path.join(ws, '.orchestra'), 'not a folder\n');
    const results = await refused(
      [['status'], ['execute', '--yes'], ['verify'], ['report', '--stdout']],
      new RegExp(
        `A file is in the way: ${ws}/\\.orchestra is not a folder, so the state file .*${STATE} cannot be read`,
      ),
      /where: state\.dir .*\n\s+fix: Move .*\.orchestra aside .* or set state\.dir to another folder/,
      true,
    );
    for (const r of results) assert.doesNotMatch(r.stderr, /rename it to/);
  });

  it('a state file over the size bound: exit 2 "too large" at once, the file not read whole', async () => {
    await writeState();
    // A sparse file: its size is over the bound without writing 64 MiB to the disk.
    await truncate(path.join(ws, '.orchestra', STATE), STATE_FILE_MAX_BYTES + 1);
    await refused(
      [['status'], ['report', '--stdout'], ['execute', '--yes']],
      new RegExp(
        `${STATE} is not valid: \\(document\\): the file is too large \\(67,108,865 bytes; a state is at most 67,108,864\\)`,
      ),
      /fix: Move the file aside/,
      true,
    );
  });

  it('the reports folder is a file: report exits 2 naming it', async () => {
    await writeState();
    await writeFile(path.join(ws, '.orchestra', 'reports'), 'not a folder\n');
    await refused(
      [['report']],
      new RegExp(`A file is in the way: ${ws}/\\.orchestra/reports is not a folder`),
      /fix: Move .*reports aside|fix: Choose another path/,
      true,
    );
  });
});
