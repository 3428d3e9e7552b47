/**
 * What the editor shows, on plain Node: tree rows, status bar items, tooltips and the
 * labels screen readers read, computed from the state as the extension computes them.
 */
import './vscode-stub';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentDetection } from '../../../src/core/environment';
import type { HealthCheck, HealthReport } from '../../../src/core/health';
import type { PhaseInfo } from '../../../src/core/migration/catalog';
import { builtInPhases } from '../../../src/core/migration/phases';
import type { StepRecord } from '../../../src/core/migration/types';
import { healthTooltip } from '../../../src/extension/health-item';
import {
  healthAccessibilityLabel,
  healthStateText,
  healthText,
  unCheckedLabel,
} from '../../../src/extension/health-text';
import { PhaseTreeProvider } from '../../../src/extension/phase-tree';
import {
  md,
  phaseDescription,
  stepDescription,
  type PhaseDetail,
  type PhaseNode,
} from '../../../src/extension/presentation';
import { EnvironmentStatusItem } from '../../../src/extension/status-bar';
import type { MarkdownString, ThemeIcon } from './vscode-stub';

const step = (id: string, status: StepRecord['status'], action?: StepRecord['action']): StepRecord =>
  ({ id, phase: 'core-infrastructure', status, action, attempts: 1 }) as StepRecord;

/** A tree showing the built-in phases, each with the detail `statusOf` gives it (the presenter's job). */
function treeWith(statusOf: (phase: PhaseInfo) => PhaseDetail = () => ({ status: 'not-started' })) {
  const tree = new PhaseTreeProvider();
  const nodes = builtInPhases()
    .infos()
    .map((phase): PhaseNode => {
      const detail = statusOf(phase);
      return { kind: 'phase', phase, status: detail.status, detail };
    });
  tree.show(nodes, undefined);
  return tree;
}

/** Each phase row as a person reads it. */
function rows(tree: PhaseTreeProvider) {
  return tree.getChildren().map((node) => {
    const item = tree.getTreeItem(node);
    return {
      node: node as PhaseNode,
      label: item.label,
      description: item.description,
      icon: (item.iconPath as unknown as ThemeIcon).id,
      tooltip: (item.tooltip as unknown as MarkdownString).value,
      context: item.contextValue,
      spoken: item.accessibilityInformation?.label,
    };
  });
}

