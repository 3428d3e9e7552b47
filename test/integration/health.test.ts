/**
 * The status bar's health indicator in a real extension host, against two memory
 * servers on loopback that want an API key (the copy's source and target).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HealthReport } from '../../src/core/health';
import { COMMAND_IDS } from '../../src/extension/constants';
import type { OrchestraApi } from '../../src/extension/context';
import { startMemoryServer, type MemoryServerHandle } from '../../src/sandbox/memory';
import { activated, waitFor } from './helpers';

const KEY = 'orchestra-health-test-key-4c21e8';

/** The tooltip as a person reads it: without the Markdown escapes. */
function plain(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

describe('Service health in the status bar, before anything is configured', function () {
  this.timeout(30_000);

  it('checks nothing and says so, offering to initialize the configuration', async () => {
    const api = await activated();
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    await fs.rm(path.join(root, 'config'), { recursive: true, force: true });
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
    const report = await vscode.commands.executeCommand<HealthReport>(COMMAND_IDS.checkHealth, { quiet: true });
    assert.equal(report?.unconfigured, true);
    assert.deepEqual(report?.checks, []);
    assert.equal(api.health.text, '$(pulse) Services not configured');
    assert.match(plain(api.health.tooltip), /Orchestra: Initialize Configuration/);
  });
});

describe('Service health in the status bar', function () {
  this.timeout(60_000);
  let root: string;
  let api: OrchestraApi;
  let memory: MemoryServerHandle;
  let target: MemoryServerHandle;

  before(async () => {
    api = await activated();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const data = path.join(root, '.orchestra-health-test');
    memory = await startMemoryServer({ dataDir: path.join(data, 'memory'), apiKey: KEY });
    target = await startMemoryServer({ dataDir: path.join(data, 'target'), apiKey: KEY });
    await fs.mkdir(path.join(root, 'config'), { recursive: true });
    await fs.writeFile(
      path.join(root, 'config', 'common.json'),
      JSON.stringify({
        projectId: 'health-project',
        endpoints: { memory: memory.url },
        phases: { memorySystem: { targetEndpoint: target.url } },
        breaker: { retry: { maxAttempts: 1 } },
        validation: { targets: { memoryReadMs: 1_000 } },
      }),
    );
    await vscode.commands.executeCommand(COMMAND_IDS.setMemoryApiKey, '');
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
  });

  after(async () => {
    await vscode.commands.executeCommand(COMMAND_IDS.setMemoryApiKey, '');
    await memory?.close();
    await target?.close().catch(() => undefined);
    await fs.rm(path.join(root, 'config'), { recursive: true, force: true });
    await fs.rm(path.join(root, '.orchestra-health-test'), { recursive: true, force: true });
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
  });

  it('without the API key: both servers down, the item says so and the tooltip gives the fix', async () => {
    const report = await vscode.commands.executeCommand<HealthReport>(COMMAND_IDS.checkHealth, { quiet: true });
    assert.ok(report, 'the command returns the report');
    assert.equal(report.level, 'down');
    assert.equal(api.health.text, '$(error) Memory server down (+1)');
    const tooltip = plain(api.health.tooltip);
    assert.ok(tooltip.includes(memory.url) && tooltip.includes(target.url), tooltip);
    assert.match(tooltip, /401/);
    assert.match(tooltip, /Orchestra: Set Memory API Key/);
  });

  it('storing the key checks again by itself: services ok, each with its round trip', async () => {
    await vscode.commands.executeCommand(COMMAND_IDS.setMemoryApiKey, KEY);
    await waitFor(
      `the check after storing the key (now ${api.health.text})`,
      () => api.health.lastReport?.level === 'ok',
    );
    assert.equal(api.health.text, '$(pulse) Services ok');
    const tooltip = plain(api.health.tooltip);
    assert.match(tooltip, /Memory server \| http:\/\/127\.0\.0\.1:\d+ \| ok · [\d.]+ ms \(target 1000 ms\) \|/);
    assert.match(tooltip, /Memory copy target \| http:\/\/127\.0\.0\.1:\d+ \| ok/);
    assert.ok(!tooltip.includes(KEY), 'the key is not shown');
  });

  it('a server that stops turns the item to "down", naming that server only', async () => {
    await target.close();
    const report = await vscode.commands.executeCommand<HealthReport>(COMMAND_IDS.checkHealth, { quiet: true });
    assert.equal(report?.level, 'down');
    assert.equal(api.health.text, '$(error) Memory copy target down');
    const row = plain(api.health.tooltip)
      .split('\n')
      .find((line) => line.includes('Memory copy target'));
    assert.match(row ?? '', /\| down: .*(ECONNREFUSED|cannot reach)/);
  });
});
