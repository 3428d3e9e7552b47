import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { LockedError, MigrationLock, lockPath } from '../../../src/core/migration/lock';
import { spawnExecute } from './child';
import { openEngine, PROJECT, startWorld, type World } from './world';

describe('the migration lock', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchestra-lock-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('is exclusive: a second acquire names the holder, its pid, host and heartbeat', async () => {
    const first = await MigrationLock.acquire(dir, PROJECT, { heartbeatMs: 100 });
    try {
      await assert.rejects(MigrationLock.acquire(dir, PROJECT), (error: unknown) => {
        assert.ok(error instanceof LockedError);
        assert.match(error.message, new RegExp(`locked by pid ${process.pid} on host ${os.hostname()} since `));
        assert.match(error.message, /heartbeat \d+s ago/);
        return true;
      });
    } finally {
      await first.release();
    }
    const again = await MigrationLock.acquire(dir, PROJECT);
    await again.release();
  });

  it('takes over a lock left by a dead process, saying so', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    const pid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid!)));
    const stale = {
      pid,
      host: os.hostname(),
      startedAt: new Date().toISOString(),
      heartbeat: new Date().toISOString(),
      owner: 'dead-run',
      purpose: 'execute',
    };
    await writeFile(lockPath(dir, PROJECT), JSON.stringify(stale));
    const warnings: string[] = [];
    const lock = await MigrationLock.acquire(dir, PROJECT, {
      logger: { ...silent, warn: (m: string) => warnings.push(m) },
    });
    try {
      assert.match(lock.tookOver ?? '', new RegExp(`pid ${pid} .*no longer running`));
      assert.equal(warnings.length, 1);
      const onDisk = JSON.parse(await readFile(lockPath(dir, PROJECT), 'utf8'));
      assert.equal(onDisk.pid, process.pid);
    } finally {
      await lock.release();
    }
  });

  it('takes over a lock whose heartbeat stopped, but not a live one', async () => {
    const old = new Date(Date.now() - 60_000).toISOString();
    // pid 1 is alive on this host, so only the heartbeat can make it stale.
    await writeFile(
      lockPath(dir, PROJECT),
      JSON.stringify({ pid: 1, host: os.hostname(), startedAt: old, heartbeat: old, owner: 'x', purpose: 'execute' }),
    );
    const lock = await MigrationLock.acquire(dir, PROJECT, { heartbeatMs: 1000, staleAfterBeats: 5 });
    assert.match(lock.tookOver ?? '', /heartbeat stopped 60s ago/);
    await lock.release();
    const fresh = new Date().toISOString();
    await writeFile(
      lockPath(dir, PROJECT),
      JSON.stringify({
        pid: 1,
        host: os.hostname(),
        startedAt: fresh,
        heartbeat: fresh,
        owner: 'y',
        purpose: 'execute',
      }),
    );
    await assert.rejects(MigrationLock.acquire(dir, PROJECT), LockedError);
    await rm(lockPath(dir, PROJECT));
  });

  it('keeps its heartbeat fresh while held', async () => {
    const lock = await MigrationLock.acquire(dir, PROJECT, { heartbeatMs: 50 });
    const heartbeat = async () => JSON.parse(await readFile(lockPath(dir, PROJECT), 'utf8')).heartbeat as string;
    const first = await heartbeat();
    // Waits for the next beat, however late a busy machine runs the timer.
    let later = first;
    while (later === first) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      later = await heartbeat().catch(() => first); // a read may meet the rename mid-way
    }
    await lock.release();
    assert.ok(Date.parse(later) > Date.parse(first));
  });

  describe('two executes on one workspace', () => {
    let world: World;
    before(async () => {
      world = await startWorld({ records: 30, emulator: { lroDelayMs: 150 } });
    });
    after(async () => world?.close());

    it('exactly one runs; the other exits with the lock message', async () => {
      const job = { config: world.config, workspace: world.workspace };
      const [a, b] = await Promise.all([spawnExecute(world.dir, job, 'a'), spawnExecute(world.dir, job, 'b')]);
      const [ea, eb] = await Promise.all([a.exit, b.exit]);
      const codes = [ea.code, eb.code].sort();
      assert.deepEqual(
        codes,
        [0, 2],
        `exits: ${ea.code} ${ea.stdout} ${ea.stderr} / ${eb.code} ${eb.stdout} ${eb.stderr}`,
      );
      const loser = ea.code === 2 ? ea : eb;
      assert.match(loser.stdout, /locked by pid \d+ on host .* since .*heartbeat \d+s ago/);
      // One run did all the creates: each resource was created once.
      const creates = world.emulator
        .requestLog()
        .filter((r) => r.method === 'POST' && r.path.endsWith('/serviceAccounts'));
      assert.equal(creates.length, 1);
    });

    it('a lock left by a killed execute is taken over by the next one', async () => {
      await mkdir(path.join(world.dir, 'ws2'), { recursive: true });
      const job = { config: world.config, workspace: path.join(world.dir, 'ws2') };
      const child = await spawnExecute(world.dir, job, 'killed');
      await child.ready;
      await new Promise((r) => setTimeout(r, 100));
      child.process.kill('SIGKILL');
      await child.exit;
      const h = await openEngine(world.config, job.workspace);
      try {
        const events: string[] = [];
        h.engine.events.on((e) => {
          if (e.type === 'run-started' && e.message) events.push(e.message);
        });
        const result = await h.engine.execute();
        assert.equal(result.status, 'completed');
        assert.match(events[0] ?? '', new RegExp(`Took over a stale migration lock held by pid ${child.process.pid}`));
      } finally {
        await h.close();
      }
    });
  });
});

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
