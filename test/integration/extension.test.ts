import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ENVIRONMENT_KINDS } from '../../src/core/config/types';
import { builtInPhases } from '../../src/core/migration/phases';

const PHASES = builtInPhases().infos();
import { COMMAND_IDS, SETTINGS_SECTION, SETTING_KEYS, settingId } from '../../src/extension/constants';
import { ENVIRONMENT_LABELS } from '../../src/extension/presentation';
import { activated, extension, fails, logText, logged, manifest, sleep, succeeds, waitFor } from './helpers';

describe('Orchestra Migrate in the extension host', () => {
  it('activates and returns its API', async () => {
    const api = await activated();
    assert.equal(extension().isActive, true);
    assert.ok(api.phaseTree, 'the API exposes the phase tree');
    assert.ok(api.statusItem, 'the API exposes the status bar item');
  });

  it('registers every command declared in package.json, and declares every orchestra.* command it registers', async () => {
    await activated();
    const declared = manifest()
      .contributes.commands.map((c) => c.command)
      .sort();
    // VS Code itself registers `<view id>.focus`, `.open`... for every contributed view.
    const viewIds = Object.values(manifest().contributes.views)
      .flat()
      .map((v) => v.id);
    const ours = (id: string) => id.startsWith('orchestra.') && !viewIds.some((view) => id.startsWith(`${view}.`));
    const registered = (await vscode.commands.getCommands(true)).filter(ours).sort();
    assert.deepEqual(registered, declared);
    assert.deepEqual([...Object.values(COMMAND_IDS)].sort(), declared, 'constants.ts COMMAND_IDS match the manifest');
  });

  it('shows the seven phases in order, each not started', async () => {
    const { phaseTree } = await activated();
    // The phases come from the engine's registry, once the first configuration load has read it.
    const nodes = await waitFor('the phases in the tree', () => {
      const roots = phaseTree.getChildren();
      return roots.length ? roots : undefined;
    });
    assert.deepEqual(
      nodes.map((n) => n.phase.id),
      PHASES.map((p) => p.id),
    );
    assert.equal(nodes.length, 7);
    for (const [index, node] of nodes.entries()) {
      const item = await phaseTree.getTreeItem(node);
      assert.equal(item.label, `${index + 1}. ${PHASES[index].title}`);
      assert.equal(item.description, 'not started');
      assert.ok(item.iconPath instanceof vscode.ThemeIcon, 'each phase has a status icon');
      // Before any Verify or run, each phase still lists its steps ("not planned yet").
      assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    }
  });

  it('shows the detected environment in the status bar', async () => {
    const api = await activated();
    const detection = api.environment();
    assert.ok(ENVIRONMENT_KINDS.includes(detection.kind));
    assert.ok(detection.evidence.length > 0, 'the verdict has evidence');
    assert.match(api.statusItem.text, new RegExp(`Orchestra: ${ENVIRONMENT_LABELS[detection.kind]}$`));
    const web = detection.evidence.find((e) => e.signal === 'vscode.env.uiKind');
    if (web) assert.equal(web.value, vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop');
  });

  it('Refresh detects the environment again and says so in the log; Show Log succeeds', async () => {
    const api = await activated();
    const count = (text: string) => text.match(/refreshed: environment \w+/g)?.length ?? 0;
    const before = count(await logText(api));
    await succeeds(COMMAND_IDS.refresh);
    await waitFor('a new "refreshed" line in the log', async () => count(await logText(api)) > before);
    assert.match(await logText(api), new RegExp(`refreshed: environment ${api.environment().kind}\n`));
    await succeeds(COMMAND_IDS.showLog);
  });

  it('Verify without a project fails with the fix, in the toast and in the log', async () => {
    const api = await activated();
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    await fs.rm(path.join(root, 'config'), { recursive: true, force: true });
    await succeeds(COMMAND_IDS.refresh);
    const failure = await fails(COMMAND_IDS.verify);
    // The engine bundle throws it; the extension bundle's wrapper must still read where and fix.
    assert.equal(failure.code, 'BAD_INPUT');
    assert.equal(failure.where, 'projectId');
    assert.match(failure.fix ?? '', /"projectId" in config\/common\.json/);
    assert.match(failure.toast, /^Orchestra: No Google Cloud project is configured/);
    assert.ok(failure.toast.includes(`\n  where: projectId\n  fix: ${failure.fix}`), failure.toast);
    const log = await logged(api, /command orchestra\.verify failed: No Google Cloud project is configured/);
    assert.ok(log.includes(`  fix: ${failure.fix}`), 'the log has the fix line');
  });

  it('shows the environment quick pick, waits while it is open, and returns once it closes', async () => {
    const api = await activated();
    const count = (text: string) => text.match(/\] environment: /g)?.length ?? 0;
    const before = count(await logText(api));
    let settled = false;
    const shown = succeeds(COMMAND_IDS.showEnvironment).finally(() => {
      settled = true;
    });
    // The command detects again (a log line) before it opens its pick.
    await waitFor('the command to detect the environment again', async () => count(await logText(api)) > before);
    assert.equal(settled, false, 'the command waits for the user while its pick is open');
    // The pick opens asynchronously: close it until the command returns.
    await waitFor('the pick to close', async () => {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await sleep(100);
      return settled;
    });
    assert.equal(await shown, undefined, 'a dismissed pick changes nothing');
  });

  it('contributes every setting the other layers read, with a description and a default', () => {
    const properties = manifest().contributes.configuration.properties;
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    for (const key of Object.values(SETTING_KEYS)) {
      const property = properties[settingId(key)];
      assert.ok(property, `${settingId(key)} is contributed`);
      assert.ok(property.description ?? property.markdownDescription, `${settingId(key)} has a description`);
      assert.notEqual(config.inspect(key)?.defaultValue, undefined, `${settingId(key)} has a default`);
    }
    assert.equal(config.get(SETTING_KEYS.environment), 'auto');
  });
});
