import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMAND_IDS } from '../../src/extension/constants';
import type { InitSummary } from '../../src/core/workspace';
import { activated } from './helpers';

const FILES = [
  'config/common.json',
  'config/local.json',
  'config/codespaces.json',
  'config/workstation.json',
  'config/cloud_run.json',
  'config/schema/orchestra.schema.json',
];

describe('Orchestra: Initialize Configuration', () => {
  let root: string;
  let gitignoreBefore: string | undefined;

  before(async () => {
    await activated();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test run opens a workspace folder');
    root = folder.uri.fsPath;
    await fs.rm(path.join(root, 'config'), { recursive: true, force: true });
    gitignoreBefore = await fs.readFile(path.join(root, '.gitignore'), 'utf8').catch(() => undefined);
  });

  after(async () => {
    await fs.rm(path.join(root, 'config'), { recursive: true, force: true });
    if (gitignoreBefore === undefined) await fs.rm(path.join(root, '.gitignore'), { force: true });
    else await fs.writeFile(path.join(root, '.gitignore'), gitignoreBefore);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
  });

  it('writes the default files into the workspace folder, git-ignores .orchestra/, and loads them', async () => {
    const api = await activated();
    const result = await vscode.commands.executeCommand<InitSummary>(COMMAND_IDS.initConfig);
    assert.ok(result, 'the command returns what it did');
    assert.deepEqual([...result.written].sort(), [...FILES].sort());
    assert.deepEqual(result.skipped, []);
    for (const file of FILES) {
      const text = await fs.readFile(path.join(root, file), 'utf8');
      assert.doesNotThrow(() => JSON.parse(text) as unknown, `${file} is JSON`);
    }
    assert.match(await fs.readFile(path.join(root, '.gitignore'), 'utf8'), /^\.orchestra\/$/m);
    const loaded = api.presenter.lastLoad;
    assert.ok(loaded?.ok, `the new files load without a problem: ${loaded && !loaded.ok ? loaded.summary : ''}`);
    assert.ok(
      loaded.files.includes('config/common.json'),
      `the view loaded config/common.json (${loaded.files.join(', ')})`,
    );
  });

  it('run again, keeps every file as the user left it', async () => {
    const common = path.join(root, 'config', 'common.json');
    const edited = JSON.stringify({ projectId: 'my-own-project' }, null, 2);
    await fs.writeFile(common, edited);
    const result = await vscode.commands.executeCommand<InitSummary>(COMMAND_IDS.initConfig);
    assert.deepEqual(result?.written, []);
    assert.deepEqual([...(result?.skipped ?? [])].sort(), [...FILES].sort());
    assert.equal(await fs.readFile(common, 'utf8'), edited, 'the edited common.json is untouched');
    const gitignore = await fs.readFile(path.join(root, '.gitignore'), 'utf8');
    assert.equal(gitignore.match(/^\.orchestra\/$/gm)?.length, 1, '.orchestra/ is listed once');
  });
});