describe('the phase tree, as text', () => {
  it('a phase says its status, then steps done out of steps recorded', () => {
    assert.equal(phaseDescription({ status: 'not-started' }), 'not started');
    const steps = [step('a', 'done', 'create'), step('b', 'done', 'none'), step('c', 'running')];
    assert.equal(phaseDescription({ status: 'in-progress', steps }), 'in progress · 2/3');
    assert.equal(
      phaseDescription({ status: 'in-progress', steps, interrupted: 'no process holds the lock' }),
      'interrupted · 2/3',
    );
    assert.equal(phaseDescription({ status: 'completed', steps: steps.slice(0, 2) }), 'completed · 2/2');
  });

  it("a row's context menu, as package.json's when clauses choose it: Skip and Reset by status, the cutover on Memory System", () => {
    const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
      contributes: { menus: { 'view/item/context': { command: string; when: string }[] } };
    };
    /** The commands whose `viewItem =~ /re/` matches; the rest of each clause holds in the phase view. */
    const menu = (contextValue: string) =>
      manifest.contributes.menus['view/item/context']
        .filter((entry) => {
          const match = /viewItem =~ \/(.+)\/$/.exec(entry.when);
          assert.ok(match, `${entry.command}: ${entry.when}`);
          return new RegExp(match[1]).test(contextValue);
        })
        .map((entry) => entry.command.replace('orchestra.', ''));
    const details: Record<string, PhaseDetail> = {
      'core-infrastructure': { status: 'completed' },
      'memory-system': { status: 'completed' },
      'hybrid-config': { status: 'skipped' },
    };
    const contexts = rows(treeWith((phase) => details[phase.id] ?? { status: 'not-started' })).map((r) => r.context!);
    const [core, workstation, memory, hybrid] = contexts;
    const common = ['verify', 'execute', 'verify', 'execute'];
    const more = ['destroy', 'showReport', 'showLog'];
    assert.deepEqual(menu(core), [...common, 'skipPhase', 'resetPhase', ...more]);
    assert.deepEqual(menu(workstation), [...common, 'skipPhase', ...more], 'nothing to reset before a run');
    assert.deepEqual(menu(hybrid), [...common, 'resetPhase', ...more], 'a skipped phase is not skipped again');
    assert.deepEqual(menu(memory), [...common, 'skipPhase', 'resetPhase', 'cutover', 'rollbackCutover', ...more]);
    const unfinished = rows(treeWith(() => ({ status: 'failed' }))).map((r) => r.context!)[2];
    assert.deepEqual(
      menu(unfinished),
      [...common, 'skipPhase', 'resetPhase', 'rollbackCutover', ...more],
      'no cutover before the copy is done',
    );
  });

  it('a step says what was done: created, updated, unchanged; a running step of a dead run is interrupted', () => {
    assert.equal(stepDescription(step('a', 'done', 'create')), 'done · created');
    assert.equal(stepDescription(step('a', 'done', 'update')), 'done · updated');
    assert.equal(stepDescription(step('a', 'done', 'none')), 'done · unchanged');
    assert.equal(stepDescription(step('a', 'failed', 'create')), 'failed');
    assert.equal(stepDescription(step('a', 'running')), 'running');
    assert.equal(stepDescription(step('a', 'running'), true), 'interrupted');
    assert.equal(stepDescription(step('a', 'done', 'create'), true), 'done · created', 'only the running step');
  });

  it('rows: numbered titles, icons, context for the menus, and a spoken label with the status', () => {
    const details: Record<string, PhaseDetail> = {
      'core-infrastructure': { status: 'completed', steps: [step('s', 'done', 'create')] },
      'memory-system': { status: 'failed', error: 'copy failed: <b>bold</b> | *x*' },
      'hybrid-config': { status: 'skipped' },
    };
    const tree = treeWith((phase) => details[phase.id] ?? { status: 'not-started' });
    const list = rows(tree);
    assert.equal(list.length, 7);
    assert.deepEqual(
      list.slice(0, 4).map((r) => [r.label, r.description, r.icon, r.context]),
      [
        ['1. Core Infrastructure', 'completed · 1/1', 'pass-filled', 'phase.completed.core-infrastructure'],
        [
          '2. Workstation Configuration',
          'not started',
          'circle-large-outline',
          'phase.not-started.workstation-configuration',
        ],
        ['3. Memory System', 'failed', 'error', 'phase.failed.memory-system'],
        ['4. Hybrid Config', 'skipped', 'debug-step-over', 'phase.skipped.hybrid-config'],
      ],
    );
    assert.equal(list[0].spoken, 'Phase 1, Core Infrastructure, completed · 1/1');
    // A server's message is text, never markup: every Markdown character is escaped.
    assert.ok(list[2].tooltip.includes('copy failed: \\<b\\>bold\\</b\\> \\| \\*x\\*'), list[2].tooltip);
    const steps = tree.getChildren(list[0].node).map((n) => tree.getTreeItem(n));
    assert.deepEqual(
      steps.map((s) => [s.label, s.description, s.accessibilityInformation?.label]),
      [['s', 'done · created', 's, done · created']],
    );
  });

  it('a configuration problem shows in every phase tooltip, and leaves once fixed', () => {
    const tree = treeWith();
    let redraws = 0;
    tree.onDidChangeTreeData(() => redraws++);
    tree.show(tree.phases(), 'config/common.json:3:16 memory.timeoutMs: must be a whole number');
    assert.equal(redraws, 1, 'setting a problem redraws the tree');
    assert.ok(rows(tree).every((r) => r.tooltip.includes('config/common\\.json:3:16 memory\\.timeoutMs')));
    tree.show(tree.phases(), undefined);
    assert.ok(rows(tree).every((r) => !r.tooltip.includes('$(warning)')));
  });

  it('a cancelled phase has its own stop icon and word, and a stale one says what outdated it', () => {
    const details: Record<string, PhaseDetail> = {
      'core-infrastructure': { status: 'completed', steps: [step('s', 'done', 'create')] },
      'workstation-configuration': { status: 'cancelled', steps: [step('w', 'done'), step('x', 'cancelled')] },
      validation: {
        status: 'completed',
        steps: [step('v', 'done')],
        stale: 'Core Infrastructure was reset after this phase ran; run execute again to bring it up to date',
      },
    };
    const list = rows(treeWith((phase) => details[phase.id] ?? { status: 'not-started' }));
    assert.deepEqual(
      [list[1], list[6]].map((r) => [r.description, r.icon, r.spoken]),
      [
        ['cancelled · 1/2', 'debug-stop', 'Phase 2, Workstation Configuration, cancelled · 1/2'],
        ['completed · 1/1 · stale', 'history', 'Phase 7, Validation, completed · 1/1 · stale'],
      ],
    );
    assert.match(list[6].tooltip, /— completed, stale/);
    assert.match(list[6].tooltip, /Stale: Core Infrastructure was reset after this phase ran; run execute again/);
    assert.doesNotMatch(list[1].tooltip, /failed/, 'cancelled is not failed');
    // Nothing to be out of date before a phase has a result: not started stays plain.
    assert.equal(phaseDescription({ status: 'not-started', stale: 'x' }), 'not started');
  });

  it('an interrupted phase pauses instead of spinning, and says how to resume', () => {
    const tree = treeWith((phase) =>
      phase.id === 'workstation-configuration'
        ? { status: 'in-progress', steps: [step('w', 'running')], interrupted: 'no process holds the migration lock' }
        : { status: 'not-started' },
    );
    const row = rows(tree)[1];
    assert.equal(row.icon, 'debug-pause');
    assert.equal(row.description, 'interrupted · 0/1');
    assert.match(row.tooltip, /Run "Orchestra: Execute Migration" again to resume it/);
    const [child] = tree.getChildren(row.node).map((n) => tree.getTreeItem(n));
    assert.equal((child.iconPath as unknown as ThemeIcon).id, 'debug-pause');
    assert.equal(child.description, 'interrupted');
  });
});

