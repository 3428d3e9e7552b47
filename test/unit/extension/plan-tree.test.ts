/**
 * The plan in the phase tree, on plain Node: what a person reads on each row and in its
 * tooltip before any Verify, after one, once it went stale, and once a run passed it.
 */
import './vscode-stub';
import * as assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { snapshotOf } from '../../../src/core/migration/monitor';
import { builtInPhases } from '../../../src/core/migration/phases';
import { emptyState } from '../../../src/core/migration/state';
import type { Plan, StepInfo } from '../../../src/core/workspace';
import { PhaseTreeProvider } from '../../../src/extension/phase-tree';
import { PlanTracker } from '../../../src/extension/plan-tracker';
import { phaseNodes, type PhaseNode, type StepNode } from '../../../src/extension/presentation';
import type { MarkdownString, ThemeIcon } from './vscode-stub';

const PHASES = builtInPhases().infos();
const CORE = 'core-infrastructure';
const STEPS: StepInfo[] = [
  { id: `${CORE}/services`, phase: CORE, title: 'Google Cloud APIs', kind: 'resource' },
  { id: `${CORE}/service-account`, phase: CORE, title: 'Runtime service account', kind: 'resource' },
  { id: `${CORE}/repository`, phase: CORE, title: 'Artifact Registry repository', kind: 'resource' },
  { id: `${CORE}/bucket`, phase: CORE, title: 'Storage bucket', kind: 'resource' },
  { id: 'validation/resources', phase: 'validation', title: 'Every resource present', kind: 'action' },
];

const plan: Plan = {
  projectId: 'orchestra-test',
  createdAt: '2026-12-07T06:30:00.000Z',
  basis: { config: 'c1', state: 's1' },
  missingPermissions: [],
  requests: 9,
  durationMs: 40,
  phases: [
    {
      phase: CORE,
      title: 'Core Infrastructure',
      status: 'not-started',
      steps: [
        {
          id: `${CORE}/services`,
          title: 'Google Cloud APIs',
          kind: 'resource',
          action: 'update',
          target: 'services on project orchestra-test',
          reason: '1 field(s) differ',
          diff: [
            { field: 'enabled', live: ['iam.googleapis.com'], desired: ['iam.googleapis.com', 'run.googleapis.com'] },
          ],
        },
        {
          id: `${CORE}/service-account`,
          title: 'Runtime service account',
          kind: 'resource',
          action: 'create',
          reason: 'service account orchestra-runtime does not exist',
        },
        {
          id: `${CORE}/repository`,
          title: 'Artifact Registry repository',
          kind: 'resource',
          action: 'blocked',
          reason: 'missing permission artifactregistry.repositories.create on project',
        },
        { id: `${CORE}/bucket`, title: 'Storage bucket', kind: 'resource', action: 'ok', drift: undefined },
      ],
    },
    {
      phase: 'validation',
      title: 'Validation',
      status: 'not-started',
      steps: [
        {
          id: 'validation/resources',
          title: 'Every resource present',
          kind: 'action',
          action: 'run',
          reason: 'measures again',
        },
      ],
    },
  ],
};

function tree(
  plans?: PlanTracker,
  state = emptyState(
    'orchestra-test',
    new Date(),
    PHASES.map((p) => p.id),
  ),
) {
  const provider = new PhaseTreeProvider();
  provider.show(phaseNodes(PHASES, snapshotOf(state, PHASES), { steps: STEPS, plans }), undefined);
  return provider;
}

function read(provider: PhaseTreeProvider, node: PhaseNode | StepNode) {
  const item = provider.getTreeItem(node);
  return {
    label: item.label,
    description: item.description,
    icon: (item.iconPath as unknown as ThemeIcon).id,
    color: (item.iconPath as unknown as ThemeIcon).color?.id,
    // What the rendered Markdown reads: the escapes md() adds are gone.
    tooltip: (item.tooltip as unknown as MarkdownString).value.replace(/\\(.)/g, '$1'),
    spoken: item.accessibilityInformation?.label,
    collapsible: item.collapsibleState,
  };
}

const phase = (p: PhaseTreeProvider, id: string) =>
  p.getChildren().find((n) => n.kind === 'phase' && n.phase.id === id) as PhaseNode;
const steps = (p: PhaseTreeProvider, id: string) => p.getChildren(phase(p, id)).map((n) => read(p, n));

