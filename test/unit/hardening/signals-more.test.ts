/**
 * The first SIGINT or SIGTERM stops every long command (child processes, on loopback):
 * verify and health whose requests hang, `memory` reading a store that never answers,
 * destroy while a delete waits on its long-running operation, monitor following a run,
 * sync whose source hangs mid-delta, and the sandbox serving. Each exits at once with the
 * shells' code (130 / 143; the sandbox, whose normal end is a signal, 0), leaves no lock or
 * temp file, and changes nothing outside the workspace (its parent folder hashed before
 * and after).
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { emulatorOverrides } from '../../../src/core/gcp/endpoints';
import { emulatorWorkspace, seed, startWorld, type World } from '../migration/world';
import { leftovers, runCli, startCli, treeHash, type CliResult, type CliRun } from './harness';

const SIGNALS = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const;

/** Polls a condition (bounded for a stuck run). */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Takes requests and never answers them while `holding`; otherwise forwards them to `target`. */
async function holdingProxy(target?: string) {
  const held: http.ServerResponse[] = [];
  let holding = !target;
  const server = http.createServer((req, res) => {
    if (holding || !target) {
      held.push(res);
      return;
    }
    const url = new URL(req.url ?? '/', target);
    const upstream = http.request(url, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    hold: () => (holding = true),
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('every long command stops on the first SIGINT or SIGTERM (child processes)', function () {
  this.timeout(300_000);
  let world: World;
  let n = 0;

  before(async () => {
    world = await startWorld({ records: 0 });
  });
  after(async () => world?.close());

  async function workspace(config: Record<string, unknown> = {}): Promise<string> {
    return emulatorWorkspace(world, path.join(world.dir, `ws-${n++}`), config);
  }

  /**
   * Sends `signal` once `ready` holds and checks the exit: the code, by itself (not killed by
   * the signal), soon, the stop announced, no lock or temp file, nothing changed outside.
   */
  async function stopped(
    child: CliRun,
    ws: string,
    signal: NodeJS.Signals,
    code: number,
    outside: string[],
  ): Promise<CliResult> {
    const sentAt = Date.now();
    child.kill(signal);
    const r = await child.result;
    const tookMs = Date.now() - sentAt;
    assert.equal(r.code, code, `exit code\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.signal, null, 'the process ended by itself, not killed by the signal');
    assert.ok(tookMs < 20_000, `stopped in ${tookMs} ms`);
    assert.deepEqual(leftovers(ws), [], 'a lock or temp file was left behind');
    assert.deepEqual(outsideOf(ws), outside, 'something changed outside');
    return r;
  }

  /**
   * Every file beside the workspace, but for the memory servers' own data (the stores a run
   * reads and writes, as the cloud is): the other workspaces, the world's files.
   */
  function outsideOf(ws: string): string[] {
    return treeHash(world.dir, [path.basename(ws), 'source-data', 'target-data']).entries;
  }

  for (const [signal, code] of SIGNALS) {
    for (const [name, args, config] of [
      [
        'verify',
        ['verify', '--phase', 'core-infrastructure'],
        (url: string) => ({ gcp: { endpointOverrides: emulatorOverrides(url), emulator: true } }),
      ],
      ['health', ['health'], (url: string) => ({ memory: { endpoint: url } })],
      [
        'memory list',
        ['memory', 'list', '--side', 'source'],
        (url: string) => ({ phases: { memorySystem: { sourceEndpoint: url } } }),
      ],
    ] as const) {
      it(`${signal} during ${name} whose requests hang: exit ${code} at once, nothing written`, async () => {
        const hang = await holdingProxy();
        try {
          const ws = await workspace(config(hang.url));
          const outside = outsideOf(ws);
          const child = await startCli([...args], ws);
          await until('a request to the listener', () => hang.held.length > 0);
          const r = await stopped(child, ws, signal, code, outside);
          assert.match(r.stderr, new RegExp(`${signal}: stopping`));
        } finally {
          await hang.close();
        }
      });
    }
  }

  it('SIGTERM during destroy while a delete waits on its operation: exit 143, lock released; a rerun finishes', async () => {
    const ws = await workspace();
    const made = await runCli(['execute', '--yes', '--phase', 'core-infrastructure'], ws);
    assert.equal(made.code, 0, made.stderr);
    world.emulator.setFaults({ lroDelayMs: 60_000 });
    try {
      const outside = outsideOf(ws);
      const child = await startCli(['destroy', '--yes', '--phase', 'core-infrastructure'], ws);
      await child.waitFor(/deleting|delete .*started|core-infrastructure\/\S+: started/i);
      const r = await stopped(child, ws, 'SIGTERM', 143, outside);
      assert.match(r.stderr, /SIGTERM: stopping/);
    } finally {
      world.emulator.setFaults({ lroDelayMs: 20 });
    }
    const status = JSON.parse((await runCli(['status', '--json'], ws)).stdout) as { running: boolean; lock: unknown };
    assert.equal(status.running, false);
    assert.equal(status.lock, null);
    const rerun = await runCli(['destroy', '--yes', '--phase', 'core-infrastructure'], ws);
    assert.equal(rerun.code, 0, rerun.stderr);
  });

  it('SIGINT to monitor following a run: exit 130 at once; the run goes on until stopped itself', async () => {
    // Google's APIs never answer: the run stays running as long as the test needs.
    const hang = await holdingProxy();
    const ws = await workspace({ gcp: { endpointOverrides: emulatorOverrides(hang.url), emulator: true } });
    const run = await startCli(['execute', '--yes', '--phase', 'core-infrastructure'], ws);
    try {
      await run.waitFor(/run \S+ started/);
      const monitor = await startCli(['monitor'], ws);
      await monitor.waitFor(/Following .*Ctrl-C to stop/);
      const sentAt = Date.now();
      monitor.kill('SIGINT');
      const r = await monitor.result;
      assert.equal(r.code, 130, r.stderr);
      assert.equal(r.signal, null);
      assert.ok(Date.now() - sentAt < 20_000);
      const status = JSON.parse((await runCli(['status', '--json'], ws)).stdout) as { running: boolean };
      assert.equal(status.running, true, 'the run monitor followed is still running');
    } finally {
      run.kill('SIGINT');
      const r = await run.result;
      await hang.close();
      assert.equal(r.code, 130, r.stderr);
      assert.deepEqual(leftovers(ws), []);
    }
  });

  it('SIGINT during sync whose source hangs mid-delta: exit 130 at once, no lock or temp file', async () => {
    await seed(world.source.url, 30, 'sync-signal');
    const proxy = await holdingProxy(world.source.url);
    try {
      const ws = await workspace({
        phases: { memorySystem: { sourceEndpoint: proxy.url, targetEndpoint: world.target.url } },
      });
      const first = await runCli(
        ['execute', '--yes', '--phase', 'core-infrastructure', '--phase', 'memory-system'],
        ws,
      );
      assert.equal(first.code, 0, first.stderr);
      await seed(world.source.url, 5, 'sync-signal-delta');
      proxy.hold();
      const outside = outsideOf(ws);
      const before = proxy.held.length;
      const child = await startCli(['sync'], ws);
      await until('sync reading the source', () => proxy.held.length > before);
      const r = await stopped(child, ws, 'SIGINT', 130, outside);
      assert.match(r.stderr, /SIGINT: stopping/);
    } finally {
      await proxy.close();
    }
  });

  it('SIGTERM to the sandbox: it stops at once and says so (its normal end: exit 0)', async () => {
    const ws = path.join(world.dir, `ws-${n++}`);
    await mkdir(ws, { recursive: true });
    const outside = outsideOf(ws);
    const child = await startCli(['sandbox', '--port', '0'], ws);
    await child.waitFor(/http:\/\/127\.0\.0\.1:\d+/);
    await stopped(child, ws, 'SIGTERM', 0, outside);
  });
});
