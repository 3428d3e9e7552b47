import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'mocha';
import { isLoopback, measure, verdictFor } from '../../../src/core/migration/latency';
import { builtInPhases } from '../../../src/core/migration/phases';
import { migrationReport } from '../../../src/core/report/markdown';
import { openEngine, startWorld, type World } from './world';

const never = new AbortController().signal;

describe('latency sampling', () => {
  it('does not count the warm-up calls, and grades p95: pass at target, warn within 1.5x, fail above', async () => {
    let calls = 0;
    const sample = await measure({ samples: 10, warmup: 3, signal: never, timeoutMs: 1000, what: 'x' }, async () => {
      calls++;
    });
    assert.equal(calls, 13);
    assert.equal(sample.samples, 10);
    assert.equal(sample.warmup, 3);
    const at = (p95: number) => ({ ...sample, p95 });
    assert.equal(verdictFor(at(100), 100, 'https://api.example.com').verdict, 'pass');
    assert.equal(verdictFor(at(150), 100, 'https://api.example.com').verdict, 'warn');
    assert.equal(verdictFor(at(150.1), 100, 'https://api.example.com').verdict, 'fail');
    assert.equal(verdictFor(at(1), 100, 'https://api.example.com').where, 'remote');
    assert.equal(verdictFor(at(1), 100, 'http://127.0.0.1:9/x').where, 'local');
  });

  it('a sample with no answer in time fails the measurement, saying which sample and the bound', async () => {
    let n = 0;
    await assert.rejects(
      measure({ samples: 5, warmup: 1, signal: never, timeoutMs: 50, what: 'API http://h' }, (signal) => {
        // The third call never answers; it ends only when the sample's signal aborts.
        if (++n < 3) return Promise.resolve();
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      }),
      /API http:\/\/h: sample 2 of 5 failed: no answer within 50 ms/,
    );
  });

  it('knows a loopback endpoint from a remote one', () => {
    for (const local of ['http://localhost:8080', 'http://127.0.0.1:1/a', 'http://[::1]:3/', 'localhost'])
      assert.ok(isLoopback(local), local);
    for (const remote of ['https://orchestra-api-xyz.a.run.app', 'http://10.0.0.1:80', 'https://memory.example.com'])
      assert.ok(!isLoopback(remote), remote);
  });
});

describe('the Validation phase against the local emulators', function () {
  this.timeout(120_000);
  let world: World;
  let refusing: Server;
  let refusingUrl: string;

  before(async () => {
    world = await startWorld({ records: 30 });
    refusing = createServer((req, res) => {
      // It issues ID tokens as the emulator does, then refuses every call made with one.
      if (req.method === 'POST' && req.url === '/token') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ id_token: 'header.claims.signature' }));
      }
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('Forbidden: this service needs an ID token');
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    refusingUrl = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/`;
  });
  after(async () => {
    refusing?.close();
    await world?.close();
  });

  it('starts only after every other step of the run has finished, and its checks do not overlap each other', async () => {
    const h = await openEngine(world.config, world.workspace, { concurrency: 8 });
    try {
      const result = await h.engine.execute();
      assert.equal(result.status, 'completed', JSON.stringify(result.failures));
      const steps = Object.values(h.engine.state().steps);
      const validation = steps.filter((s) => s.phase === 'validation');
      const others = steps.filter((s) => s.phase !== 'validation');
      assert.equal(validation.length, 3);
      assert.ok(others.length > 10);
      const lastOther = Math.max(...others.map((s) => Date.parse(s.finishedAt!)));
      for (const v of validation) {
        assert.ok(
          Date.parse(v.startedAt!) >= lastOther,
          `${v.id} started ${v.startedAt}, before the last other step finished`,
        );
      }
      const ordered = [...validation].sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!));
      for (let i = 1; i < ordered.length; i++) {
        assert.ok(
          Date.parse(ordered[i].startedAt!) >= Date.parse(ordered[i - 1].finishedAt!),
          `${ordered[i].id} overlapped ${ordered[i - 1].id}`,
        );
      }
      const report = migrationReport(h.engine.state(), builtInPhases().infos());
      assert.match(report, /## Validation/);
      assert.match(report, /\| API \| ✅ pass \|/);
      assert.match(report, /latencies of this machine, not of Google Cloud/);
    } finally {
      await h.close();
    }
  });

  it('an API that answers 403 fails validation, naming the status; a 403 is never a fast success', async () => {
    const h = await openEngine(world.config, world.workspace);
    const file = h.engine.stateFile;
    await h.close();
    // The recorded URL now points at a service that refuses every call.
    const state = JSON.parse(await readFile(file, 'utf8'));
    state.outputs.apiUrl = refusingUrl;
    await writeFile(file, JSON.stringify(state));
    const again = await openEngine(world.config, world.workspace);
    try {
      const result = await again.engine.execute(['validation']);
      assert.equal(result.status, 'failed');
      const failure = result.failures.find((f) => f.step === 'validation/api-latency');
      assert.ok(failure, JSON.stringify(result.failures));
      assert.match(failure.error, /warm-up call 1 of 3 failed: GET http:\/\/127\.0\.0\.1:\d+\/ answered 403 Forbidden/);
      assert.equal(again.engine.state().phases.validation.status, 'failed');
    } finally {
      await again.close();
    }
  });
});
