/**
 * Incremental sync, end to end in child processes: the two memory servers and every
 * `orchestra-migrate` run are processes of their own, against the GCP emulator. The
 * counts of what moved come from the target server's own write log.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { Plan } from '../../../src/core/migration/planner';
import { scriptBundle, shippedCli } from '../bundles';
import { memorySnapshot } from './snapshot';
import { seed, startWorld, type World } from './world';

const RECORDS = 20_000;
const PHASES = ['--phase', 'core-infrastructure', '--phase', 'memory-system'];

/** A memory server process; resolves once it printed its URL. */
async function startServer(script: string, dataDir: string): Promise<{ url: string; process: ChildProcess }> {
  const child = spawn(process.execPath, [script, '--data', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { memory: string }).memory);
    });
    child.once('exit', (code) => reject(new Error(`memory server exited with ${code}`)));
  });
  return { url, process: child };
}

/** The target's write log: set lines and delete lines (of records that existed). */
async function writeLog(dataDir: string): Promise<{ sets: string[]; deletes: string[] }> {
  const lines = (await readFile(path.join(dataDir, 'memory.log.jsonl'), 'utf8')).split('\n').filter(Boolean);
  const sets: string[] = [];
  const deletes: string[] = [];
  for (const line of lines) {
    const entry = JSON.parse(line) as { t: string; r?: { key: string }; key?: string; deleted?: boolean };
    if (entry.t === 'set') sets.push(entry.r!.key);
    if (entry.t === 'del' && entry.deleted) deletes.push(entry.key!);
  }
  return { sets, deletes };
}

async function batch(url: string, ops: unknown[]): Promise<void> {
  for (let i = 0; i < ops.length; i += 1000) {
    const response = await fetch(`${url}/api/memory/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ops: ops.slice(i, i + 1000) }),
    });
    assert.equal(response.status, 200, await response.text());
  }
}

describe('incremental memory sync (child processes, sandbox)', function () {
  this.timeout(180_000);
  let world: World;
  let cli: string;
  const servers: ChildProcess[] = [];
  let source: string;
  let target: string;
  let targetData: string;

  before(async () => {
    world = await startWorld({ records: 0 });
    const [cliScript, memoryScript] = await Promise.all([shippedCli(), scriptBundle('src/sandbox/memory/main.ts')]);
    cli = cliScript;
    targetData = path.join(world.dir, 'target-process');
    const [s, t] = await Promise.all([
      startServer(memoryScript, path.join(world.dir, 'source-process')),
      startServer(memoryScript, targetData),
    ]);
    servers.push(s.process, t.process);
    source = s.url;
    target = t.url;
    await seed(source, RECORDS, 'sync');
    const c = world.config;
    await mkdir(path.join(world.workspace, 'config'), { recursive: true });
    await writeFile(
      path.join(world.workspace, 'config', 'common.json'),
      JSON.stringify({
        projectId: c.projectId,
        gcp: { endpointOverrides: c.gcp.endpointOverrides, emulator: true },
        phases: { memorySystem: { sourceEndpoint: source, targetEndpoint: target, batchSize: 500 } },
      }),
    );
  });
  after(async () => {
    // Waited for: the suite's root hook checks that no child outlives its test.
    await Promise.all(
      servers
        .filter((child) => child.exitCode === null && child.signalCode === null)
        .map((child) => {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          return exited;
        }),
    );
    await world?.close();
  });

  function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: world.workspace,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  }

  async function copyPlan() {
    const verify = await run(['verify', '--json', '--no-preflight', ...PHASES]);
    assert.equal(verify.code, 0, verify.stderr);
    const plan = JSON.parse(verify.stdout) as Plan;
    return plan.phases.flatMap((p) => p.steps).find((s) => s.id === 'memory-system/copy')!;
  }

  it('copies 20k records, then moves exactly the 500 added, 300 changed and 200 deleted; a rerun moves nothing', async () => {
    const first = await run(['execute', '--yes', ...PHASES]);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(await memorySnapshot(target), await memorySnapshot(source));
    assert.equal((await copyPlan()).action, 'ok', 'in sync right after the copy');
    const before = await writeLog(targetData);

    const key = (i: number) => `sync/${String(i).padStart(6, '0')}`;
    const added = Array.from({ length: 500 }, (_, i) => key(RECORDS + i));
    const changed = Array.from({ length: 300 }, (_, i) => key(i * 50));
    const deleted = Array.from({ length: 200 }, (_, i) => key(i * 50 + 7));
    await batch(source, [
      ...added.map((k) => ({ op: 'set', key: k, content: { added: k } })),
      ...changed.map((k) => ({ op: 'set', key: k, content: { changed: k }, scope: 'team' })),
      ...deleted.map((k) => ({ op: 'delete', key: k })),
    ]);

    const plan = await copyPlan();
    assert.equal(plan.action, 'run');
    assert.deepEqual(plan.delta, { added: 500, updated: 300, deleted: 200, method: 'changes' });
    assert.match(plan.reason ?? '', /500 new, 300 updated, 200 deleted/);

    const second = await run(['execute', '--yes', '--json', ...PHASES]);
    assert.equal(second.code, 0, second.stderr);
    const after = await writeLog(targetData);
    const moved = after.sets.slice(before.sets.length).sort();
    assert.deepEqual(moved, [...added, ...changed].sort(), 'the target wrote the added and changed records, once each');
    assert.deepEqual(after.deletes.slice(before.deletes.length).sort(), [...deleted].sort(), 'and deleted the 200');
    const [s, t] = await Promise.all([memorySnapshot(source), memorySnapshot(target)]);
    assert.equal(t.records, RECORDS + 300);
    assert.deepEqual(t, s, 'counts and checksums equal');
    const status = await run(['status', '--json']);
    const outputs = (JSON.parse(status.stdout) as { outputs: { memoryCopy: { checksum: string } } }).outputs;
    assert.equal(outputs.memoryCopy.checksum, s.checksum, 'the recorded checksum is the source store');

    assert.equal((await copyPlan()).action, 'ok');
    const third = await run(['execute', '--yes', ...PHASES]);
    assert.equal(third.code, 0, third.stderr);
    const last = await writeLog(targetData);
    assert.deepEqual(
      [last.sets.length, last.deletes.length],
      [after.sets.length, after.deletes.length],
      'a rerun moves nothing',
    );

    // The sync command: the same move, saying what it moved; then nothing more to move.
    await batch(source, [
      { op: 'set', key: key(RECORDS + 1000), content: { late: true } },
      { op: 'delete', key: key(1) },
    ]);
    const synced = await run(['sync', '--json']);
    assert.equal(synced.code, 0, synced.stderr);
    assert.deepEqual((JSON.parse(synced.stdout) as { synced: unknown }).synced, {
      added: 1,
      updated: 0,
      deleted: 1,
      method: 'changes',
    });
    assert.deepEqual(await memorySnapshot(target), await memorySnapshot(source));
    const again = await run(['sync']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Synced 0 new, 0 updated, 0 deleted/);
  });
});
