/**
 * The presenter's pure half on plain Node: what the tree and the status bar show for a
 * load and a state, without a VS Code to run in.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'mocha';
import { snapshotOf } from '../../../src/core/migration/monitor';
import { builtInPhases } from '../../../src/core/migration/phases';
import { emptyState } from '../../../src/core/migration/state';
import type { StepRecord } from '../../../src/core/migration/types';
import type { WorkspaceView } from '../../../src/core/workspace';
import { configListing } from '../../../src/extension/config-listing';
import {
  migrationSummary,
  phaseDescription,
  phaseNodes,
  stepDescription,
  treeMessage,
  treeProblem,
} from '../../../src/extension/presentation';

const PHASES = builtInPhases().infos();

const loaded: WorkspaceView = {
  ok: true,
  configDir: '/w/config',
  projectId: 'orchestra-test',
  stateFile: '/w/.orchestra/state-orchestra-test.json',
  endpoints: [{ service: 'memory', url: 'http://127.0.0.1:8765', rule: 'local' }],
  files: ['config/common.json'],
  phases: PHASES,
  used: [{ name: 'Memory server', url: 'http://127.0.0.1:8765', rule: 'memory.endpoint' }],
  steps: [],
  configHash: 'c0nf',
};

const step = (id: string, status: StepRecord['status'], action?: StepRecord['action']): StepRecord => ({
  id,
  phase: 'core-infrastructure',
  status,
  attempts: 1,
  ...(action ? { action } : {}),
});

describe('extension presentation (plain Node)', () => {
  it('lists every registered phase in order, not started before any state', () => {
    const nodes = phaseNodes(PHASES, undefined);
    assert.deepEqual(
      nodes.map((n) => `${n.phase.order}. ${n.phase.title}: ${phaseDescription(n.detail)}`),
      PHASES.map((p) => `${p.order}. ${p.title}: not started`),
    );
  });

  it('describes a phase by its status and steps done, and a step by what it did', () => {
    const state = emptyState(
      'orchestra-test',
      new Date(),
      PHASES.map((p) => p.id),
    );
    state.phases['core-infrastructure'].status = 'in-progress';
    state.steps['core-infrastructure/a'] = step('core-infrastructure/a', 'done', 'create');
    state.steps['core-infrastructure/b'] = step('core-infrastructure/b', 'running');
    const core = phaseNodes(PHASES, snapshotOf(state, PHASES))[0];
    assert.equal(phaseDescription(core.detail), 'in progress · 1/2');
    assert.equal(stepDescription(state.steps['core-infrastructure/a']), 'done · created');
    assert.equal(stepDescription(state.steps['core-infrastructure/b'], true), 'interrupted');
    const gone = phaseNodes(PHASES, { ...snapshotOf(state, PHASES), interrupted: 'no live process holds the lock' })[0];
    assert.equal(phaseDescription(gone.detail), 'interrupted · 1/2');
  });

  it('says why statuses may be wrong: a configuration problem first, else an unreadable state', () => {
    const failed: WorkspaceView = {
      ok: false,
      configDir: '/w/config',
      summary: 'Bad JSON.',
      details: '...',
      phases: PHASES,
    };
    assert.match(treeProblem(failed, undefined)!, /^Bad JSON\. The phases show as not started/);
    // With a state file known, the tree shows it, and says so.
    const known = { ...failed, stateFile: '/w/.orchestra/state-p.json', projectId: 'p' };
    assert.match(
      treeProblem(known, undefined)!,
      /^Bad JSON\. The phases show the state file as last recorded; verify and execute wait/,
    );
    const unreadable = { ...snapshotOf(emptyState('p'), PHASES), problem: 'not JSON (state.json)' };
    assert.equal(treeProblem(loaded, unreadable), 'not JSON (state.json)');
    assert.equal(treeProblem(loaded, undefined), undefined);
  });

  it('asks for a project above the tree only when none is configured', () => {
    const noProject = () => 'No Google Cloud project is configured.';
    assert.equal(treeMessage(loaded, noProject), undefined);
    assert.equal(treeMessage({ ...loaded, projectId: '', stateFile: undefined }, noProject), noProject());
    assert.equal(treeMessage(undefined, noProject), undefined);
  });

  it('summarises the migration for the status bar from the load and the state', () => {
    const state = emptyState('orchestra-test');
    const running = { ...snapshotOf(state, PHASES), running: true, progress: { done: 2, total: 5 } };
    assert.deepEqual(migrationSummary(loaded, running), {
      running: true,
      progress: { done: 2, total: 5 },
      projectId: 'orchestra-test',
      endpoints: loaded.ok ? loaded.used : [],
      files: ['config/common.json'],
      problem: undefined,
      interrupted: undefined,
    });
    assert.equal(migrationSummary(undefined, running), undefined);
  });

  it("notices a config file's change by listing the folder asynchronously", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'orchestra-listing-'));
    try {
      assert.equal(await configListing(path.join(dir, 'missing')), '', 'a missing folder lists as nothing');
      await writeFile(path.join(dir, 'common.json'), '{}');
      await writeFile(path.join(dir, 'notes.txt'), 'not config');
      const first = await configListing(dir);
      assert.match(first, /^common\.json:2:/);
      await writeFile(path.join(dir, 'common.json'), '{ "projectId": "p" }');
      assert.notEqual(await configListing(dir), first);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
