/**
 * Teardown as a user runs it: `orchestra-migrate execute` then `destroy`, each a child
 * process of the built command line, against the emulator, whose own state file is the
 * judge of what exists (not our state). A repository made outside the tool before the
 * migration is adopted and must survive; data stays without --include-data; a second
 * destroy changes nothing; a destroy killed with SIGKILL, run again, ends the same.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { runCli, startCli } from '../hardening/harness';
import { cliWorkspace, startWorld, testGcpClient, type World } from './world';

describe('orchestra-migrate destroy (child processes, the emulator as judge)', function () {
  // Two full rehearsals and four destroys as child processes: minutes on a busy machine.
  this.timeout(600_000);
  let world: World;
  let emulatorDir: string;
  let existing: Set<string>;
  let repository: string;

  /** Every resource the emulator holds now, by name, read from its own state file. */
  function resources(): Set<string> {
    const file = JSON.parse(readFileSync(path.join(emulatorDir, 'gcp-emulator.json'), 'utf8')) as {
      resources: Record<string, unknown>;
    };
    return new Set(Object.keys(file.resources));
  }

  const cli = (args: string[]) => runCli(args, world.workspace, {}, 300_000);

  before(async () => {
    emulatorDir = await mkdtemp(path.join(os.tmpdir(), 'destroy-emulator-'));
    world = await startWorld({ records: 20, emulator: { dataDir: emulatorDir } });
    const c = world.config;
    await cliWorkspace(world, { targetMs: 2000 });
    // Made outside the tool before the migration: execute adopts it, destroy must leave it.
    const gcp = testGcpClient(c);
    const enable = await gcp.request<{ name: string }>({
      api: 'serviceusage',
      method: 'POST',
      path: `/v1/projects/${c.projectId}/services/artifactregistry.googleapis.com:enable`,
      body: {},
    });
    await gcp.waitForOperation('serviceusage', enable as never);
    const made = await gcp.request<{ name: string }>({
      api: 'artifactregistry',
      method: 'POST',
      path: `/v1/projects/${c.projectId}/locations/${c.location}/repositories`,
      query: { repositoryId: c.phases.coreInfrastructure.repositoryId },
      body: { format: 'DOCKER' },
    });
    await gcp.waitForOperation('artifactregistry', made as never);
    repository = `projects/${c.projectId}/locations/${c.location}/repositories/${c.phases.coreInfrastructure.repositoryId}`;
    existing = resources();
    assert.ok(existing.has(repository), `the emulator names the repository ${repository}`);
  });
  after(async () => {
    await world?.close();
    await rm(emulatorDir, { recursive: true, force: true });
  });

  it('refuses bad input with exit 2 and deletes nothing', async () => {
    const unknown = await cli(['destroy', '--yes', '--bogus']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /Unknown option --bogus/);
    const phase = await cli(['destroy', '--yes', '--phase', 'no-such-phase']);
    assert.equal(phase.code, 2, phase.stderr);
    assert.match(phase.stderr, /Unknown phase 'no-such-phase'/);
    const sync = await cli(['sync']);
    assert.equal(sync.code, 2, sync.stderr);
    assert.match(sync.stderr, /no full copy has finished yet[\s\S]*Run orchestra-migrate execute/);
    assert.deepEqual(resources(), existing);
  });

  it('after a full rehearsal, destroy deletes what execute created, keeps the adopted repository and the data', async () => {
    const run = await cli(['execute', '--yes']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const created = [...resources()].filter((n) => !existing.has(n));
    assert.ok(created.length > 5, `execute created resources: ${created.join(', ')}`);

    // No terminal to type the project id into, and no --yes: refused, nothing deleted.
    const unconfirmed = await cli(['destroy']);
    assert.equal(unconfirmed.code, 2, unconfirmed.stderr);
    assert.match(unconfirmed.stderr, /no terminal to confirm[\s\S]*--yes/);
    assert.deepEqual(new Set(created.filter((n) => resources().has(n))), new Set(created));

    const destroyed = await cli(['destroy', '--yes', '--json']);
    assert.equal(destroyed.code, 0, destroyed.stderr);
    const result = JSON.parse(destroyed.stdout) as { deleted: string[]; kept: string[] };
    const now = resources();
    assert.ok(now.has(repository), 'the adopted repository survives');
    const left = created.filter((n) => now.has(n));
    assert.ok(
      left.some((n) => /\/databases\//.test(n)),
      'the Firestore database (data) survives without --include-data',
    );
    assert.ok(
      left.some((n) => n.startsWith('b/') || n.includes('/b/')),
      `the bucket (data) survives without --include-data: ${left.join(', ')}`,
    );
    assert.ok(!left.some((n) => /\/services\/[^/]+$/.test(n)), 'the Cloud Run service is gone');
    assert.ok(!left.some((n) => /\/secrets\//.test(n)), 'the secret is gone');
    assert.ok(result.deleted.includes('api-deployment/service'));
    assert.ok(result.kept.includes('core-infrastructure/repository'));

    const again = await cli(['destroy', '--yes', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(
      (JSON.parse(again.stdout) as { deleted: string[] }).deleted,
      [],
      'a second destroy changes nothing',
    );
    assert.deepEqual(resources(), now);
  });

  it('a destroy --include-data killed with SIGKILL, run again, ends with only what existed before', async () => {
    const run = await cli(['execute', '--yes']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    // Slow deletions, so the kill lands between two of them.
    world.emulator.setFaults({ lroDelayMs: 400 });
    const killed = await startCli(['destroy', '--yes', '--include-data'], world.workspace, {}, 300_000);
    await killed.waitFor(/deleted /);
    killed.kill('SIGKILL');
    const first = await killed.result;
    assert.equal(first.signal, 'SIGKILL', 'killed mid-destroy, not finished');
    world.emulator.setFaults({ lroDelayMs: 20 });

    const resumed = await cli(['destroy', '--yes', '--include-data', '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    // Left by design: Cloud Build keeps its build history (its API deletes no build), and the
    // image the build pushed lives in the adopted repository, which stays the user's.
    const byDesign = (n: string) => /\/builds\/[^/]+$/.test(n) || n.startsWith(`${repository}/dockerImages/`);
    const left = [...resources()].filter((n) => !existing.has(n) && !byDesign(n));
    assert.deepEqual(left, [], 'every resource the migration created is gone');
    assert.ok(resources().has(repository), 'the adopted repository survives --include-data too');

    const again = await cli(['destroy', '--yes', '--include-data', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((JSON.parse(again.stdout) as { deleted: string[] }).deleted, []);
  });
});