describe('the plan in the phase tree', () => {
  it('before any Verify every phase expands to its steps, by their human titles, "not planned yet"', () => {
    const p = tree(new PlanTracker());
    assert.equal(read(p, phase(p, CORE)).collapsible, 1, 'collapsed, expandable');
    const rows = steps(p, CORE);
    assert.deepEqual(
      rows.map((r) => [r.label, r.description, r.icon]),
      [
        ['Google Cloud APIs', 'not planned yet', 'circle-outline'],
        ['Runtime service account', 'not planned yet', 'circle-outline'],
        ['Artifact Registry repository', 'not planned yet', 'circle-outline'],
        ['Storage bucket', 'not planned yet', 'circle-outline'],
      ],
    );
    assert.match(rows[1].tooltip, /Run Verify to see what execute would do here/);
  });

  it('after Verify: each action as icon and words, the reason and each field live -> desired in the tooltip, the phase summarised and dated', () => {
    const plans = new PlanTracker();
    plans.set(plan);
    const p = tree(plans);
    const rows = steps(p, CORE);
    assert.deepEqual(
      rows.map((r) => [r.label, r.description, r.icon]),
      [
        ['Google Cloud APIs', 'to update', 'diff-modified'],
        ['Runtime service account', 'to create', 'diff-added'],
        ['Artifact Registry repository', 'blocked', 'circle-slash'],
        ['Storage bucket', 'up to date', 'check'],
      ],
    );
    assert.deepEqual(
      steps(p, 'validation').map((r) => [r.description, r.icon]),
      [['to run', 'play']],
    );
    const update = rows[0].tooltip;
    assert.match(update, /1 field\(s\) differ/);
    assert.match(update, /\| field \| live \| desired \|/);
    assert.match(
      update,
      /\| enabled \| \["iam\.googleapis\.com"\] \| \["iam\.googleapis\.com","run\.googleapis\.com"\] \|/,
    );
    assert.match(update, /Planned 2026-12-07T06:30:00\.000Z/);
    assert.match(rows[2].tooltip, /missing permission artifactregistry\.repositories\.create/);
    assert.equal(rows[1].spoken, 'Runtime service account, to create');
    const core = read(p, phase(p, CORE));
    assert.equal(core.description, 'not started · 1 to create, 1 to update, 1 blocked, 1 up to date');
    assert.match(
      core.tooltip,
      /Planned 2026-12-07T06:30:00\.000Z: 1 to create, 1 to update, 1 blocked, 1 up to date\./,
    );
  });

  it('a changed config or state marks the plan stale, saying why and when, until the next Verify', () => {
    const plans = new PlanTracker(() => new Date('2026-12-07T06:40:00.000Z'));
    plans.set(plan);
    let changes = 0;
    plans.onDidChange(() => changes++);
    plans.check({ projectId: 'orchestra-test', configHash: 'c1', stateHash: 's1' });
    assert.equal(changes, 0, 'same basis: still current');
    plans.check({ projectId: 'orchestra-test', configHash: 'c2', stateHash: 's1' });
    assert.equal(changes, 1);
    const p = tree(plans);
    const rows = steps(p, CORE);
    assert.deepEqual(rows.map((r) => [r.description, r.icon]).slice(0, 2), [
      ['to update (stale plan)', 'history'],
      ['to create (stale plan)', 'history'],
    ]);
    assert.match(
      rows[0].tooltip,
      /The plan is stale: the configuration changed at 2026-12-07T06:40:00\.000Z; verify again/,
    );
    assert.equal(
      read(p, phase(p, CORE)).description,
      'not started · 1 to create, 1 to update, 1 blocked, 1 up to date (stale plan)',
    );
    assert.match(read(p, phase(p, CORE)).tooltip, /The plan is stale: the configuration changed/);

    const second = new PlanTracker(() => new Date('2026-12-07T06:41:00.000Z'));
    second.set(plan);
    second.check({ projectId: 'orchestra-test', configHash: 'c1', stateHash: 's2' });
    assert.match(
      second.get(CORE)!.stale!,
      /^the state file changed \(a run, skip or reset\) at 2026-12-07T06:41:00\.000Z/,
    );
    second.set({ ...plan, basis: { config: 'c1', state: 's2' } });
    assert.equal(second.get(CORE)!.stale, undefined, 'a new Verify makes it current');
  });

  it('drift: a resource deleted or changed outside the tool is marked on its row', () => {
    const plans = new PlanTracker();
    const drifted = structuredClone(plan);
    Object.assign(drifted.phases[0].steps[1], {
      drift: 'deleted',
      reason: 'deleted outside the tool since the last run: it does not exist',
    });
    Object.assign(drifted.phases[0].steps[0], { drift: 'changed' });
    plans.set(drifted);
    const rows = steps(tree(plans), CORE);
    assert.deepEqual(
      rows.slice(0, 2).map((r) => [r.description, r.icon, r.color]),
      [
        ['to update · changed since the last run', 'warning', 'list.warningForeground'],
        ['to create · deleted outside the tool', 'warning', 'list.warningForeground'],
      ],
    );
    assert.equal(rows[1].spoken, 'Runtime service account, to create, drift: deleted');
  });

  it('a run after the plan shows on the rows it reached; the others keep the plan', () => {
    const plans = new PlanTracker();
    plans.set(plan);
    const state = emptyState(
      'orchestra-test',
      new Date(),
      PHASES.map((p) => p.id),
    );
    state.phases[CORE].status = 'in-progress';
    state.steps[`${CORE}/services`] = {
      id: `${CORE}/services`,
      phase: CORE,
      status: 'done',
      action: 'update',
      attempts: 1,
      startedAt: '2026-12-07T06:31:00.000Z',
      finishedAt: '2026-12-07T06:31:02.000Z',
      durationMs: 2000,
    };
    state.steps[`${CORE}/service-account`] = {
      id: `${CORE}/service-account`,
      phase: CORE,
      status: 'running',
      attempts: 1,
      startedAt: '2026-12-07T06:31:02.000Z',
    };
    const rows = steps(tree(plans, state), CORE);
    assert.deepEqual(
      rows.map((r) => [r.label, r.description]),
      [
        ['Google Cloud APIs', 'done · updated'],
        ['Runtime service account', 'running'],
        ['Artifact Registry repository', 'blocked'],
        ['Storage bucket', 'up to date'],
      ],
    );
  });

  it('after a Verify past the first copy: the Memory System row and its copy step show the pending sync as +new ~updated −deleted', () => {
    const MEMORY = 'memory-system';
    const copy = `${MEMORY}/copy`;
    const plans = new PlanTracker();
    plans.set({
      ...plan,
      phases: [
        {
          phase: MEMORY,
          title: 'Memory System',
          status: 'completed',
          steps: [
            { id: `${MEMORY}/firestore-database`, title: 'Firestore database', kind: 'resource', action: 'ok' },
            {
              id: copy,
              title: 'Copy memory records',
              kind: 'action',
              action: 'run',
              reason: "sync 1000 changed records: 500 new, 300 updated, 200 deleted, by the source's changes feed",
              delta: { added: 500, updated: 300, deleted: 200, method: 'changes' },
            },
          ],
        },
      ],
    });
    const provider = new PhaseTreeProvider();
    const defined: StepInfo[] = [
      { id: `${MEMORY}/firestore-database`, phase: MEMORY, title: 'Firestore database', kind: 'resource' },
      { id: copy, phase: MEMORY, title: 'Copy memory records', kind: 'action' },
    ];
    const state = emptyState(
      'orchestra-test',
      new Date(),
      PHASES.map((p) => p.id),
    );
    provider.show(phaseNodes(PHASES, snapshotOf(state, PHASES), { steps: defined, plans }), undefined);
    assert.equal(
      read(provider, phase(provider, MEMORY)).description,
      'not started · 1 to run, 1 up to date · +500 ~300 −200 to sync',
    );
    const row = steps(provider, MEMORY)[1];
    assert.equal(row.description, '+500 ~300 −200 to sync');
    assert.match(row.tooltip, /500 new, 300 updated, 200 deleted, by the source's changes feed/);
    assert.equal(row.spoken, 'Copy memory records, +500 ~300 −200 to sync');
    // Nothing changed on the source: no delta, the step reads up to date.
    plans.set({
      ...plan,
      phases: [
        {
          phase: MEMORY,
          title: 'Memory System',
          status: 'completed',
          steps: [{ id: copy, title: 'Copy memory records', kind: 'action', action: 'ok', reason: 'in sync' }],
        },
      ],
    });
    provider.show(phaseNodes(PHASES, snapshotOf(state, PHASES), { steps: defined, plans }), undefined);
    assert.equal(steps(provider, MEMORY)[1].description, 'up to date');
    assert.doesNotMatch(String(read(provider, phase(provider, MEMORY)).description), /to sync/);
  });

  it('after a cutover the Memory System row says "cut over" and its tooltip when and what; a rollback says so', () => {
    const state = emptyState(
      'orchestra-test',
      new Date(),
      PHASES.map((p) => p.id),
    );
    state.phases['memory-system'].status = 'completed';
    state.cutover = {
      status: 'done',
      stage: 'switched',
      startedAt: '2026-12-07T10:00:00.000Z',
      finishedAt: '2026-12-07T10:00:05.000Z',
      source: { endpoint: 'http://127.0.0.1:7000', readOnlySupported: true, readOnly: true },
      target: { endpoint: 'https://memory.example.run.app' },
      switched: [
        { file: 'config/local.json', setting: 'memory.endpoint', to: 'https://memory.example.run.app' },
        { file: 'config/local.json', setting: 'endpoints.api', to: 'https://api.example.run.app' },
      ],
      secretVersion: 'projects/orchestra-test/secrets/orchestra-config/versions/3',
    };
    const provider = tree(undefined, state);
    const memory = read(provider, phase(provider, 'memory-system'));
    assert.equal(memory.description, 'completed · cut over');
    assert.match(
      memory.tooltip,
      /Cut over at 2026-12-07T10:00:05.000Z: the memory and API endpoints name the cloud \(2 settings switched, and the secret\)\. Rollback Cutover undoes it\./,
    );
    assert.doesNotMatch(
      String(read(provider, phase(provider, CORE)).description),
      /cut/,
      'other phases say nothing of it',
    );
    state.cutover = {
      ...state.cutover,
      status: 'rolled-back',
      rollback: { startedAt: '2026-12-07T11:00:00.000Z', finishedAt: '2026-12-07T11:00:02.000Z' },
    };
    const back = read(tree(undefined, state), phase(tree(undefined, state), 'memory-system'));
    assert.equal(back.description, 'completed · cutover rolled back');
    assert.match(back.tooltip, /rolled back at 2026-12-07T11:00:02.000Z: the endpoints name the source again/);
  });
});
