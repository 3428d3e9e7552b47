/** What the editor's Destroy shows and accepts, on plain Node. */
import './vscode-stub';
import * as assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { DestroyPlan } from '../../../src/core/workspace';
import { builtInPhases } from '../../../src/core/migration/phases';
import { destroyArgs } from '../../../src/extension/commands/destroy';
import { confirmationProblem, teardownRows, teardownSummary } from '../../../src/extension/teardown-view';

const PLAN: DestroyPlan = {
  projectId: 'orchestra-test',
  includeData: false,
  steps: [
    {
      id: 'api-deployment/service',
      title: 'Cloud Run service',
      target: 'projects/orchestra-test/locations/us-central1/services/orchestra-api',
      action: 'delete',
      reason: 'created by this migration',
    },
    {
      id: 'memory-system/firestore-database',
      title: 'Firestore database',
      target: 'projects/orchestra-test/databases/orchestra-memory',
      action: 'keep',
      holdsData: true,
      reason: 'it holds data: pass --include-data to delete it too',
    },
    {
      id: 'core-infrastructure/repository',
      title: 'Artifact Registry repository',
      target: 'projects/orchestra-test/locations/us-central1/repositories/orchestra',
      action: 'keep',
      reason: 'it existed before the migration (adopted): never deleted',
    },
    {
      id: 'hybrid-config/secret',
      title: 'Environment config secret',
      target: 'projects/orchestra-test/secrets/orchestra-config',
      action: 'gone',
      reason: 'already deleted',
    },
    {
      id: 'core-infrastructure/api-run',
      title: 'Cloud Run Admin API',
      target: 'services run.googleapis.com on project orchestra-test',
      action: 'keep',
      reason:
        'teardown leaves this kind alone: an enabled API stays enabled (other workloads of the project may call it)',
    },
    {
      id: 'workstation-configuration/cluster',
      title: 'Workstation cluster',
      target: 'projects/orchestra-test/locations/us-central1/workstationClusters/orchestra',
      action: 'keep',
      reason: 'the state does not record that this migration created it',
    },
  ],
};

describe("the editor's Destroy: the plan it shows and the confirmation it takes", () => {
  it('choices first (delete, include data), then what goes in order, what stays and why, what is gone', () => {
    const rows = teardownRows(PLAN);
    assert.deepEqual(
      rows.map((r) => (r.separator ? `-- ${r.label}` : r.choice ? `[${r.choice}] ${r.label}` : r.label)),
      [
        '[delete] $(trash) Delete 1 resource…',
        '[include-data] $(database) Include data-holding resources (1)',
        '-- To delete, in this order',
        '$(trash) Cloud Run service',
        '-- Kept',
        '$(lock) Artifact Registry repository',
        '$(database) Firestore database',
        '-- Already gone',
        '$(circle-slash) Environment config secret',
        '-- Also kept',
        '$(circle-large-outline) 1 resource: teardown leaves these kinds alone (enabled APIs, role grants, and what goes with its container)',
        '$(circle-large-outline) 1 resource: not created by this migration (never run, or found existing)',
      ],
    );
    const adopted = rows.find((r) => r.label.includes('Artifact Registry'));
    assert.match(adopted?.detail ?? '', /adopted\): never deleted/);
    assert.match(rows[0].detail ?? '', /type the project id \(orchestra-test\)/);
    assert.equal(rows.at(-1)?.detail, 'Workstation cluster', 'the summed rows name what they sum');
    assert.equal(teardownSummary(PLAN), '1 resource to delete, 4 kept, 1 already gone');
  });

  it('with data included: the database goes, and the choice turns to keeping data', () => {
    const included: DestroyPlan = {
      ...PLAN,
      includeData: true,
      steps: PLAN.steps.map((s) =>
        s.holdsData ? { ...s, action: 'delete', reason: 'created by this migration; its data goes with it' } : s,
      ),
    };
    const rows = teardownRows(included);
    assert.equal(rows[0].label, '$(trash) Delete 2 resources…');
    assert.equal(rows[1].choice, 'keep-data');
    assert.equal(teardownSummary(included), '2 resources to delete, 3 kept, 1 already gone (data included)');
  });

  it('nothing to delete: no delete choice', () => {
    const none: DestroyPlan = { ...PLAN, steps: PLAN.steps.filter((s) => s.action === 'keep' && !s.holdsData) };
    assert.ok(!teardownRows(none).some((r) => r.choice));
  });

  it('only the exact project id confirms; anything else says what to type', () => {
    assert.equal(confirmationProblem('orchestra-test', 'orchestra-test'), undefined);
    assert.equal(confirmationProblem('', 'orchestra-test'), 'Type orchestra-test to confirm.');
    for (const typed of ['orchestra-tes', 'ORCHESTRA-TEST', ' orchestra-test', 'y']) {
      assert.equal(
        confirmationProblem(typed, 'orchestra-test'),
        `"${typed}" is not the project id: type orchestra-test exactly.`,
      );
    }
  });

  it("arguments: a phase's row gives its phase; other code { phases, includeData, confirm }, only well formed", () => {
    const phase = builtInPhases().infos()[2];
    assert.deepEqual(destroyArgs(undefined), {});
    assert.deepEqual(destroyArgs({ kind: 'phase', phase, status: 'completed', detail: {} }), { phases: [phase.id] });
    assert.deepEqual(destroyArgs({ phases: ['api-deployment'], includeData: true, confirm: 'p' }), {
      phases: ['api-deployment'],
      includeData: true,
      confirm: 'p',
    });
    assert.deepEqual(destroyArgs({ phases: [], includeData: 'yes', confirm: 3 }), {});
  });
});
