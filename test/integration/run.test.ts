/**
 * Verify and execute from the editor, against the local emulators started in this
 * extension host: the same engine as the command line, with its progress in the tree.
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HealthReport } from '../../src/core/health';
import type { ExecuteResult } from '../../src/core/migration/executor';
import type { Plan } from '../../src/core/migration/planner';
import { builtInPhases } from '../../src/core/migration/phases';

const PHASES = builtInPhases().infos();
import type { OrchestraApi } from '../../src/extension/context';
import { COMMAND_IDS, OUTPUT_CHANNEL_NAME } from '../../src/extension/constants';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { activated, fails, logged, writeRehearsalConfig } from './helpers';

const PROJECT = 'editor-run-project';
const RECORDS = 300;
/** The sandbox's memory servers want this key; the test stores it as a user would. */
const KEY = 'orchestra-editor-test-key-7f3a9c';
/** Requests that change something; getIamPolicy and testIamPermissions are read-only POSTs. */
const changes = (r: { method: string; kind?: string; path: string }) =>
  r.method !== 'GET' && r.kind !== 'service-url' && !/:(getIamPolicy|testIamPermissions)$/.test(r.path);

async function phaseDescriptions(api: OrchestraApi): Promise<string[]> {
  const nodes = api.phaseTree.getChildren();
  return Promise.all(nodes.map(async (n) => String((await api.phaseTree.getTreeItem(n)).description ?? '')));
}

