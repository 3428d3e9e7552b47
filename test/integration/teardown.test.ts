/**
 * The editor's side of finishing and undoing a migration, in the real extension host
 * against the local emulators: the pending sync delta in the tree after Verify, Cutover
 * and its rollback (none before a cutover), and Destroy (the typed project id refused when wrong, a dismissed plan deleting nothing,
 * then a teardown that keeps the data and the tree showing it).
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExecuteResult } from '../../src/core/migration/executor';
import type { WorkspaceCutoverResult, WorkspaceDestroyResult, WorkspaceRollbackResult } from '../../src/core/workspace';
import type { OrchestraApi } from '../../src/extension/context';
import { COMMAND_IDS } from '../../src/extension/constants';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { activated, fails, sleep, succeeds, writeRehearsalConfig } from './helpers';

const PROJECT = 'editor-teardown-project';
const RECORDS = 60;
/** Requests that change something; getIamPolicy and testIamPermissions are read-only POSTs. */
const changes = (r: { method: string; kind?: string; path: string }) =>
  r.method !== 'GET' && r.kind !== 'service-url' && !/:(getIamPolicy|testIamPermissions)$/.test(r.path);

interface Settings {
  memory?: { endpoint?: string };
}

/** Every file of the config folder with its text. */
async function configFolder(root: string): Promise<Record<string, string>> {
  const dir = path.join(root, 'config');
  const names = (await fs.readdir(dir)).sort();
  return Object.fromEntries(
    await Promise.all(names.map(async (n) => [n, await fs.readFile(path.join(dir, n), 'utf8')])),
  );
}

/** A write to a memory server's HTTP API, as a member of the team makes one. */
function write(url: string, key: string): Promise<Response> {
  return fetch(`${url}/api/memory`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key, content: { written: key } }),
  });
}

async function rowsOf(api: OrchestraApi, phase: string): Promise<vscode.TreeItem[]> {
  const node = api.phaseTree.getChildren().find((n) => n.kind === 'phase' && n.phase.id === phase)!;
  return Promise.all([node, ...api.phaseTree.getChildren(node)].map((n) => api.phaseTree.getTreeItem(n)));
}

