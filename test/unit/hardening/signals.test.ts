/**
 * SIGINT and SIGTERM during `execute`, `verify` and `health` (child processes, on
 * loopback): the first signal stops the run cleanly. The process exits with the code
 * shells use (130, 143), the run and its phase are recorded as cancelled (not failed),
 * no lock or temp file is left, and a rerun resumes to completion.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { emulatorOverrides } from '../../../src/core/gcp/endpoints';
import { startWorld, type World } from '../migration/world';
import { leftovers, runCli, startCli } from './harness';

/** Polls a condition (bounded for a stuck run). */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface StatusDoc {
  running: boolean;
  lock: unknown;
  run: { status: string } | null;
  phases: { id: string; status: string; steps: { id: string; status: string }[] }[];
}

describe('commands stopped by SIGINT or SIGTERM (child processes)', function () {
  this.timeout(240_000);
  let world: World;
  let n = 0;

  before(async () => {
    world = await startWorld({ records: 0 });
  });
  after(async () => world?.close());

  async function workspace(): Promise<string> {
    const ws = path.join(world.dir, `ws-${n++}`);
    await mkdir(path.join(ws, 'config'), { recursive: true });
    const c = world.config;
    await writeFile(
      path.join(ws, 'config', 'common.json'),
      JSON.stringify({ projectId: c.projectId, gcp: { endpointOverrides: c.gcp.endpointOverrides, emulator: true } }),
    );
    return ws;
  }

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} while a step waits on a long-running operation: exit ${code}, cancelled, no lock or temp file`, async () => {
      const ws = await workspace();
      // Every operation takes a minute: the run is surely mid-step when the signal comes.
      world.emulator.setFaults({ lroDelayMs: 60_000 });
      const child = await startCli(['execute', '--phase', 'core-infrastructure', '--yes'], ws);
      await child.waitFor(/core-infrastructure\/\S+ started/);
      const sentAt = Date.now();
      child.kill(signal);
      const r = await child.result;
      const tookMs = Date.now() - sentAt;
      world.emulator.setFaults({ lroDelayMs: 20 });

      assert.equal(r.code, code, `exit code\n${r.stderr}`);
      assert.equal(r.signal, null, 'the process ended by itself, not killed by the signal');
      assert.ok(tookMs < 30_000, `stopped in ${tookMs} ms, not after the operation's minute`);
      assert.match(r.stderr, new RegExp(`${signal}: stopping`));
      assert.match(r.stdout, /Run cancelled/);
      assert.deepEqual(leftovers(ws), [], 'a lock or temp file was left behind');

      const status = await runCli(['status', '--json'], ws);
      assert.equal(status.code, 0, status.stderr);
      const doc = JSON.parse(status.stdout) as StatusDoc;
      assert.equal(doc.run?.status, 'cancelled');
      assert.equal(doc.running, false);
      assert.equal(doc.lock, null);
      const core = doc.phases.find((p) => p.id === 'core-infrastructure')!;
      assert.equal(core.status, 'cancelled', 'cancelled, not failed');
      assert.ok(
        core.steps.some((s) => s.status === 'cancelled'),
        'the step that was running is cancelled',
      );
      assert.ok(!core.steps.some((s) => s.status === 'failed'), 'no step failed');

      const rerun = await runCli(['execute', '--phase', 'core-infrastructure', '--yes'], ws);
      assert.equal(rerun.code, 0, rerun.stderr);
      const after = JSON.parse((await runCli(['status', '--json'], ws)).stdout) as StatusDoc;
      assert.equal(after.phases.find((p) => p.id === 'core-infrastructure')?.status, 'completed');
      assert.deepEqual(leftovers(ws), []);
    });
  }

  for (const [name, args, config] of [
    [
      'verify',
      ['verify', '--phase', 'core-infrastructure'],
      (url: string) => ({ gcp: { endpointOverrides: emulatorOverrides(url), emulator: true } }),
    ],
    ['health', ['health'], (url: string) => ({ memory: { endpoint: url } })],
  ] as const) {
    it(`SIGINT during ${name} whose requests hang: exit 130 at once, nothing written`, async () => {
      // A listener that takes requests and never answers: the command is surely waiting when the signal comes.
      const held: http.ServerResponse[] = [];
      const hang = http.createServer((_req, res) => held.push(res));
      await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
      try {
        const ws = path.join(world.dir, `ws-${n++}`);
        await mkdir(path.join(ws, 'config'), { recursive: true });
        await writeFile(
          path.join(ws, 'config', 'common.json'),
          JSON.stringify({ projectId: world.config.projectId, ...config(url) }),
        );
        const child = await startCli([...args], ws);
        await until(() => held.length > 0);
        const sentAt = Date.now();
        child.kill('SIGINT');
        const r = await child.result;
        assert.equal(r.code, 130, r.stderr);
        assert.ok(Date.now() - sentAt < 30_000, 'stopped without waiting for an answer');
        assert.deepEqual(leftovers(ws), []);
        assert.equal(existsSync(path.join(ws, '.orchestra')), false, `${name} wrote no state`);
      } finally {
        for (const res of held) res.destroy();
        await new Promise((resolve) => hang.close(resolve));
      }
    });
  }
});
