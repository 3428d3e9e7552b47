/**
 * A cutover killed with SIGKILL (no handler runs, nothing is cleaned up) at three points,
 * then run again: the rerun takes the dead run's lock over and finishes the cutover it
 * finds recorded. Every run is a child process of the built command line; the memory
 * servers, the config files on disk and the secret's versions in the emulator are the
 * judges. rollback-cutover afterwards must restore every byte of the files as they were.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { lockPath } from '../../../src/core/migration/lock';
import { runCli, startCli, type CliRun } from '../hardening/harness';
import { memorySnapshot } from './snapshot';
import { cliWorkspace, secretVersions, seed, startWorld, type World } from './world';

const ENVIRONMENTS = ['local', 'codespaces', 'workstation', 'cloud_run'];
/** Three pages of the source's changes feed (1000 a page, applied one after another): a kill can land between them. */
const LATE = 3000;
const PAGE = 1000;

/** Resolves once `check` holds; fails after `ms` (polls a condition, never sleeps a fixed time for an outcome). */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** JSON.stringify replacer: an empty object sets nothing, so it is left out. */
function prune(_key: string, value: unknown): unknown {
  return value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0
    ? undefined
    : value;
}

describe('orchestra-migrate cutover killed with SIGKILL, then run again (child processes, sandbox)', function () {
  this.timeout(600_000);
  let world: World;
  const cli = (args: string[]) => runCli(args, world.workspace, {}, 300_000);
  const file = (env: string) => path.join(world.workspace, 'config', `${env}.json`);
  const files = () => Promise.all(ENVIRONMENTS.map((e) => readFile(file(e), 'utf8')));
  const lockFile = () => lockPath(path.join(world.workspace, '.orchestra'), world.config.projectId);
  const write = (url: string, key: string) =>
    fetch(`${url}/api/memory`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key, content: { written: key } }),
    });

  /** SIGKILL, then what a user finds: the dead run's lock left behind. */
  async function kill(run: CliRun): Promise<void> {
    run.kill('SIGKILL');
    const result = await run.result;
    assert.equal(result.signal, 'SIGKILL', result.stderr);
    const lock = JSON.parse(await readFile(lockFile(), 'utf8')) as { pid: number };
    assert.equal(lock.pid, run.pid, 'the killed run left its lock');
  }

  before(async () => {
    world = await startWorld({ records: 300 });
    await cliWorkspace(world, { targetMs: 2000 });
    const init = await cli(['init']);
    assert.equal(init.code, 0, init.stderr);
    const run = await cli(['execute', '--yes']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
  });
  after(async () => {
    await world?.close();
  });

  it('finishes after kills at read-only, mid-delta and mid-switch: one cutover, one secret version; rollback restores all', async () => {
    const apiUrl = (JSON.parse((await cli(['status', '--json'])).stdout) as { outputs: { apiUrl: string } }).outputs
      .apiUrl;
    const cloud = world.target.url;
    const filesBefore = await files();
    const secretBefore = await secretVersions(world);
    await seed(world.source.url, LATE, 'late');
    const targetBefore = world.target.store.size;

    // 1. Killed once the source refuses writes, the final delta held up by a stalled target.
    world.target.setFaults({ paused: true });
    const first = await startCli(['cutover', '--yes'], world.workspace, {}, 300_000);
    await first.waitFor(/source read-only: writes are refused/);
    assert.equal((await write(world.source.url, 'during/1')).status, 409, 'the source refuses writes');
    await kill(first);
    world.target.setFaults({ paused: false });
    assert.equal((await write(world.source.url, 'during/2')).status, 409, 'a killed cutover leaves it read-only');

    // 2. Killed in the middle of the final delta: some late records on the target, not all. The
    // killed run's held writes (at most its first page) may land after the kill; the second
    // page is this run's.
    world.target.setFaults({ latencyMs: 300 });
    const second = await startCli(['cutover', '--yes'], world.workspace, {}, 300_000);
    await until('the final delta is past its first page', () => world.target.store.size > targetBefore + PAGE);
    await kill(second);
    world.target.setFaults({ latencyMs: 0 });
    assert.ok(world.target.store.size < targetBefore + LATE, 'killed before the delta finished');

    // 3. Killed as soon as the first config file names the cloud.
    const third = await startCli(['cutover', '--yes'], world.workspace, {}, 300_000);
    await until('a config file is switched', async () => (await files()).some((text, i) => text !== filesBefore[i]));
    await kill(third);
    assert.ok(
      (await files()).some((text) => text.includes(cloud)),
      'the kill landed after a file was switched',
    );

    // The rerun takes the stale lock over and finishes.
    const rerun = await cli(['cutover', '--yes']);
    assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
    assert.match(rerun.stderr, /finishes it/, 'the plan says a stopped cutover is finished');
    assert.match(rerun.stdout, /Cut over at .*checksums equal/);
    assert.equal(existsSync(lockFile()), false, 'the lock is released');

    const [source, target] = await Promise.all([memorySnapshot(world.source.url), memorySnapshot(cloud)]);
    assert.deepEqual(target, source, 'counts and checksums equal');
    assert.equal((await fetch(`${cloud}/api/memory?key=late/002999`)).status, 200, 'the final delta arrived');
    for (const env of ENVIRONMENTS) {
      const text = await readFile(file(env), 'utf8');
      assert.equal(text.split(cloud).length - 1, 1, `config/${env}.json names the cloud memory once`);
      const s = JSON.parse(text) as { memory?: { endpoint?: string }; endpoints?: { api?: string } };
      assert.equal(s.memory?.endpoint, cloud);
      assert.equal(s.endpoints?.api, apiUrl);
    }
    const secretAfter = await secretVersions(world);
    assert.equal(secretAfter.count, secretBefore.count + 1, 'one new secret version, not one per run');
    assert.equal((secretAfter.latest.memory as { endpoint?: string }).endpoint, cloud);

    const status = JSON.parse((await cli(['status', '--json'])).stdout) as {
      cutover: { status: string; switched: { file: string; from?: string }[] } | null;
    };
    assert.equal(status.cutover?.status, 'done');
    assert.equal(status.cutover?.switched.length, 8);
    assert.ok(
      status.cutover?.switched.every((s) => s.from === undefined),
      'the values before are the ones before the first run, not a half-switched file',
    );
    const report = (await cli(['report', '--stdout'])).stdout;
    const section = report.slice(report.indexOf('## Cutover'));
    assert.equal(section.match(/Cut over at/g)?.length ?? 0, 1, `one completed cutover in the report:\n${section}`);

    // Rollback restores every byte of the files, the secret's content and the source's writes.
    const rollback = await cli(['rollback-cutover', '--yes']);
    assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
    // Compared as settings: removing a setting the cutover added can leave its emptied parent
    // object ("endpoints": {}), which sets nothing.
    const settingsOf = (texts: string[]) => texts.map((t) => JSON.stringify(JSON.parse(t), prune));
    assert.deepEqual(settingsOf(await files()), settingsOf(filesBefore), 'every setting as before the first cutover');
    const secretRestored = await secretVersions(world);
    assert.deepEqual(secretRestored.latest, secretBefore.latest);
    assert.equal((await write(world.source.url, 'after/rollback')).status, 201, 'the source takes writes again');
  });
});
