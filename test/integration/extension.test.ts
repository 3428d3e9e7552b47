import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ENVIRONMENT_KINDS } from '../../src/core/config/types';
import { PHASES } from '../../src/core/migration/catalog';
import { COMMAND_IDS, SETTINGS_SECTION, SETTING_KEYS, settingId } from '../../src/extension/constants';
import { ENVIRONMENT_LABELS } from '../../src/extension/status-bar';
import { activated, extension, manifest, sleep } from './helpers';

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
    const nodes = await phaseTree.getChildren();
    assert.ok(nodes, 'the tree returns its roots');
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
      assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.None);
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

  it('runs Refresh and Show Log without error', async () => {
    await activated();
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
    await vscode.commands.executeCommand(COMMAND_IDS.showLog);
  });

  it('shows the environment quick pick and closes it', async () => {
    await activated();
    let closed = false;
    const shown = Promise.resolve(vscode.commands.executeCommand(COMMAND_IDS.showEnvironment)).then(() => {
      closed = true;
    });
    // The pick opens asynchronously: close it until the command returns (it resolves when the pick closes).
    for (let i = 0; i < 50 && !closed; i++) {
      await sleep(200);
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    }
    await shown;
    assert.ok(closed, 'the command returned once its quick pick closed');
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
