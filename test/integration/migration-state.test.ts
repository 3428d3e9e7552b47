import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PhaseId } from '../../src/core/migration/catalog';
import { builtInPhases } from '../../src/core/migration/phases';

const PHASES = builtInPhases().infos();
const PHASE_IDS = PHASES.map((p) => p.id);
import type { MigrationState } from '../../src/core/migration/state';
import { MigrationLock } from '../../src/core/migration/lock';
import { statePath, StateStore } from '../../src/core/migration/store';
import type { StepRecord } from '../../src/core/migration/types';
import type { OrchestraApi } from '../../src/extension/context';
import { COMMAND_IDS, OUTPUT_CHANNEL_NAME } from '../../src/extension/constants';
import type { PhaseTreeNode } from '../../src/extension/presentation';
import { activated, waitFor } from './helpers';

const PROJECT = 'orchestra-test-project';

interface Row {
  label: string;
  description: string;
  icon: string;
  tooltip: string;
  collapsible: vscode.TreeItemCollapsibleState | undefined;
  node: PhaseTreeNode;
}

/** The tree as a person sees it: label, description, icon and tooltip of each row. */
async function rows(api: OrchestraApi, parent?: PhaseTreeNode): Promise<Row[]> {
  const nodes = api.phaseTree.getChildren(parent);
  return Promise.all(
    nodes.map(async (node) => {
      const item = await api.phaseTree.getTreeItem(node);
      const tooltip = item.tooltip;
      return {
        label: String(item.label),
        description: String(item.description ?? ''),
        icon: item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : '',
        tooltip: typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? ''),
        collapsible: item.collapsibleState,
        node,
      };
    }),
  );
}

function step(phase: PhaseId, id: string, status: StepRecord['status'], action?: StepRecord['action']): StepRecord {
  return { id, phase, status, action, attempts: 1 };
}

/** A run as `orchestra-migrate execute` records it: two phases done or under way, one failed, one skipped. */
function recordRun(state: MigrationState): void {
  const now = new Date().toISOString();
  state.phases['core-infrastructure'].status = 'completed';
  state.phases['core-infrastructure'].finishedAt = now;
  // Step ids as the engine records them: <phase>/<name> (the state schema refuses others).
  for (const name of ['api-iam', 'service-account', 'runtime-roles', 'repository', 'reports-bucket']) {
    const id = `core-infrastructure/${name}`;
    state.steps[id] = step('core-infrastructure', id, 'done', 'create');
  }
  state.phases['workstation-configuration'].status = 'in-progress';
  state.steps['workstation-configuration/cluster'] = step(
    'workstation-configuration',
    'workstation-configuration/cluster',
    'done',
    'none',
  );
  state.steps['workstation-configuration/config'] = step(
    'workstation-configuration',
    'workstation-configuration/config',
    'running',
  );
  state.phases['memory-system'].status = 'failed';
  state.phases['memory-system'].error = 'Firestore database create failed: PERMISSION_DENIED';
  state.phases['hybrid-config'].status = 'skipped';
  state.run = {
    id: 'run-1',
    startedAt: now,
    status: 'running',
    phases: ['core-infrastructure', 'workstation-configuration', 'memory-system'],
    pid: process.pid,
    host: 'test',
  };
}

