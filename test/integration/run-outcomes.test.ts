/**
 * What the tree says of a run, against the local emulators in this extension host: a run
 * cancelled mid-way leaves the phases under way cancelled (not failed) and the finished ones
 * completed; a reset upstream makes Validation stale; the memory copy shows its progress in
 * the notification; every editor run writes its own log file under log.dir, at log.level,
 * without the secrets it used.
 */
import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExecuteResult } from '../../src/core/migration/executor';
import type { OrchestraApi } from '../../src/extension/context';
import { COMMAND_IDS } from '../../src/extension/constants';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { activated, waitFor, writeRehearsalConfig } from './helpers';

const PROJECT = 'editor-outcomes-project';
const RECORDS = 400;
/** Planted: the memory servers want it, so every copy call carries it; no log may hold it. */
const KEY = 'Planted-outcome-key-5d1e0b7c93a4';

interface Row {
  title: string;
  description: string;
  icon: string;
  tooltip: string;
}

async function rows(api: OrchestraApi): Promise<Row[]> {
  return Promise.all(
    api.phaseTree.getChildren().map(async (node) => {
      const item = await api.phaseTree.getTreeItem(node);
      const tooltip = item.tooltip;
      return {
        title: node.phase.title,
        description: String(item.description ?? ''),
        icon: item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : '',
        tooltip: typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? ''),
      };
    }),
  );
}