describe('Verify and Execute from the editor', function () {
  this.timeout(120_000);
  let root: string;
  let api: OrchestraApi;
  let sandbox: Sandbox;

  before(async () => {
    api = await activated();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    sandbox = await startSandbox({
      port: 0,
      dataDir: path.join(root, '.orchestra', 'sandbox'),
      seedRecords: RECORDS,
      memoryApiKey: KEY,
      // The emulator knows the project it was told about, and no other (as Google).
      gcp: { lroDelayMs: 20, projects: [PROJECT] },
    });
    await writeRehearsalConfig(root, sandbox, PROJECT, 1000);
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
  });

  after(async () => {
    await vscode.commands.executeCommand(COMMAND_IDS.setMemoryApiKey, '');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await sandbox?.close();
    await fs.rm(path.join(root, 'config'), { recursive: true, force: true });
    await fs.rm(path.join(root, '.orchestra'), { recursive: true, force: true });
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
  });

  it('verify plans every phase with read-only calls and changes nothing', async () => {
    sandbox.gcp.clearRequestLog();
    const plan = await vscode.commands.executeCommand<Plan>(COMMAND_IDS.verify);
    assert.ok(plan, 'the command returns the plan');
    assert.equal(plan.projectId, PROJECT);
    assert.deepEqual(
      plan.phases.map((p) => p.phase),
      PHASES.map((p) => p.id),
    );
    const core = plan.phases.find((p) => p.phase === 'core-infrastructure')!;
    assert.equal(core.steps.find((s) => s.id === 'core-infrastructure/service-account')?.action, 'create');
    assert.ok(sandbox.gcp.requestLog().length > 10, 'verify read the resources');
    assert.deepEqual(sandbox.gcp.requestLog().filter(changes), [], 'verify sent no mutating request');
    assert.equal(sandbox.memoryTarget.store.size, 0);
  });

  it('verify of one phase, as from its row in the tree, plans that phase only', async () => {
    const nodes = api.phaseTree.getChildren();
    const node = nodes.find((n) => n.phase.id === 'hybrid-config')!;
    const plan = await vscode.commands.executeCommand<Plan>(COMMAND_IDS.verify, node);
    const planned = plan.phases.filter((p) => !p.excluded).map((p) => p.phase);
    assert.deepEqual(planned, ['hybrid-config']);
  });

  it('the tree shows the plan: steps by title with their action, the diff in the tooltip; stale once the config changes', async () => {
    const core = api.phaseTree.getChildren().find((n) => n.kind === 'phase' && n.phase.id === 'core-infrastructure')!;
    const coreItem = await api.phaseTree.getTreeItem(core);
    assert.match(String(coreItem.description), /^not started · \d+ to create/);
    const rows = await Promise.all(api.phaseTree.getChildren(core).map((n) => api.phaseTree.getTreeItem(n)));
    const account = rows.find((r) => r.label === 'Runtime service account');
    assert.ok(account, rows.map((r) => r.label).join(', '));
    assert.equal(account.description, 'to create');
    assert.match((account.tooltip as vscode.MarkdownString).value, /does not exist|not enabled yet/);
    assert.match((account.tooltip as vscode.MarkdownString).value, /Planned \d{4}\\-\d\d\\-\d\d/);

    const file = path.join(root, 'config', 'common.json');
    const original = await fs.readFile(file, 'utf8');
    const changed = JSON.parse(original);
    changed.phases.validation.samples = 4;
    await fs.writeFile(file, JSON.stringify(changed));
    try {
      await vscode.commands.executeCommand(COMMAND_IDS.refresh);
      const stale = await api.phaseTree.getTreeItem(api.phaseTree.getChildren(core).find((n) => n.kind === 'step')!);
      assert.match(String(stale.description), /\(stale plan\)$/);
      assert.match((stale.tooltip as vscode.MarkdownString).value, /The plan is stale: the configuration changed at/);
    } finally {
      await fs.writeFile(file, original);
      await vscode.commands.executeCommand(COMMAND_IDS.refresh);
    }
  });

  it('execute without the memory API key: Memory System fails saying how to give it, independent phases complete', async () => {
    const result = await vscode.commands.executeCommand<ExecuteResult>(COMMAND_IDS.execute, { yes: true });
    assert.equal(result.status, 'failed');
    const copy = result.failures.find((f) => f.step === 'memory-system/copy');
    assert.ok(copy, JSON.stringify(result.failures));
    assert.match(copy.error, /401/);
    assert.match(copy.error, /Orchestra: Set Memory API Key/);
    assert.equal(sandbox.memoryTarget.store.size, 0);
    const rows = await phaseDescriptions(api);
    assert.ok(rows[2].startsWith('failed'), `Memory System: ${rows[2]}`);
    assert.ok(rows[0].startsWith('completed'), `Core Infrastructure: ${rows[0]}`);
  });

  it('with the key stored (Set Memory API Key), execute resumes and copies every record', async () => {
    assert.deepEqual(await vscode.commands.executeCommand(COMMAND_IDS.setMemoryApiKey, KEY), { stored: true });
    const result = await vscode.commands.executeCommand<ExecuteResult>(COMMAND_IDS.execute, { yes: true });
    assert.equal(result.status, 'completed', JSON.stringify(result.failures));
    assert.equal(sandbox.memoryTarget.store.size, RECORDS, 'every record copied');
    // Not eventually: when the command reports the result, the tree already shows it.
    const rows = await phaseDescriptions(api);
    assert.ok(
      rows.every((d) => d.startsWith('completed')),
      `all seven completed when execute returns: ${rows.join(' | ')}`,
    );
  });

  it('execute again changes nothing in the cloud', async () => {
    sandbox.gcp.clearRequestLog();
    const result = await vscode.commands.executeCommand<ExecuteResult>(COMMAND_IDS.execute, { yes: true });
    assert.equal(result.status, 'completed');
    assert.deepEqual(
      sandbox.gcp
        .requestLog()
        .filter(changes)
        .map((r) => `${r.method} ${r.path}`),
      [],
    );
  });

  it('Skip Phase from a phase row: the tree says skipped, and execute passes over the phase', async () => {
    const row = api.phaseTree.getChildren().find((n) => n.kind === 'phase' && n.phase.id === 'ai-coding');
    assert.ok(row);
    assert.deepEqual(await vscode.commands.executeCommand(COMMAND_IDS.skipPhase, row), {
      phase: 'ai-coding',
      status: 'skipped',
    });
    assert.match((await phaseDescriptions(api))[4], /^skipped/);
    const result = await vscode.commands.executeCommand<ExecuteResult>(COMMAND_IDS.execute, {
      phases: ['ai-coding'],
      yes: true,
    });
    assert.equal(result.status, 'completed');
    assert.match((await phaseDescriptions(api))[4], /^skipped/, 'still skipped after execute');
    // Skipping again is not a legal move: the message says to reset first, and nothing changes.
    const stateFile = api.presenter.lastLoad?.ok ? api.presenter.lastLoad.stateFile : undefined;
    assert.ok(stateFile, 'the view follows a state file');
    const before = await fs.readFile(stateFile, 'utf8');
    const refused = await fails(COMMAND_IDS.skipPhase, { phase: 'ai-coding' });
    assert.equal(refused.code, 'BAD_INPUT', 'a move the phase cannot make is bad input');
    assert.match(refused.toast, /^Orchestra: Phase ai-coding cannot go from 'skipped' to 'skipped'\./);
    // The advice names the palette command, not the CLI an editor user may not have.
    assert.match(refused.toast, /\n {2}fix: Reset the phase first \("Orchestra: Reset Phase" on ai-coding\)\./);
    await logged(api, /command orchestra\.skipPhase failed: .*\n(.*\n)*? {2}fix: Reset the phase first/);
    assert.equal(await fs.readFile(stateFile, 'utf8'), before, 'the state file is unchanged');
    assert.match((await phaseDescriptions(api))[4], /^skipped/);
  });

  it('Reset Phase: forgets the progress; the next execute re-reads and creates nothing', async () => {
    assert.deepEqual(await vscode.commands.executeCommand(COMMAND_IDS.resetPhase, { phase: 'ai-coding', yes: true }), {
      phase: 'ai-coding',
      status: 'not-started',
    });
    assert.match((await phaseDescriptions(api))[4], /^not started/);
    sandbox.gcp.clearRequestLog();
    const result = await vscode.commands.executeCommand<ExecuteResult>(COMMAND_IDS.execute, {
      phases: ['ai-coding'],
      yes: true,
    });
    assert.equal(result.status, 'completed');
    assert.match((await phaseDescriptions(api))[4], /^completed/);
    assert.ok(sandbox.gcp.requestLog().length > 0, 'the resources were read again');
    assert.deepEqual(sandbox.gcp.requestLog().filter(changes), [], 'and none was created or changed');
  });

  it('never writes the key to the log: it shows masked', async () => {
    const log = await fs.readFile(path.join(api.logUri.fsPath, `${OUTPUT_CHANNEL_NAME}.log`), 'utf8');
    assert.ok(!log.includes(KEY), 'the key is not in the log');
    assert.match(log, /memory API key stored in the secret storage \(\*\*\*\*3a9c\)/);
    const refused = await fails(COMMAND_IDS.setMemoryApiKey, 'two words');
    assert.equal(refused.code, 'BAD_INPUT');
    assert.equal(
      refused.toast,
      'Orchestra: A memory API key has no spaces or line breaks: nothing was stored.\n  fix: Paste the key alone.',
    );
    // Nothing stored: the key from the test before is still the one the health check sends.
    const health = await vscode.commands.executeCommand<HealthReport>(COMMAND_IDS.checkHealth, { quiet: true });
    const memoryChecks = health?.checks.filter((c) => c.service !== 'api') ?? [];
    assert.ok(memoryChecks.length > 0, 'the memory servers were checked');
    assert.deepEqual(
      memoryChecks.filter((c) => c.level === 'down'),
      [],
      'both memory servers still accept the stored key',
    );
    const after = await logged(api, /command orchestra\.setMemoryApiKey failed: A memory API key has no spaces/);
    assert.ok(!after.includes('two words'), 'the refused key is not in the log either');
  });
});