describe('The views follow the migration state', () => {
  let root: string;
  let api: OrchestraApi;

  before(async () => {
    api = await activated();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test run opens a workspace folder');
    root = folder.uri.fsPath;
    await fs.mkdir(path.join(root, 'config'), { recursive: true });
  });

  /** config/common.json naming the test project. */
  async function writeProjectConfig(): Promise<void> {
    await fs.writeFile(path.join(root, 'config', 'common.json'), JSON.stringify({ projectId: PROJECT }, null, 2));
  }

  /** Records recordRun's state as execute would, and asks the views to refresh. */
  async function showRecordedRun(): Promise<void> {
    const store = await StateStore.open(path.join(root, '.orchestra'), PROJECT, { phases: PHASE_IDS });
    await store.update(recordRun);
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
  }

  after(async () => {
    await fs.rm(path.join(root, 'config'), { recursive: true, force: true });
    await fs.rm(path.join(root, '.orchestra'), { recursive: true, force: true });
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
  });

  it('shows each phase status, its steps and a spinner while a run is in progress, and follows changes', async () => {
    await writeProjectConfig();
    // As execute does: the lock first, then the run recorded as running.
    const lock = await MigrationLock.acquire(path.join(root, '.orchestra'), PROJECT);
    await showRecordedRun();

    const phases = await waitFor('the tree to show the recorded run', async () => {
      const list = await rows(api);
      return list[0]?.description === 'completed · 5/5' ? list : undefined;
    });
    assert.equal(phases.length, 7);
    assert.deepEqual(
      phases.map((r) => [r.label, r.description, r.icon]),
      [
        ['1. Core Infrastructure', 'completed · 5/5', 'pass-filled'],
        ['2. Workstation Configuration', 'in progress · 1/2', 'sync~spin'],
        ['3. Memory System', 'failed', 'error'],
        ['4. Hybrid Config', 'skipped', 'debug-step-over'],
        ['5. AI Coding', 'not started', 'circle-large-outline'],
        ['6. API Deployment', 'not started', 'circle-large-outline'],
        ['7. Validation', 'not started', 'circle-large-outline'],
      ],
    );
    assert.match(phases[2].tooltip, /PERMISSION\\_DENIED/, 'the failed phase says why in its tooltip');
    assert.equal(phases[0].collapsible, vscode.TreeItemCollapsibleState.Collapsed, 'a phase with steps expands');
    // Before any run or Verify, a phase lists the steps its configuration gives it.
    assert.equal(
      phases[4].collapsible,
      vscode.TreeItemCollapsibleState.Collapsed,
      'a phase no run reached expands too',
    );
    assert.deepEqual(
      (await rows(api, phases[4].node)).map((r) => [r.label, r.description, r.icon]),
      [
        ['Gemini for Google Cloud API', 'not planned yet', 'circle-outline'],
        ['Gemini user role for the team', 'not planned yet', 'circle-outline'],
      ],
    );

    const core = await rows(api, phases[0].node);
    // The other APIs the configuration enables are listed too, not reached by this run.
    const unreached = core.filter((r) => r.description === 'not planned yet');
    assert.equal(unreached.length, core.length - 5);
    assert.ok(
      unreached.every((r) => / API$/.test(r.label)),
      unreached.map((r) => r.label).join(', '),
    );
    assert.deepEqual(
      core.filter((r) => r.description !== 'not planned yet').map((r) => [r.label, r.description, r.icon]),
      [
        ['iam.googleapis.com API', 'done · created', 'pass'],
        ['Runtime service account', 'done · created', 'pass'],
        ['Runtime service account roles', 'done · created', 'pass'],
        ['Artifact Registry repository', 'done · created', 'pass'],
        ['Reports bucket', 'done · created', 'pass'],
      ],
    );
    const workstation = await rows(api, phases[1].node);
    assert.deepEqual(
      workstation.map((r) => [r.label, r.description, r.icon]),
      [
        ['Workstation cluster', 'done · unchanged', 'pass'],
        ['Workstation configuration', 'running', 'sync~spin'],
        ['Workstation', 'not planned yet', 'circle-outline'],
      ],
    );

    assert.match(api.statusItem.text, /Orchestra: \w[\w ]* \$\(sync~spin\)$/, 'the status bar spins while a run is on');
    assert.match(api.statusItem.tooltip, /A migration run is in progress \(6\/7 steps\)/);
    // Inside code spans, as a person reads it: no markdown escapes showing.
    assert.ok(api.statusItem.tooltip.includes('`config/common.json`'), 'the tooltip names the config file used');
    assert.match(api.statusItem.tooltip, /\| Memory server \| `http:\/\/[^`]+` \|/, 'the tooltip lists the endpoints');
    assert.ok(api.statusItem.tooltip.includes(`Project: \`${PROJECT}\``), 'the tooltip names the project');

    // Another process finishes the run: the views follow the file without a refresh.
    const later = await StateStore.open(path.join(root, '.orchestra'), PROJECT, { phases: PHASE_IDS });
    await later.update((state) => {
      state.phases['workstation-configuration'].status = 'completed';
      state.steps['workstation-configuration/config'] = step(
        'workstation-configuration',
        'workstation-configuration/config',
        'done',
        'create',
      );
      state.run = { ...state.run!, status: 'failed', finishedAt: new Date().toISOString() };
    });
    await lock.release();
    await waitFor('the tree to follow the finished run', async () => {
      const list = await rows(api);
      return list[1].description === 'completed · 2/2' && list[1].icon === 'pass-filled';
    });
    await waitFor('the spinner to stop', () => !api.statusItem.text.includes('$(sync~spin)'));
  });

  it('a run whose process died: no spinner, the unfinished phase and step say interrupted, the log says so', async () => {
    await writeProjectConfig();
    // Recorded as running, but no process holds the lock: the run was killed.
    await showRecordedRun();

    const phases = await waitFor('the tree to show the interrupted run', async () => {
      const list = await rows(api);
      return list[1]?.description === 'interrupted · 1/2' ? list : undefined;
    });
    assert.equal(phases[1].icon, 'debug-pause', 'no spinner for work nobody is doing');
    assert.match(phases[1].tooltip, /no process holds the migration lock/);
    assert.match(phases[1].tooltip, /Run "Orchestra: Execute Migration" again to resume/);
    const workstation = await rows(api, phases[1].node);
    assert.deepEqual(
      workstation.map((r) => [r.label, r.description, r.icon]),
      [
        ['Workstation cluster', 'done · unchanged', 'pass'],
        ['Workstation configuration', 'interrupted', 'debug-pause'],
        ['Workstation', 'not planned yet', 'circle-outline'],
      ],
    );
    assert.ok(!api.statusItem.text.includes('$(sync~spin)'), 'the status bar does not spin');
    assert.match(api.statusItem.tooltip, /The last run stopped before finishing/);
    const logFile = path.join(api.logUri.fsPath, `${OUTPUT_CHANNEL_NAME}.log`);
    await waitFor('the interruption in the log', async () =>
      /\[warning\] the last migration run did not finish: no process holds the migration lock/.test(
        await fs.readFile(logFile, 'utf8').catch(() => ''),
      ),
    );
  });

  it('a corrupt state file: every phase tooltip and the log say the file is not valid JSON, naming it', async () => {
    await writeProjectConfig();
    const file = statePath(path.join(root, '.orchestra'), PROJECT);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, '{"version": 2, "phases": {');
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
    const phases = await waitFor('the tree to show the problem', async () => {
      const list = await rows(api);
      return list.length === 7 && list.every((r) => /state file .* is not valid: .*not JSON/.test(r.tooltip))
        ? list
        : undefined;
    });
    assert.match(phases[0].tooltip, /state\\-orchestra\\-test\\-project\\.json/, 'the tooltip names the file');
    const logFile = path.join(api.logUri.fsPath, `${OUTPUT_CHANNEL_NAME}.log`);
    await waitFor('the problem in the log', async () =>
      /\[error\] migration state: The migration state file .*state-orchestra-test-project\.json is not valid: .*not JSON/.test(
        await fs.readFile(logFile, 'utf8').catch(() => ''),
      ),
    );
    await fs.rm(file);
  });

  it('a broken config file: the error is logged with its file and line, and the tree still lists seven phases', async () => {
    await fs.writeFile(
      path.join(root, 'config', 'common.json'),
      `{\n  "projectId": "${PROJECT}",\n  "memory": { "timeoutMs": "soon" }\n}\n`,
    );
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
    await waitFor('the configuration error', () => api.presenter.lastLoad?.ok === false);

    const phases = await rows(api);
    assert.equal(phases.length, 7);
    for (const [index, row] of phases.entries()) {
      assert.equal(row.label, `${index + 1}. ${PHASES[index].title}`);
      assert.equal(row.description, 'not started');
      assert.match(row.tooltip, /config\/common\\\.json:3:/, 'the tooltip points at the broken line');
    }
    assert.ok(!api.statusItem.text.includes('$(sync~spin)'));
    assert.match(api.statusItem.tooltip, /problem/);

    const logFile = path.join(api.logUri.fsPath, `${OUTPUT_CHANNEL_NAME}.log`);
    const logged = await waitFor('the error in the log', async () => {
      const text = await fs.readFile(logFile, 'utf8').catch(() => '');
      return /\[error\] configuration: .*\n(.*\n)*.*config\/common\.json:3:\d+ memory\.timeoutMs/.test(text)
        ? text
        : undefined;
    });
    assert.match(logged, /fix: /, 'the log says how to fix it');
  });
});