describe('Run outcomes in the tree, and the run log', function () {
  this.timeout(180_000);
  let root: string;
  let api: OrchestraApi;
  let sandbox: Sandbox;

  async function writeConfig(level: 'info' | 'debug'): Promise<void> {
    await writeRehearsalConfig(root, sandbox, PROJECT, 1000, { log: { dir: 'logs/editor-runs', level } });
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
    await waitFor('the new configuration', () => api.presenter.lastLoad?.ok === true);
  }

  before(async () => {
    api = await activated();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    sandbox = await startSandbox({
      port: 0,
      dataDir: path.join(root, '.orchestra', 'outcomes-sandbox'),
      seedRecords: RECORDS,
      memoryApiKey: KEY,
      // Long enough operations that a run is still under way when the test cancels it.
      gcp: { lroDelayMs: 1500, projects: [PROJECT] },
    });
    await vscode.commands.executeCommand(COMMAND_IDS.setMemoryApiKey, KEY);
    await writeConfig('info');
  });

  after(async () => {
    await vscode.commands.executeCommand(COMMAND_IDS.setMemoryApiKey, '');
    await sandbox?.close();
    for (const dir of ['config', '.orchestra', 'api', 'logs']) {
      await fs.rm(path.join(root, dir), { recursive: true, force: true });
    }
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
  });

  it('cancel mid-run: the phases under way show cancelled, not failed; finished phases stay completed', async () => {
    const cancel = new vscode.CancellationTokenSource();
    const running = vscode.commands.executeCommand<ExecuteResult>(COMMAND_IDS.execute, {
      yes: true,
      token: cancel.token,
    });
    // Cancel once one phase has finished and another is still under way, as a person would.
    const before = await waitFor(
      'a completed phase beside one in progress',
      async () => {
        const list = await rows(api);
        const done = list.filter((r) => r.description.startsWith('completed'));
        return done.length > 0 && list.some((r) => r.description.startsWith('in progress')) ? list : undefined;
      },
      120_000,
    );
    cancel.cancel();
    const result = await running;
    assert.equal(result?.status, 'cancelled', JSON.stringify(result?.failures));
    const after = await rows(api);
    for (const [i, row] of before.entries()) {
      if (row.description.startsWith('completed')) {
        assert.match(after[i].description, /^completed/, `${row.title} stays completed`);
        assert.equal(after[i].icon, 'pass-filled');
      }
    }
    assert.deepEqual(
      after.filter((r) => /failed/.test(r.description) || r.icon === 'error').map((r) => r.title),
      [],
      'no phase shows failed',
    );
    const cancelled = after.filter((r) => r.description.startsWith('cancelled'));
    assert.ok(
      cancelled.length > 0,
      `a phase under way shows cancelled: ${after.map((r) => r.description).join(' | ')}`,
    );
    for (const row of cancelled) {
      assert.equal(row.icon, 'debug-stop', `${row.title}: the stop icon`);
      assert.match(row.tooltip, /— cancelled/);
    }
    // The run wrote its log at level info: the cancellation is there, no debug line is.
    const log = await fs.readFile(api.runs.logFile!, 'utf8');
    assert.match(log, /\[info\] orchestra-migrate editor-execute: log level info/);
    assert.doesNotMatch(log, /\[debug\]/, 'level info writes no debug lines');
  });

  it('execute again completes; the copy shows records copied of total in the notification; the log follows the level', async () => {
    await writeConfig('debug');
    // The copy runs in this execute, whether or not it got to finish before the cancel.
    const memory = (await rows(api)).find((r) => r.title === 'Memory System')!;
    if (memory.description.startsWith('completed')) {
      await vscode.commands.executeCommand(COMMAND_IDS.resetPhase, { phase: 'memory-system', yes: true });
    }
    const result = await vscode.commands.executeCommand<ExecuteResult>(COMMAND_IDS.execute, { yes: true });
    assert.equal(result?.status, 'completed', JSON.stringify(result?.failures));
    assert.ok((await rows(api)).every((r) => r.description.startsWith('completed')));
    const copy = (api.runs.progress ?? []).filter((m) => m.startsWith('memory-system/copy:'));
    assert.ok(
      copy.some((m) => new RegExp(`^memory-system/copy: \\d+/${RECORDS} `).test(m)),
      `copy progress in the notification: ${copy.join(' | ')}`,
    );

    const file = api.runs.logFile!;
    assert.ok(existsSync(file), `the run's log file ${file}`);
    assert.equal(path.dirname(file), path.join(root, 'logs', 'editor-runs'), 'under log.dir');
    assert.ok(existsSync(path.join(root, 'logs', 'editor-runs', 'latest.log')));
    const log = await fs.readFile(file, 'utf8');
    assert.match(log, /log level debug/);
    assert.match(log, /\[debug\] memory-system\/copy: \d+\/\d+/, 'debug lines at level debug');
    assert.match(log, /run .* completed|completed/);
    for (const name of await fs.readdir(path.dirname(file))) {
      const text = await fs.readFile(path.join(path.dirname(file), name), 'utf8');
      assert.ok(!text.includes(KEY), `${name} holds no planted key`);
    }
  });

  it('Reset of Core Infrastructure marks Validation stale: icon, description and tooltip say so', async () => {
    assert.deepEqual(
      await vscode.commands.executeCommand(COMMAND_IDS.resetPhase, { phase: 'core-infrastructure', yes: true }),
      { phase: 'core-infrastructure', status: 'not-started' },
    );
    const list = await waitFor('the tree after the reset', async () => {
      const now = await rows(api);
      return now[0].description === 'not started' ? now : undefined;
    });
    const validation = list.find((r) => r.title === 'Validation')!;
    assert.match(validation.description, /^completed · \d+\/\d+ · stale$/);
    assert.equal(validation.icon, 'history');
    assert.match(validation.tooltip, /Stale: Core Infrastructure was reset after this phase ran; run execute again/);
    // Execute brings it up to date: stale no more.
    const result = await vscode.commands.executeCommand<ExecuteResult>(COMMAND_IDS.execute, { yes: true });
    assert.equal(result?.status, 'completed');
    const fresh = (await rows(api)).find((r) => r.title === 'Validation')!;
    assert.doesNotMatch(fresh.description, /stale/);
    assert.equal(fresh.icon, 'pass-filled');
  });
});