const detection = (kind: EnvironmentDetection['kind'], forcedBy?: string): EnvironmentDetection => ({
  kind,
  evidence: [{ signal: 'CODESPACES', value: 'true', suggests: 'codespaces', note: 'set by Codespaces' }],
  ...(forcedBy ? { forcedBy } : {}),
});

describe('the environment status bar item, as text', () => {
  it('names the environment with its icon, and says it to screen readers', () => {
    const item = new EnvironmentStatusItem();
    const shown = (item as unknown as { item: { text: string; accessibilityInformation: { label: string } } }).item;
    const cases = [
      ['local', '$(device-desktop) Orchestra: Local'],
      ['codespaces', '$(github) Orchestra: Codespaces'],
      ['workstation', '$(cloud) Orchestra: Cloud Workstation'],
      ['cloud_run', '$(cloud) Orchestra: Cloud Run'],
    ] as const;
    for (const [kind, text] of cases) {
      item.update(detection(kind));
      assert.equal(item.text, text);
    }
    assert.equal(shown.accessibilityInformation.label, 'Orchestra environment: Cloud Run');
  });

  it('spins while a run is on, and says so to screen readers too', () => {
    const item = new EnvironmentStatusItem();
    const shown = (item as unknown as { item: { accessibilityInformation: { label: string } } }).item;
    item.update(detection('local'));
    item.setMigration({ running: true, progress: { done: 5, total: 6 }, endpoints: [], files: [] });
    assert.equal(item.text, '$(device-desktop) Orchestra: Local $(sync~spin)');
    assert.equal(shown.accessibilityInformation.label, 'Orchestra environment: Local, migration in progress');
    assert.match(item.tooltip, /A migration run is in progress \(5\/6 steps\)/);
    item.setMigration({ running: false, endpoints: [], files: [] });
    assert.equal(item.text, '$(device-desktop) Orchestra: Local');
  });

  it('tooltip: the evidence table, the project and files as code, the endpoints; a problem instead of files', () => {
    const item = new EnvironmentStatusItem();
    item.update(detection('codespaces', 'ORCHESTRA_ENV'));
    item.setMigration({
      running: false,
      projectId: 'my-project',
      endpoints: [{ name: 'Memory server', url: 'http://127.0.0.1:8765', rule: 'memory.endpoint' }],
      files: ['config/common.json'],
    });
    const tooltip = item.tooltip;
    assert.match(tooltip, /environment: \*\*Codespaces\*\*/);
    assert.match(tooltip, /Forced by `ORCHESTRA_ENV`\./);
    assert.match(tooltip, /\| CODESPACES \| true \| Codespaces \|/);
    assert.ok(tooltip.includes('Project: `my-project`'));
    assert.ok(tooltip.includes('| Memory server | `http://127.0.0.1:8765` |'), tooltip);
    assert.ok(tooltip.includes('Config files: `config/common.json`'));
    item.setMigration({ running: false, endpoints: [], files: [], problem: 'The configuration has 1 problem.' });
    assert.match(item.tooltip, /\$\(warning\) The configuration has 1 problem\\\./);
    assert.doesNotMatch(item.tooltip, /Config files/, 'nothing was applied: no file list to mislead');
  });

  it('md() escapes what Markdown would read as markup', () => {
    assert.equal(md('a_b*c[d](e)|f<g>'), 'a\\_b\\*c\\[d\\]\\(e\\)\\|f\\<g\\>');
  });
});

