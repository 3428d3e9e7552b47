/**
 * Paths confined to the workspace, through the command line in a child process: a folder
 * the engine writes (state, reports, logs, outbox) set by the workspace's files to leave it
 * (`..`, an absolute path, a symbolic link the repository ships) is bad input naming the
 * file, the position, the field and the fix, exit 2, and nothing changes anywhere: the
 * workspace and its parent folder are hashed before and after. The user's own variables
 * may place the folders elsewhere.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { builtInPhases } from '../../../src/core/migration/phases';
import { emptyState } from '../../../src/core/migration/state';
import { leftovers, runCli, treeHash, type CliResult } from './harness';

const PROJECT = 'orchestra-test';
const PHASE_IDS = builtInPhases()
  .infos()
  .map((p) => p.id);
const COMMANDS = [['status'], ['verify'], ['execute', '--yes'], ['report']];

describe('paths confined to the workspace (child processes)', function () {
  this.timeout(180_000);
  let parent: string;
  let ws: string;
  let victim: string;

  beforeEach(async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'orchestra-paths-'));
    ws = path.join(parent, 'ws');
    victim = path.join(parent, 'victim');
    await mkdir(path.join(ws, 'config'), { recursive: true });
    await mkdir(victim);
    await writeFile(path.join(victim, 'precious.txt'), 'the user data\n');
    await writeFile(path.join(parent, 'neighbour.txt'), 'outside\n');
  });
  afterEach(async () => {
    assert.deepEqual(leftovers(parent), [], 'a lock or temp file was left behind');
    await rm(parent, { recursive: true, force: true });
  });

  // An emulator address nobody listens on: a request would fail with exit 1, never 2.
  const base = {
    projectId: PROJECT,
    gcp: { emulator: true, endpointOverrides: { serviceusage: 'http://127.0.0.1:9' } },
  };
  async function writeConfig(extra: Record<string, unknown>, name = 'common.json') {
    await writeFile(path.join(ws, 'config', name), JSON.stringify({ ...base, ...extra }, null, 2));
  }
  async function writeState(dir = path.join(ws, '.orchestra')) {
    await mkdir(dir, { recursive: true });
    const state = emptyState(PROJECT, new Date(), PHASE_IDS);
    await writeFile(path.join(dir, `state-${PROJECT}.json`), JSON.stringify(state, null, 2));
  }
  /**
   * Runs `args`, asserting nothing changed anywhere under the parent folder, the workspace
   * included, but for the run's own log under the workspace's logs/ (every command writes one).
   */
  async function unchanged(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ws): Promise<CliResult> {
    const files = () => treeHash(parent).entries.filter((e) => !e.startsWith('ws/logs/'));
    const before = files();
    const r = await runCli(args, cwd, env);
    assert.deepEqual(files(), before, `${args.join(' ')} changed files:\n${r.stderr}`);
    return r;
  }
  async function refusedByEveryCommand(pattern: RegExp, fix: RegExp, env: NodeJS.ProcessEnv = {}) {
    for (const args of COMMANDS) {
      const r = await unchanged(args, env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
      assert.match(r.stderr, fix, args.join(' '));
    }
  }

  describe('folders set by the workspace files', () => {
    it('state.dir "../elsewhere": every command exits 2 naming file:line:col, the field and the variable to use', async () => {
      await writeConfig({ state: { dir: '../elsewhere' } });
      await refusedByEveryCommand(
        new RegExp(
          `config/common\\.json:\\d+:\\d+ state\\.dir: "\\.\\./elsewhere" resolves to ${parent}/elsewhere, outside the workspace ${ws}`,
        ),
        /fix: Use a folder inside the workspace, or remove the key for the default\. To keep it elsewhere on purpose, set ORCHESTRA_STATE__DIR yourself/,
      );
      assert.equal(existsSync(path.join(parent, 'elsewhere')), false);
    });

    it('report.dir as an absolute path outside: exit 2, the field named', async () => {
      await writeConfig({ report: { dir: victim } });
      await refusedByEveryCommand(
        new RegExp(`config/common\\.json:\\d+:\\d+ report\\.dir: "${victim}" resolves to ${victim}, outside`),
        /ORCHESTRA_REPORT__DIR/,
      );
    });

    it('log.dir "../../logs" in the environment file: exit 2 naming config/local.json', async () => {
      await writeConfig({});
      await writeConfig({ log: { dir: '../../logs' } }, 'local.json');
      await refusedByEveryCommand(
        /config\/local\.json:\d+:\d+ log\.dir: "\.\.\/\.\.\/logs" resolves to/,
        /ORCHESTRA_LOG__DIR/,
        {
          ORCHESTRA_ENV: 'local',
        },
      );
      assert.equal(existsSync(path.join(path.dirname(parent), 'logs', 'orchestra-migrate.log')), false);
    });

    it('memory.outboxDir "..": exit 2', async () => {
      await writeConfig({ memory: { outboxDir: '..' } });
      const r = await unchanged(['status']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /memory\.outboxDir: "\.\." resolves to .*outside the workspace/);
    });

    it('phases.apiDeployment.source naming a folder outside (uploaded to Cloud Build): exit 2, nothing sent', async () => {
      await writeConfig({ phases: { apiDeployment: { source: victim } } });
      const r = await unchanged(['verify']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `config/common\\.json:\\d+:\\d+ phases\\.apiDeployment\\.source: "${victim}" resolves to ${victim}, outside the workspace`,
        ),
      );
      assert.match(
        r.stderr,
        /set ORCHESTRA_PHASES__API_DEPLOYMENT__SOURCE yourself: the workspace's files may not send files from outside it to Google Cloud/,
      );
    });

    it('a folder inside the workspace through a link the repository ships (store -> ../victim): exit 2 naming the link', async () => {
      await symlink(victim, path.join(ws, 'store'));
      await writeConfig({ state: { dir: 'store/state' } });
      await refusedByEveryCommand(
        new RegExp(`state\\.dir: "store/state" ${ws}/store is a symbolic link leading to ${victim}/state, outside`),
        /set ORCHESTRA_STATE__DIR yourself/,
      );
      assert.equal(existsSync(path.join(victim, 'state')), false);
    });

    it('the default state folder is a link out of the workspace (.orchestra -> ../victim): exit 2, remove the link', async () => {
      await writeConfig({});
      await symlink(victim, path.join(ws, '.orchestra'));
      await refusedByEveryCommand(
        new RegExp(
          `built-in defaults state\\.dir: "\\.orchestra" ${ws}/\\.orchestra is a symbolic link leading to ${victim}`,
        ),
        /fix: Remove the link .* or set ORCHESTRA_STATE__DIR to a folder of your choice/,
      );
    });

    it('a link that stays inside the workspace is fine', async () => {
      await mkdir(path.join(ws, 'real-state'));
      await symlink(path.join(ws, 'real-state'), path.join(ws, 'linked'));
      await writeConfig({ state: { dir: 'linked' } });
      const r = await runCli(['status'], ws);
      assert.equal(r.code, 0, r.stderr);
    });

    it("the user's own variable may place the state elsewhere: ORCHESTRA_STATE__DIR=../chosen", async () => {
      await writeConfig({});
      await writeState(path.join(parent, 'chosen'));
      const r = await runCli(['status', '--json'], ws, { ORCHESTRA_STATE__DIR: '../chosen' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        (JSON.parse(r.stdout) as { stateFile: string }).stateFile,
        path.join(parent, 'chosen', `state-${PROJECT}.json`),
      );
    });
  });

  describe('init and ORCHESTRA_CONFIG_DIR', () => {
    it('ORCHESTRA_CONFIG_DIR=../../x init: exit 2, no folder created outside the workspace', async () => {
      const r = await unchanged(['init'], { ORCHESTRA_CONFIG_DIR: '../../x' });
      assert.equal(r.code, 2, r.stderr);
      const x = path.join(path.dirname(parent), 'x');
      assert.match(r.stderr, new RegExp(`The config folder ${x} does not exist, and it is outside the workspace`));
      assert.match(r.stderr, /where: ORCHESTRA_CONFIG_DIR/);
      assert.match(r.stderr, /fix: Create .* first \(outside the workspace, init writes only into existing folders\)/);
      assert.equal(existsSync(x), false);
    });

    it('ORCHESTRA_CONFIG_DIR naming an existing folder outside: the user chose it, init writes there', async () => {
      const r = await runCli(['init'], ws, { ORCHESTRA_CONFIG_DIR: victim });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(existsSync(path.join(victim, 'common.json')));
    });

    it('the config folder is a link out of the workspace: init exits 2 and writes nothing through it', async () => {
      await rm(path.join(ws, 'config'), { recursive: true });
      await symlink(victim, path.join(ws, 'config'));
      const r = await unchanged(['init']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`${ws}/config is a symbolic link leading to ${victim}`));
      assert.match(r.stderr, /fix: Remove the link, or set ORCHESTRA_CONFIG_DIR/);
    });

    it('.gitignore is a link to a file outside: init exits 2 and appends nothing to it', async () => {
      await symlink(path.join(victim, 'precious.txt'), path.join(ws, '.gitignore'));
      const r = await unchanged(['init']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        /init would write through a link: .*\.gitignore is a symbolic link leading to .*precious\.txt/,
      );
    });
  });

  describe('files written through links', () => {
    it('report --out x.md where x.md is a link to a file outside: exit 2, the file untouched', async () => {
      await writeConfig({});
      await writeState();
      await symlink(path.join(victim, 'precious.txt'), path.join(ws, 'x.md'));
      const r = await unchanged(['report', '--out', 'x.md']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /Refusing to write through a link: .*x\.md is a symbolic link leading to .*precious\.txt/);
      assert.match(r.stderr, /where: --out /);
    });

    it('the default report file is a link out: report exits 2, the file untouched', async () => {
      await writeConfig({});
      await writeState();
      await mkdir(path.join(ws, '.orchestra', 'reports'));
      await symlink(
        path.join(victim, 'precious.txt'),
        path.join(ws, '.orchestra', 'reports', `migration-report-${PROJECT}.md`),
      );
      const r = await unchanged(['report']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /where: report\.dir /);
    });

    it('logs/migration/latest.log is a link to a file outside: the run replaces the link, the file is untouched', async () => {
      await writeConfig({});
      await mkdir(path.join(ws, 'logs', 'migration'), { recursive: true });
      await symlink(path.join(victim, 'precious.txt'), path.join(ws, 'logs', 'migration', 'latest.log'));
      await writeState();
      const r = await runCli(['report', '--stdout'], ws);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(path.join(victim, 'precious.txt'), 'utf8'), 'the user data\n');
      const latest = path.join(ws, 'logs', 'migration', 'latest.log');
      assert.equal(lstatSync(latest).isFile(), true, 'latest.log is a file of its own now');
      assert.match(readFileSync(latest, 'utf8'), /orchestra-migrate report/);
    });
  });

  it('verify (read-only) creates no state folder, even when its requests fail', async () => {
    await writeConfig({});
    const r = await runCli(['verify'], ws);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(existsSync(path.join(ws, '.orchestra')), false);
  });
});
