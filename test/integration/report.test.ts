import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { StateStore } from '../../src/core/migration/store';
import type { OrchestraApi } from '../../src/extension/context';
import { COMMAND_IDS } from '../../src/extension/constants';
import { activated, fails, logged, waitFor } from './helpers';
import { builtInPhases } from '../../src/core/migration/phases';

const PHASE_IDS = builtInPhases()
  .infos()
  .map((p) => p.id);

const PROJECT = 'orchestra-report-project';
const TAB = `Migration Report: ${PROJECT}`;

interface ShownReport {
  projectId: string;
  markdown: string;
  html: string;
}

function reportTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.label.startsWith('Migration Report'));
}

describe('Orchestra: Show Migration Report', () => {
  let root: string;
  let api: OrchestraApi;

  before(async () => {
    api = await activated();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    await fs.mkdir(path.join(root, 'config'), { recursive: true });
    await fs.writeFile(path.join(root, 'config', 'common.json'), JSON.stringify({ projectId: PROJECT }));
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await fs.rm(path.join(root, 'config'), { recursive: true, force: true });
    await fs.rm(path.join(root, '.orchestra'), { recursive: true, force: true });
    await vscode.commands.executeCommand(COMMAND_IDS.refresh);
  });

  it('before any run, says so and opens no empty tab', async () => {
    const refused = await fails(COMMAND_IDS.showReport);
    assert.match(refused.toast, new RegExp(`^Orchestra: No migration has run for ${PROJECT} yet`));
    assert.deepEqual(reportTabs(), []);
    await logged(api, new RegExp(`command orchestra\\.showReport failed: No migration has run for ${PROJECT} yet`));
  });

  it('shows the report in a tab, under a policy that allows its stylesheet only, and follows the state', async () => {
    const store = await StateStore.open(path.join(root, '.orchestra'), PROJECT, { phases: PHASE_IDS });
    await store.update((s) => {
      s.phases['core-infrastructure'].status = 'completed';
      s.phases['memory-system'].status = 'failed';
      s.phases['memory-system'].error = 'copy failed: <b>bold</b> | [link](https://example.com)';
      s.run = {
        id: 'run-9',
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
        status: 'failed',
        phases: ['core-infrastructure', 'memory-system'],
        pid: process.pid,
        host: 'test',
      };
    });
    const shown = await vscode.commands.executeCommand<ShownReport>(COMMAND_IDS.showReport);
    assert.equal(shown.projectId, PROJECT);
    assert.match(shown.markdown, new RegExp(`^# Migration report: ${PROJECT}`));
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(shown.html)?.[1] ?? '';
    assert.match(csp, /^default-src 'none'; style-src [^;]+; img-src [^;]+; base-uri 'none'; form-action 'none'$/);
    assert.doesNotMatch(csp, /unsafe|script-src/, 'no inline code of any kind');
    assert.doesNotMatch(shown.html, /<script|\sstyle=/);
    assert.match(shown.html, /<link rel="stylesheet" href="[^"]+\/media\/report\.css">/);
    assert.match(shown.html, /<td>3<\/td>\s*<td>Memory System<\/td>\s*<td>failed<\/td>/);
    assert.match(shown.html, /copy failed: &lt;b&gt;bold&lt;\/b&gt; \| \[link\]\(https:\/\/example\.com\)/);
    assert.doesNotMatch(shown.html, /<a href/, 'a link in a server message stays text');
    // The tab model catches up with a new panel a moment later.
    await waitFor('the report tab', () => reportTabs().length > 0);
    assert.deepEqual(
      reportTabs().map((t) => t.label),
      [TAB],
    );
    assert.ok(reportTabs()[0].input instanceof vscode.TabInputWebview, 'a webview tab');
    assert.equal(api.reportHtml(), shown.html, 'the panel shows that page');

    await store.update((s) => {
      s.phases['memory-system'].status = 'completed';
      s.phases['memory-system'].error = undefined;
    });
    // No refresh: the view follows the state file by itself, and the open report with it.
    await waitFor('the open report to redraw', () =>
      /<td>3<\/td>\s*<td>Memory System<\/td>\s*<td>completed<\/td>/.test(api.reportHtml() ?? ''),
    );

    await vscode.commands.executeCommand(COMMAND_IDS.showReport);
    assert.equal(reportTabs().length, 1, 'shown again, not opened twice');
  });

  it('exports the report as Markdown, by default where the command line writes it', async () => {
    const loaded = api.presenter.lastLoad;
    assert.ok(loaded?.ok);
    assert.equal(loaded.reportFile, path.join(root, '.orchestra', 'reports', `migration-report-${PROJECT}.md`));
    // A timed step of the last run: the export draws it in a chart beside the Markdown.
    const store = await StateStore.open(path.join(root, '.orchestra'), PROJECT, { phases: PHASE_IDS });
    await store.update((s) => {
      const run = s.run!;
      s.steps['memory-system/copy'] = {
        id: 'memory-system/copy',
        phase: 'memory-system',
        status: 'done',
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        attempts: 1,
      };
    });
    const saved = await vscode.commands.executeCommand<{ file: string; chart?: string }>(COMMAND_IDS.exportReport, {
      to: loaded.reportFile,
    });
    assert.equal(saved?.file, loaded.reportFile);
    const chart = loaded.reportFile.replace(/\.md$/, '.timeline.svg');
    assert.equal(saved?.chart, chart);
    // The step by its name for people, coloured by what it came to (no action recorded: unchanged).
    assert.match(await fs.readFile(chart, 'utf8'), /<svg [\s\S]*<title>Copy memory records: unchanged, /);
    const text = await fs.readFile(loaded.reportFile, 'utf8');
    assert.ok(text.includes(`](${path.basename(chart)})`), 'the Markdown shows the chart beside it');
    assert.match(text, new RegExp(`^# Migration report: ${PROJECT}\\n\\nGenerated `), 'a file says when it was made');
    assert.match(text, /\| 3 \| Memory System \| completed \|/);
  });

  it('refuses to export to a file that is not Markdown, writing nothing', async () => {
    const wrong = path.join(root, '.orchestra', 'reports', 'report.html');
    const refused = await fails(COMMAND_IDS.exportReport, { to: wrong });
    assert.equal(refused.code, 'BAD_INPUT');
    assert.equal(
      refused.toast,
      `Orchestra: The report is Markdown: ${wrong} does not end in .md, nothing was written.\n  fix: Save it as a .md file.`,
    );
    await assert.rejects(fs.stat(wrong), /ENOENT/);
    await assert.rejects(fs.stat(wrong.replace(/\.html$/, '.timeline.svg')), /ENOENT/, 'nor its chart');
  });
});
