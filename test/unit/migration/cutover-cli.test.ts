/**
 * Cutover and rollback-cutover as a user runs them: every `orchestra-migrate` run a child
 * process of the built command line, against the emulator and two memory servers. What
 * the servers hold, the config files on disk and the secret's versions in the emulator are
 * the judges, not our state file.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { runCli, startCli, treeHash } from '../hardening/harness';
import { memorySnapshot } from './snapshot';
import { cliWorkspace, secretVersions, startWorld, type World } from './world';

const ENVIRONMENTS = ['local', 'codespaces', 'workstation', 'cloud_run'];

describe('orchestra-migrate cutover and rollback-cutover (child processes, sandbox)', function () {
  // A full rehearsal, then several cutover runs as child processes: minutes on a busy machine.
  this.timeout(600_000);
  let world: World;
  const cli = (args: string[]) => runCli(args, world.workspace, {}, 300_000);
  const file = (name: string) => path.join(world.workspace, 'config', name);
  const settings = async (env: string) =>
    JSON.parse(await readFile(file(`${env}.json`), 'utf8')) as {
      memory?: { endpoint?: string };
      endpoints?: { api?: string };
    };
  /** Each environment's config file, every byte (null: there is none). */
  const configFiles = () => Promise.all(ENVIRONMENTS.map((e) => readFile(file(`${e}.json`), 'utf8').catch(() => null)));
  /** The config files, every byte. */
  const workspaceTree = () => treeHash(path.join(world.workspace, 'config')).digest;
  const stateFile = () => path.join(world.workspace, '.orchestra', `state-${world.config.projectId}.json`);

  async function write(url: string, key: string): Promise<Response> {
    return fetch(`${url}/api/memory`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key, content: { written: key } }),
    });
  }

  before(async () => {
    world = await startWorld({ records: 300 });
    // The rehearsal's common.json first: init then writes the environment files beside it and
    // keeps it as it is (the four environment files are what cutover switches).
    await cliWorkspace(world, { targetMs: 2000 });
    const init = await cli(['init']);
    assert.equal(init.code, 0, init.stderr);
  });
  after(async () => {
    await world?.close();
  });

  it('refuses before any execute and before the memory copy, and rollback without a cutover: exit 2, nothing changed', async () => {
    const before = workspaceTree();
    const early = await cli(['cutover', '--yes']);
    assert.equal(early.code, 2, early.stderr);
    assert.match(early.stderr, /No migration has run for project orchestra-test[\s\S]*Run orchestra-migrate execute/);
    const rollback = await cli(['rollback-cutover', '--yes']);
    assert.equal(rollback.code, 2, rollback.stderr);
    assert.match(rollback.stderr, /No cutover has run for project orchestra-test: there is nothing to roll back/);
    const unknown = await cli(['cutover', '--yes', '--bogus']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /Unknown option --bogus/);
    assert.equal(workspaceTree(), before, 'no config file changed');
    assert.equal(existsSync(stateFile()), false, 'no state file made');

    const infra = await cli(['execute', '--yes', '--phase', 'core-infrastructure']);
    assert.equal(infra.code, 0, infra.stderr);
    const state = await readFile(stateFile(), 'utf8');
    const uncopied = await cli(['cutover', '--yes']);
    assert.equal(uncopied.code, 2, uncopied.stderr);
    assert.match(uncopied.stderr, /The memory copy has not finished[\s\S]*where: memory-system\/copy/);
    assert.equal(await readFile(stateFile(), 'utf8'), state, 'the state is unchanged');
    assert.equal(workspaceTree(), before, 'no config file changed');
    assert.equal((await write(world.source.url, 'still/writable')).status, 201, 'the source still takes writes');
  });

  it('cuts over: source read-only during it, final delta moved, files and secret name the cloud, report shows it; rollback restores both', async () => {
    const run = await cli(['execute', '--yes']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as { outputs: { apiUrl: string } };
    const apiUrl = status.outputs.apiUrl;
    assert.match(apiUrl, /^https?:\/\//, 'API Deployment recorded the URL');
    const cloudMemory = world.target.url;
    // A team with no file for one environment: the cutover creates it, the rollback removes it.
    await rm(file('workstation.json'));
    // A hand-laid file: several settings a line, objects inline, a tab. The cutover's edits
    // re-lay the lines they touch; the rollback must give back these bytes all the same.
    const laid = JSON.parse(await readFile(file('codespaces.json'), 'utf8')) as Record<string, unknown>;
    const entries = Object.entries(laid).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    await writeFile(file('codespaces.json'), `{ ${entries[0]},\n\t${entries.slice(1).join(',  ')}\n}`);
    const filesBefore = await configFiles();
    const secretBefore = await secretVersions(world);

    // A variable above the config files would keep the old endpoints live after the switch:
    // the plan names it with its fix, and cutover --yes is refused with nothing changed.
    const oldApi = 'http://127.0.0.1:9/old-api';
    const overridden = { ORCHESTRA_MEMORY__ENDPOINT: world.source.url, ORCHESTRA_ENDPOINTS__API: oldApi };
    const planned = await runCli(['cutover', '--plan-only', '--json'], world.workspace, overridden, 300_000);
    assert.equal(planned.code, 0, planned.stderr);
    const overrides = (JSON.parse(planned.stdout) as { overrides: Record<string, string>[] }).overrides;
    assert.deepEqual(
      overrides.map((o) => [o.setting, o.layer, o.source, o.value]),
      [
        ['memory.endpoint', 'env', 'ORCHESTRA_MEMORY__ENDPOINT', world.source.url],
        ['endpoints.api', 'env', 'ORCHESTRA_ENDPOINTS__API', oldApi],
      ],
    );
    const stateBefore = await readFile(stateFile(), 'utf8');
    const treeBefore = workspaceTree();
    const refusedByEnv = await runCli(['cutover', '--yes'], world.workspace, overridden, 300_000);
    assert.equal(refusedByEnv.code, 2, refusedByEnv.stdout + refusedByEnv.stderr);
    assert.match(refusedByEnv.stderr, /REFUSED while set: variable ORCHESTRA_MEMORY__ENDPOINT sets memory\.endpoint/);
    assert.match(
      refusedByEnv.stderr,
      /Cutover refused: variable ORCHESTRA_MEMORY__ENDPOINT[\s\S]*Unset ORCHESTRA_MEMORY__ENDPOINT/,
    );
    assert.match(
      refusedByEnv.stderr,
      /ORCHESTRA_ENDPOINTS__API sets endpoints\.api to http:\/\/127\.0\.0\.1:9\/old-api/,
    );
    assert.equal(workspaceTree(), treeBefore, 'no config file changed');
    assert.equal(await readFile(stateFile(), 'utf8'), stateBefore, 'the state is unchanged');
    assert.equal(
      (await write(world.source.url, 'late/1')).status,
      201,
      'the source still takes writes (the first of the final delta)',
    );
    assert.equal((await secretVersions(world)).count, secretBefore.count, 'no secret version added');
    const planText = await runCli(['cutover', '--plan-only'], world.workspace, overridden, 300_000);
    assert.match(planText.stdout, /REFUSED while set: variable ORCHESTRA_ENDPOINTS__API/);

    // The team keeps working: the final delta.
    // late/1 was written above.
    for (const key of ['late/2', 'late/3']) assert.equal((await write(world.source.url, key)).status, 201);

    // No terminal, no --yes: refused, nothing changed.
    const unconfirmed = await cli(['cutover']);
    assert.equal(unconfirmed.code, 2, unconfirmed.stderr);
    assert.match(unconfirmed.stderr, /no terminal to confirm[\s\S]*--yes/);
    assert.match(unconfirmed.stderr, /Final delta to .*: 3 new, 0 updated, 0 deleted/);
    assert.match(unconfirmed.stderr, /memory\.endpoint -> http\S+ in config\/: local\.json, .* \(was unset\)/);
    assert.equal((await write(world.source.url, 'late/4')).status, 201, 'the source was not made read-only');

    // The target refuses the final delta's writes: the source is writable again, nothing switched.
    await world.target.store.setReadOnly(true);
    const failed = await cli(['cutover', '--yes']);
    await world.target.store.setReadOnly(false);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(
      failed.stderr,
      /Cutover stopped at the final-delta stage[\s\S]*source is writable again and no endpoint was switched/,
    );
    assert.equal((await write(world.source.url, 'late/5')).status, 201, 'the source takes writes again');
    assert.deepEqual(await configFiles(), filesBefore, 'no config file switched');

    // Stopped by the user (Ctrl-C) during the final delta: the source takes writes again.
    world.target.setFaults({ paused: true });
    const stopped = await startCli(['cutover', '--yes'], world.workspace, {}, 300_000);
    await stopped.waitFor(/source read-only: writes are refused/);
    stopped.kill('SIGINT');
    const interrupted = await stopped.result;
    world.target.setFaults({ paused: false });
    assert.equal(interrupted.code, 130, interrupted.stderr);
    assert.match(interrupted.stderr, /source is writable again and no endpoint was switched/);
    assert.equal((await write(world.source.url, 'late/6')).status, 201, 'the source takes writes again');

    // The final delta held up by a slow target: a write to the source meanwhile is refused.
    world.target.setFaults({ paused: true });
    const cutover = await startCli(['cutover', '--yes'], world.workspace, {}, 300_000);
    await cutover.waitFor(/source read-only: writes are refused/);
    const refused = await write(world.source.url, 'during/cutover');
    world.target.setFaults({ paused: false });
    assert.equal(refused.status, 409);
    assert.match(await refused.text(), /read-only/);
    const done = await cutover.result;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /Cut over at .*checksums equal/);

    const [source, target] = await Promise.all([memorySnapshot(world.source.url), memorySnapshot(cloudMemory)]);
    assert.deepEqual(target, source, 'counts and checksums equal after the final delta');
    for (const key of ['late/1', 'late/4', 'late/5', 'late/6']) {
      assert.equal((await fetch(`${cloudMemory}/api/memory?key=${key}`)).status, 200, `${key} reached the cloud`);
    }
    assert.equal((await fetch(`${world.source.url}/api/memory?key=during/cutover`)).status, 404);
    assert.equal((await write(world.source.url, 'after/cutover')).status, 409, 'the source stays read-only');
    for (const env of ENVIRONMENTS) {
      const s = await settings(env);
      assert.equal(s.memory?.endpoint, cloudMemory, `config/${env}.json names the cloud memory`);
      assert.equal(s.endpoints?.api, apiUrl, `config/${env}.json names the cloud API`);
    }
    const secretAfter = await secretVersions(world);
    assert.equal(secretAfter.count, secretBefore.count + 1, 'one new secret version');
    assert.equal((secretAfter.latest.memory as { endpoint?: string }).endpoint, cloudMemory);
    assert.equal((secretAfter.latest.endpoints as { api?: string }).api, apiUrl);
    const report = await cli(['report', '--stdout']);
    assert.match(report.stdout, /## Cutover[\s\S]*Cut over[\s\S]*3\d\d records[\s\S]*config\/local\.json/);

    const recorded = JSON.parse((await cli(['status', '--json'])).stdout) as {
      cutover: { status: string; switched: unknown[] } | null;
    };
    assert.equal(recorded.cutover?.status, 'done', 'status --json shows the cutover');
    assert.match(
      (await cli(['status'])).stdout,
      /\nCutover: Cut over at \S+: the memory and API endpoints name the cloud \(8 settings switched, and the secret\)\. orchestra-migrate rollback-cutover undoes it\./,
    );
    assert.equal(recorded.cutover?.switched.length, 8, 'two settings in each of the four environments');

    // Once done, a rerun changes nothing; sync has nothing to sync from.
    const again = await cli(['cutover', '--yes']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Already cut over/);
    assert.equal((await secretVersions(world)).count, secretAfter.count);
    const sync = await cli(['sync']);
    assert.equal(sync.code, 2, sync.stderr);
    assert.match(sync.stderr, /cut over at/);

    // The team writes on the cloud; rollback takes it back to the source.
    assert.equal((await write(cloudMemory, 'cloud/write')).status, 201);
    const rollback = await cli(['rollback-cutover', '--yes']);
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.match(rollback.stdout, /Rolled back[\s\S]*1 record\(s\) copied back/);
    assert.equal((await write(world.source.url, 'after/rollback')).status, 201, 'the source takes writes again');
    assert.equal((await fetch(`${world.source.url}/api/memory?key=cloud/write`)).status, 200, 'no cloud write lost');
    assert.deepEqual(
      await configFiles(),
      filesBefore,
      'every file byte for byte as before the cutover, the one it created gone',
    );
    const secretRestored = await secretVersions(world);
    assert.equal(secretRestored.count, secretAfter.count + 1, 'a new version, not a deleted one');
    assert.deepEqual(secretRestored.latest, secretBefore.latest, 'the configuration before the cutover');
    assert.match(
      (await cli(['status'])).stdout,
      /\nCutover: The cutover of \S+ was rolled back at \S+: the endpoints name the source again\./,
    );
    const reportAfter = await cli(['report', '--stdout']);
    assert.match(reportAfter.stdout, /## Cutover[\s\S]*Rolled back/);

    const twice = await cli(['rollback-cutover', '--yes']);
    assert.equal(twice.code, 2, twice.stderr);
    assert.match(twice.stderr, /already rolled back/);
  });
});
