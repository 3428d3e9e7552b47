/**
 * A configuration file that does not load must not hide the migration's state: the tree
 * keeps the state file's statuses, the line above the tree names the problem, and the
 * error a command shows offers "Open" at the file, line and column. The environment
 * tooltip lists the endpoints the workspace resolved, not the port table's defaults.
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { builtInPhases } from '../../src/core/migration/phases';
import { StateStore } from '../../src/core/migration/store';
import type { OrchestraApi } from '../../src/extension/context';
import { COMMAND_IDS } from '../../src/extension/constants';
import { activated, fails, waitFor } from './helpers';

const PROJECT = 'config-problem-project';
const PHASE_IDS = builtInPhases()
  .infos()
  .map((p) => p.id);

async function descriptions(api: OrchestraApi): Promise<string[]> {
  return Promise.all(
    api.phaseTree.getChildren().map(async (n) => String((await api.phaseTree.getTreeItem(n)).description ?? '')),
  );
}

describe('A configuration problem keeps the state in view', function () {
  this.timeout(60_000);
  let root: string;
  let api: OrchestraApi;
  const common = () => path.join(root, 'config', 'common.json');

  before(async () => {
    api = await activated();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    await fs.mkdir(path.join(root, 'config'), { recursive: true });
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await fs.rm(path.join(root, 'config'), { recursive: true, force: true });
    await fs.rm(path.join(root, '.orchestra'), { recursive: true, force: true });
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
  });

  it('the environment tooltip shows the endpoints the workspace uses, not the defaults', async () => {
    await fs.writeFile(
      common(),
      JSON.stringify({
        projectId: PROJECT,
        gcp: { emulator: true },
        endpoints: { memory: 'http://127.0.0.1:47123', gcpEmulator: 'http://127.0.0.1:47124' },
        phases: { memorySystem: { targetEndpoint: 'http://127.0.0.1:47125' } },
      }),
    );
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
    const tooltip = await waitFor('the tooltip with the configured endpoints', () =>
      api.statusItem.tooltip.includes('47124') ? api.statusItem.tooltip : undefined,
    );
    assert.ok(tooltip.includes('| Memory server | `http://127.0.0.1:47123` |'), tooltip);
    assert.ok(tooltip.includes('| Memory copy target | `http://127.0.0.1:47125` |'), tooltip);
    assert.ok(tooltip.includes('| Google Cloud APIs | `http://127.0.0.1:47124/<api>` |'), tooltip);
    assert.doesNotMatch(tooltip, /localhost:8080|localhost:8085/, 'no endpoint nobody uses');
  });

  it('an invalid config file: the tree still shows the completed phases, the message names the problem', async () => {
    await fs.writeFile(common(), JSON.stringify({ projectId: PROJECT }, null, 2));
    const store = await StateStore.open(path.join(root, '.orchestra'), PROJECT, { phases: PHASE_IDS });
    await store.update((s) => {
      s.phases['core-infrastructure'].status = 'completed';
      s.phases['hybrid-config'].status = 'completed';
      for (const name of ['secret', 'secret-version']) {
        const id = `hybrid-config/${name}`;
        s.steps[id] = { id, phase: 'hybrid-config', status: 'done', action: 'create', attempts: 1 };
      }
    });
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
    await waitFor('the recorded state', async () => (await descriptions(api))[3] === 'completed · 2/2');

    // Line 3, column 16: where "soon" starts.
    await fs.writeFile(common(), `{\n  "projectId": "${PROJECT}",\n  "memory": { "timeoutMs": "soon" }\n}\n`);
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
    await waitFor('the configuration error', () => api.presenter.lastLoad?.ok === false);
    const shown = await descriptions(api);
    assert.equal(shown[0], 'completed', 'Core Infrastructure stays completed');
    assert.equal(shown[3], 'completed · 2/2', 'Hybrid Config stays completed');
    assert.match(
      api.presenter.treeMessage ?? '',
      /The configuration has 1 problem.*config\/common\.json:3:\d+ memory\.timeoutMs/,
    );
    const tooltip = (await api.phaseTree.getTreeItem(api.phaseTree.getChildren()[0])).tooltip as vscode.MarkdownString;
    assert.match(tooltip.value, /The phases show the state file as last recorded/);
  });

  it('the error offers Open, which opens the file at the line and column of the problem', async () => {
    const failure = await fails(COMMAND_IDS.verify);
    assert.match(failure.toast, /config\/common\.json:3:\d+ memory\.timeoutMs/);
    assert.deepEqual(failure.actions, ['Open', 'Show Log']);
    assert.equal(failure.open?.file, common());
    await api.failures.choose(failure, 'Open');
    const editor = await waitFor('the config file in an editor', () => {
      const active = vscode.window.activeTextEditor;
      return active?.document.uri.fsPath === common() ? active : undefined;
    });
    const line = editor.document.lineAt(editor.selection.active.line).text;
    assert.equal(editor.selection.active.line, 2, 'line 3');
    assert.equal(editor.selection.active.character, failure.open!.column - 1);
    assert.equal(line.slice(editor.selection.active.character).startsWith('"soon"'), true, line);
  });
});