describe('Sync delta, Cutover and Destroy from the editor', function () {
  this.timeout(180_000);
  let root: string;
  let api: OrchestraApi;
  let sandbox: Sandbox;
  let stateFile: string;

  before(async () => {
    api = await activated();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    sandbox = await startSandbox({
      port: 0,
      dataDir: path.join(root, '.orchestra', 'teardown-sandbox'),
      seedRecords: RECORDS,
      gcp: { lroDelayMs: 20, projects: [PROJECT] },
    });
    await writeRehearsalConfig(root, sandbox, PROJECT, 2000);
    await succeeds(COMMAND_IDS.refresh);
    const result = await succeeds<ExecuteResult>(COMMAND_IDS.execute, { yes: true });
    assert.equal(result?.status, 'completed', JSON.stringify(result?.failures));
    const load = api.presenter.lastLoad;
    assert.ok(load?.ok && load.stateFile, 'the view follows a state file');
    stateFile = load.stateFile;
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await vscode.commands.executeCommand('notifications.clearAll');
    await sandbox?.close();
    for (const dir of ['config', '.orchestra', 'api', 'logs']) {
      await fs.rm(path.join(root, dir), { recursive: true, force: true });
    }
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
  });

  it('after changes on the source, Verify shows the pending sync on the Memory System row and its copy step', async () => {
    const store = sandbox.memory.store;
    const keys = store.list('', undefined, RECORDS).records.map((r) => r.key);
    await store.writeMany([
      ...[0, 1, 2, 3, 4].map((i) => ({ op: 'set' as const, key: `ui/new/${i}`, content: { text: `new ${i}` } })),
      ...keys.slice(0, 3).map((key) => ({ op: 'set' as const, key, content: { text: `changed ${key}` } })),
      ...keys.slice(3, 5).map((key) => ({ op: 'delete' as const, key })),
    ]);
    await succeeds(COMMAND_IDS.verify, { phases: ['memory-system'] });
    const [phase, ...steps] = await rowsOf(api, 'memory-system');
    assert.match(String(phase.description), /· \+5 ~3 −2 to sync$/);
    const copy = steps.find((s) => s.label === 'Copy memory records');
    assert.equal(copy?.description, '+5 ~3 −2 to sync');
    assert.match((copy?.tooltip as vscode.MarkdownString).value, /5 new, 3 updated, 2 deleted/);
  });

  it('Rollback Cutover before any cutover says there is nothing to roll back, and changes nothing', async () => {
    const before = await fs.readFile(stateFile, 'utf8');
    const failure = await fails(COMMAND_IDS.rollbackCutover, { yes: true });
    assert.equal(failure.code, 'BAD_INPUT');
    assert.match(failure.toast, new RegExp(`No cutover has run for project ${PROJECT}: there is nothing to roll back`));
    assert.equal(await fs.readFile(stateFile, 'utf8'), before, 'the state file is unchanged');
  });

  it('Cutover: the final delta moves, the source refuses writes, every environment file names the cloud; Rollback Cutover undoes it', async () => {
    const configBefore = await configFolder(root);
    const result = await succeeds<WorkspaceCutoverResult>(COMMAND_IDS.cutover, { yes: true });
    assert.equal(result?.record.status, 'done', JSON.stringify(result?.record));
    const { added, updated, deleted } = result.record.delta ?? {};
    assert.deepEqual({ added, updated, deleted }, { added: 5, updated: 3, deleted: 2 }, 'the pending delta moved');
    const local = JSON.parse(await fs.readFile(path.join(root, 'config', 'local.json'), 'utf8')) as Settings;
    assert.equal(local.memory?.endpoint, sandbox.urls.memoryTarget, 'config/local.json names the cloud memory');
    assert.equal((await write(sandbox.urls.memory, 'after/cutover')).status, 409, 'the source is read-only');
    // Not eventually: when the command returns the tree shows it.
    assert.match(String((await rowsOf(api, 'memory-system'))[0].description), / · cut over$/);
    assert.match(api.runs.progress?.join('\n') ?? '', /read-only/, 'the notification followed the stages');

    const back = await succeeds<WorkspaceRollbackResult>(COMMAND_IDS.rollbackCutover, { yes: true });
    assert.equal(back?.record.status, 'rolled-back');
    assert.match(String((await rowsOf(api, 'memory-system'))[0].description), / · cutover rolled back$/);
    assert.equal((await write(sandbox.urls.memory, 'after/rollback')).status, 201, 'the source takes writes again');
    assert.deepEqual(
      await configFolder(root),
      configBefore,
      'the config folder as before the cutover, byte for byte (the environment files it created gone)',
    );
  });

  it('a wrong project id typed deletes nothing, and the error says what to type', async () => {
    sandbox.gcp.clearRequestLog();
    const before = await fs.readFile(stateFile, 'utf8');
    const failure = await fails(COMMAND_IDS.destroy, { confirm: `${PROJECT}-typo` });
    assert.equal(failure.code, 'BAD_INPUT');
    assert.match(failure.toast, new RegExp(`"${PROJECT}-typo" is not the project id: type ${PROJECT} exactly\\.`));
    assert.match(failure.toast, /Nothing was deleted\./);
    assert.deepEqual(sandbox.gcp.requestLog().filter(changes), [], 'no request changed anything');
    assert.equal(await fs.readFile(stateFile, 'utf8'), before, 'the state file is unchanged');
  });

  it('from the palette Destroy waits on its plan; dismissing it deletes nothing', async () => {
    sandbox.gcp.clearRequestLog();
    let settled = false;
    const shown = succeeds(COMMAND_IDS.destroy).finally(() => {
      settled = true;
    });
    // The plan is read first (GETs), then the pick opens: close it until the command returns.
    const deadline = Date.now() + 60_000;
    while (!settled) {
      if (Date.now() > deadline) assert.fail('Destroy never showed its plan');
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await sleep(100);
    }
    assert.equal(await shown, undefined);
    assert.ok(sandbox.gcp.requestLog().length > 0, 'the plan read the resources');
    assert.deepEqual(sandbox.gcp.requestLog().filter(changes), [], 'a dismissed plan deletes nothing');
  });

  it('confirmed with the project id: deletes what execute created, keeps the data, the tree shows it; again: nothing', async () => {
    sandbox.gcp.clearRequestLog();
    const result = await succeeds<WorkspaceDestroyResult>(COMMAND_IDS.destroy, { confirm: PROJECT });
    assert.ok(result && !result.cancelled);
    assert.ok(result.deleted.includes('api-deployment/service'), result.deleted.join(', '));
    assert.ok(result.kept.includes('memory-system/firestore-database'), 'the database holds data: kept');
    const deletes = sandbox.gcp.requestLog().filter((r) => r.method === 'DELETE');
    assert.ok(
      deletes.some((r) => r.path.includes('/services/')),
      deletes.map((r) => r.path).join(', '),
    );
    assert.ok(!deletes.some((r) => r.path.includes('/databases/')), 'no DELETE of the database');
    // Not eventually: when the command returns the tree shows it.
    const [deployment, ...steps] = await rowsOf(api, 'api-deployment');
    assert.match(String(deployment.description), /stale/);
    assert.match(
      (deployment.tooltip as vscode.MarkdownString).value,
      /teardown deleted resources of this phase; run execute to create them again/,
    );
    const service = steps.find((s) => s.label === 'Cloud Run service');
    assert.equal(service?.description, 'not planned yet', 'the plan made before the teardown is dropped');

    sandbox.gcp.clearRequestLog();
    const again = await succeeds<WorkspaceDestroyResult>(COMMAND_IDS.destroy, { confirm: PROJECT });
    assert.deepEqual(again?.deleted, [], 'a second destroy deletes nothing');
    assert.deepEqual(sandbox.gcp.requestLog().filter(changes), []);
  });
});