const check = (over: Partial<HealthCheck>): HealthCheck => ({
  service: 'memory',
  label: 'Memory server',
  endpoint: 'http://127.0.0.1:1',
  level: 'ok',
  targetMs: 50,
  message: 'reachable',
  ...over,
});

const report = (checks: HealthCheck[], level: HealthReport['level']): HealthReport => ({
  checkedAt: '2026-01-01T10:00:00.000Z',
  level,
  checks,
});

describe('the service health item, as text', () => {
  it('names the worst service, and how many more share its level', () => {
    assert.equal(healthText(report([check({ latencyMs: 3 })], 'ok')), '$(pulse) Services ok');
    const down = check({ label: 'Memory copy target', level: 'down', message: 'ECONNREFUSED' });
    assert.equal(healthText(report([check({}), down], 'down')), '$(error) Memory copy target down');
    assert.equal(
      healthText(report([check({ level: 'down', message: '401' }), down], 'down')),
      '$(error) Memory server down (+1)',
    );
    assert.equal(
      healthText(report([check({ level: 'slow', latencyMs: 90 })], 'slow')),
      '$(warning) Memory server slow',
    );
    assert.equal(healthText({ ...report([], 'none'), unconfigured: true }), '$(pulse) Services not configured');
    assert.equal(healthText(report([], 'none')), '$(pulse) Orchestra: nothing to check');
  });

  it('the spoken label says what the text shows, in every state', () => {
    const cases: [HealthReport, string][] = [
      [report([check({ latencyMs: 3 })], 'ok'), 'Orchestra services: all ok'],
      [report([check({ level: 'slow', latencyMs: 90 })], 'slow'), 'Orchestra services: Memory server slow'],
      [{ ...report([], 'none'), unconfigured: true }, 'Orchestra services: not configured'],
      [report([], 'none'), 'Orchestra services: nothing to check'],
    ];
    for (const [r, label] of cases) assert.equal(healthAccessibilityLabel(r), label, healthText(r));
    assert.equal(unCheckedLabel('$(circle-slash) Services not checked'), 'Orchestra services: not checked');
    assert.equal(unCheckedLabel('$(sync~spin) Checking services'), 'Orchestra services: checking services');
  });

  it('a service line: level, round trip against its target, an open breaker, and the reason with its fix', () => {
    assert.equal(healthStateText(check({ latencyMs: 3.2 })), 'ok · 3.2 ms (target 50 ms)');
    assert.equal(
      healthStateText(check({ level: 'down', breaker: 'open', message: 'answered 401', fix: 'Set the key.' })),
      'down · breaker open: answered 401 Set the key.',
    );
  });

  it('the tooltip: one escaped row per service, and how often it checks', () => {
    const tooltip = healthTooltip(report([check({ latencyMs: 3 })], 'ok'), 30) as unknown as MarkdownString;
    assert.equal(tooltip.supportThemeIcons, true);
    assert.ok(
      tooltip.value.includes('| $(pass) Memory server | http://127\\.0\\.0\\.1:1 | ok · 3 ms \\(target 50 ms\\) |'),
      tooltip.value,
    );
    assert.match(tooltip.value, /\(every 30 s\)\. Click to check now\./);
    const off = healthTooltip(report([], 'none'), 0) as unknown as MarkdownString;
    assert.match(off.value, /No memory server is configured\./);
    assert.match(off.value, /\(on changes only\)/);
  });
});
