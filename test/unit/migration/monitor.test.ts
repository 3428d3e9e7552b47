/**
 * The state file as another process sees it (the editor beside a CLI run): a file it
 * cannot read is said, not shown as "not started"; a run left "running" by a process
 * that is gone is reported as interrupted, not as running.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { lockPath, MigrationLock } from '../../../src/core/migration/lock';
import { StateFileMonitor } from '../../../src/core/migration/monitor';
import { builtInPhases } from '../../../src/core/migration/phases';
import { statePath, StateStore } from '../../../src/core/migration/store';

const PROJECT = 'monitor-project';

async function markRunning(dir: string): Promise<void> {
  const store = await StateStore.open(dir, PROJECT, {
    phases: builtInPhases()
      .infos()
      .map((p) => p.id),
  });
  await store.update((state) => {
    state.phases['core-infrastructure'].status = 'in-progress';
    state.run = {
      id: 'run-1',
      startedAt: new Date().toISOString(),
      status: 'running',
      phases: ['core-infrastructure'],
      pid: process.pid,
      host: os.hostname(),
    };
  });
  await store.flush();
}

describe('following the state file of another process', () => {
  let root: string;
  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'om-monitor-'));
  });
  after(async () => fs.rm(root, { recursive: true, force: true }));

  it('says why it cannot read a corrupt state file, keeps the last good state, and recovers', async () => {
    const dir = path.join(root, 'corrupt');
    await markRunning(dir);
    const lock = await MigrationLock.acquire(dir, PROJECT);
    const monitor = new StateFileMonitor(statePath(dir, PROJECT), PROJECT, builtInPhases().infos(), 60_000);
    try {
      await monitor.reload();
      assert.equal(monitor.snapshot().problem, undefined);
      assert.equal(monitor.snapshot().phases[0].status, 'in-progress');

      await fs.writeFile(statePath(dir, PROJECT), '{"version": 2, "phases": ');
      await monitor.reload();
      const broken = monitor.snapshot();
      assert.match(broken.problem ?? '', /state file .* is not valid: .*not JSON/);
      assert.ok(broken.problem?.includes(statePath(dir, PROJECT)), 'the problem names the file');
      assert.equal(broken.phases[0].status, 'in-progress', 'the last good state stays in view');

      await lock.release();
      await fs.rm(statePath(dir, PROJECT));
      await markRunning(dir);
      const relock = await MigrationLock.acquire(dir, PROJECT);
      await monitor.reload();
      assert.equal(monitor.snapshot().problem, undefined, 'a readable file clears the problem');
      await relock.release();
    } finally {
      monitor.dispose();
      await lock.release().catch(() => undefined);
    }
  });

  it('a run whose process is gone is interrupted, not running; a live lock keeps it running', async () => {
    const dir = path.join(root, 'interrupted');
    await markRunning(dir);
    const monitor = new StateFileMonitor(statePath(dir, PROJECT), PROJECT, builtInPhases().infos(), 60_000);
    const changes: boolean[] = [];
    monitor.onDidChange((s) => changes.push(s.running));
    try {
      // No lock at all: the run that wrote "running" released nothing because it died.
      await monitor.reload();
      let snapshot = monitor.snapshot();
      assert.equal(snapshot.running, false);
      assert.match(snapshot.interrupted ?? '', /no process holds the migration lock/);

      // A lock left by a process that has exited (same host): stale, so still interrupted.
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
        encoding: 'utf8',
      });
      const deadPid = Number(dead.stdout);
      await fs.writeFile(
        lockPath(dir, PROJECT),
        JSON.stringify({
          pid: deadPid,
          host: os.hostname(),
          owner: 'x',
          startedAt: new Date().toISOString(),
          heartbeat: new Date().toISOString(),
        }),
      );
      await monitor.reload();
      snapshot = monitor.snapshot();
      assert.equal(snapshot.running, false);
      assert.match(snapshot.interrupted ?? '', new RegExp(`pid ${deadPid} is no longer running`));

      // A live run holds the lock: running, and no interruption.
      await fs.rm(lockPath(dir, PROJECT));
      const lock = await MigrationLock.acquire(dir, PROJECT);
      try {
        await monitor.reload();
        snapshot = monitor.snapshot();
        assert.equal(snapshot.running, true);
        assert.equal(snapshot.interrupted, undefined);
      } finally {
        await lock.release();
      }
      assert.deepEqual(changes, [false, false, true], 'listeners heard each change once');
    } finally {
      monitor.dispose();
    }
  });
});
