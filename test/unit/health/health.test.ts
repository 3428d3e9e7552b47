/**
 * The health check against real servers on loopback: the sandbox's memory servers (with
 * their fault switches), a recording proxy to count what reaches a server, and a plain
 * HTTP server standing in for the deployed API.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, type ResolvedConfig } from '../../../src/core/config';
import {
  HealthChecker,
  healthTargets,
  formatHealth,
  isConfigured,
  judgeLatency,
  type HealthReport,
} from '../../../src/core/health';
import { startMemoryServer } from '../../../src/sandbox/memory';
import { useTestbed } from '../memory/testbed';

const KEY = 'health-test-key-0d9e2b7c41';

/**
 * Latency targets a busy machine meets (the defaults, 50 and 100 ms, it may not): a test
 * about up and down must not turn "slow". The latency test sets its own.
 */
const ROOMY_TARGETS = { validation: { targets: { memoryReadMs: 10_000, apiMs: 10_000 } } };

async function resolvedFor(dir: string, common: Record<string, unknown>): Promise<ResolvedConfig> {
  await fs.mkdir(path.join(dir, 'config'), { recursive: true });
  await fs.writeFile(path.join(dir, 'config', 'common.json'), JSON.stringify({ ...ROOMY_TARGETS, ...common }));
  return loadConfig({ dir, env: {} });
}

/** Fails fast: one attempt per call, a breaker that opens after two failures. */
const BREAKER = { failureThreshold: 2, recoveryTimeoutMs: 60_000, retry: { maxAttempts: 1 }, timeoutMs: 2_000 };

async function apiServer(answer: (res: http.ServerResponse) => void) {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function byService(report: HealthReport) {
  return Object.fromEntries(report.checks.map((c) => [c.service, c]));
}

describe('health check', function () {
  this.timeout(20_000);
  const bed = useTestbed('health');
  let checker: HealthChecker;

  beforeEach(() => {
    checker = new HealthChecker();
  });
  afterEach(async () => {
    await checker.close();
  });

  it('reports the memory server and the copy target up, each with its round trip against the target', async () => {
    const memory = await bed.server('memory');
    const target = await bed.server('target');
    const resolved = await resolvedFor(bed.dir, {
      endpoints: { memory: memory.url },
      phases: { memorySystem: { targetEndpoint: target.url } },
      validation: { targets: { memoryReadMs: 1_000 } },
    });
    const targets = healthTargets(resolved);
    assert.deepEqual(
      targets.map((t) => [t.service, t.endpoint]),
      [
        ['memory', memory.url],
        ['memory-target', target.url],
      ],
    );
    const report = await checker.check({ config: resolved.config, targets });
    assert.equal(report.level, 'ok', formatHealth(report));
    for (const check of report.checks) {
      assert.equal(check.level, 'ok');
      assert.equal(check.breaker, 'closed');
      assert.equal(check.targetMs, 1_000);
      assert.ok(typeof check.latencyMs === 'number' && check.latencyMs >= 0 && check.latencyMs < 1_000);
    }
    assert.ok(!existsSync(path.join(bed.dir, '.orchestra')), 'a check writes nothing into the workspace');
  });

  it('names the server that is down and still reports the others; up again, it says so', async () => {
    const memory = await bed.server('memory');
    const target = await bed.server('target');
    const resolved = await resolvedFor(bed.dir, {
      endpoints: { memory: memory.url },
      phases: { memorySystem: { targetEndpoint: target.url } },
      breaker: BREAKER,
    });
    const input = { config: resolved.config, targets: healthTargets(resolved) };
    const port = target.port;
    await target.close();
    const down = await checker.check(input);
    assert.equal(down.level, 'down');
    const checks = byService(down);
    assert.equal(checks.memory.level, 'ok');
    assert.equal(checks['memory-target'].level, 'down');
    assert.equal(checks['memory-target'].endpoint, target.url);
    assert.match(checks['memory-target'].message, /ECONNREFUSED|refused|unreachable|connect/i);
    assert.match(formatHealth(down), new RegExp(`DOWN\\s+${target.url.replace(/[.]/g, '\\.')}`));

    // The same port again, as after a restart: one failure so far, the breaker is still closed.
    const back = await startOn(bed.dir, port);
    try {
      const again = await checker.check(input);
      assert.equal(again.level, 'ok', formatHealth(again));
    } finally {
      await back.close();
    }
  });

  it('a server slower than its target check after check is "slow", with its median; one slow check is not', async () => {
    const memory = await bed.server('memory', { latencyMs: 120 });
    const resolved = await resolvedFor(bed.dir, {
      endpoints: { memory: memory.url },
      validation: { targets: { memoryReadMs: 30 } },
    });
    const input = { config: resolved.config, targets: healthTargets(resolved) };
    const first = await checker.check(input);
    assert.equal(first.level, 'ok', 'one check over target is not an alarm yet');
    assert.match(first.checks[0].message, /over its target of 30 ms in this check only/);
    const report = await checker.check(input);
    assert.equal(report.level, 'slow');
    assert.ok(report.checks[0].latencyMs! >= 120, String(report.checks[0].latencyMs));
    assert.match(report.checks[0].message, /median \d+(\.\d)? ms of 5, over its target of 30 ms in 2 checks in a row/);
    memory.setFaults({ latencyMs: 0 });
    const resolvedFast = await resolvedFor(bed.dir, {
      endpoints: { memory: memory.url },
      validation: { targets: { memoryReadMs: 500 } },
    });
    assert.equal(
      (await checker.check({ config: resolvedFast.config, targets: healthTargets(resolvedFast) })).level,
      'ok',
    );
  });

  it('after repeated failures the breaker is open: checks report it and leave the server alone', async () => {
    const memory = await bed.server('memory', { errorRate: 1 });
    const proxy = await bed.proxy(memory.url);
    const resolved = await resolvedFor(bed.dir, { endpoints: { memory: proxy.url }, breaker: BREAKER });
    const input = { config: resolved.config, targets: healthTargets(resolved) };
    for (let i = 0; i < 2; i++) assert.equal((await checker.check(input)).level, 'down');
    const reached = proxy.seen.length;
    assert.ok(reached >= 2, `the failing checks reached the server (${reached})`);
    const open = await checker.check(input);
    assert.equal(open.checks[0].level, 'down');
    assert.equal(open.checks[0].breaker, 'open');
    assert.equal(proxy.seen.length, reached, 'no request while the breaker is open');
  });

  it('a memory server that wants an API key: down without it (401), up with it; the key never shows', async () => {
    const memory = await startMemoryServer({ dataDir: path.join(bed.dir, 'keyed'), apiKey: KEY });
    try {
      const resolved = await resolvedFor(bed.dir, { endpoints: { memory: memory.url }, breaker: BREAKER });
      const targets = healthTargets(resolved);
      const without = await checker.check({ config: resolved.config, targets });
      assert.equal(without.level, 'down');
      assert.match(without.checks[0].message, /401/);
      assert.match(without.checks[0].fix ?? '', /ORCHESTRA_MEMORY_API_KEY/);
      const wrong = await checker.check({ config: resolved.config, targets, apiKey: `${KEY}-wrong` });
      assert.equal(wrong.level, 'down');
      assert.ok(!JSON.stringify(wrong).includes(KEY), 'the key is not in the report');
      const right = await checker.check({ config: resolved.config, targets, apiKey: KEY });
      assert.equal(right.level, 'ok', formatHealth(right));
      assert.ok(!formatHealth(right).includes(KEY));
    } finally {
      await memory.close();
    }
  });

  it('one slow round trip among fast ones leaves the API ok: a service is judged on the median', async () => {
    const memory = await bed.server('memory');
    let calls = 0;
    const api = await apiServer((res) => {
      // The third call of the check (its second timed sample) is slow, the others are not.
      const slow = ++calls === 3;
      setTimeout(() => res.end('{}'), slow ? 400 : 0);
    });
    try {
      const resolved = await resolvedFor(bed.dir, {
        endpoints: { memory: memory.url },
        validation: { targets: { apiMs: 100 } },
      });
      const input = { config: resolved.config, targets: healthTargets(resolved, api.url) };
      const report = await checker.check(input);
      assert.equal(calls, 6, 'a warm-up call and five samples');
      const check = byService(report).api;
      assert.equal(check.level, 'ok', formatHealth(report));
      assert.ok(check.latencyMs! < 100, `median ${check.latencyMs}`);
      assert.equal(check.message, 'answered 200');
    } finally {
      await api.close();
    }
  });

  it('checks the deployed API by URL: only a success is up, a 4xx or 5xx is down naming it, and no credentials go to it', async () => {
    const memory = await bed.server('memory');
    let status = 404;
    const api = await apiServer((res) => {
      res.statusCode = status;
      res.end('{}');
    });
    try {
      const resolved = await resolvedFor(bed.dir, { endpoints: { memory: memory.url } });
      const targets = healthTargets(resolved, api.url);
      assert.deepEqual(
        targets.map((t) => t.service),
        ['memory', 'api'],
      );
      const missing = await checker.check({ config: resolved.config, targets, apiKey: KEY });
      assert.equal(byService(missing).api.level, 'down', formatHealth(missing));
      assert.equal(byService(missing).api.message, 'answered 404 Not Found');
      status = 403;
      const refused = await checker.check({ config: resolved.config, targets, apiKey: KEY });
      assert.equal(byService(refused).api.level, 'down');
      assert.match(byService(refused).api.fix ?? '', /ID token/);
      status = 503;
      const down = await checker.check({ config: resolved.config, targets, apiKey: KEY });
      assert.equal(byService(down).api.level, 'down');
      assert.match(byService(down).api.message, /503/);
      status = 200;
      const up = await checker.check({ config: resolved.config, targets, apiKey: KEY });
      assert.equal(byService(up).api.level, 'ok');
      assert.equal(api.seen.length, 3 + 6, 'a failed check stops at its first call; a good one makes six');
      for (const headers of api.seen) assert.equal(headers.authorization, undefined, 'no Authorization header');
    } finally {
      await api.close();
    }
  });

  it('a memory endpoint that does not resolve here is reported as down with the reason', async () => {
    await fs.mkdir(path.join(bed.dir, 'config'), { recursive: true });
    await fs.writeFile(path.join(bed.dir, 'config', 'common.json'), '{}');
    // Codespaces, forced, without CODESPACE_NAME: the memory URL cannot be built.
    const resolved = await loadConfig({ dir: bed.dir, env: { ORCHESTRA_ENV: 'codespaces' } });
    const targets = healthTargets(resolved);
    assert.equal(targets[0].service, 'memory');
    assert.equal(targets[0].endpoint, undefined);
    const report = await checker.check({ config: resolved.config, targets });
    assert.equal(report.checks[0].level, 'down');
    assert.match(report.checks[0].message, /CODESPACE_NAME/);
    assert.match(formatHealth(report), /\(no endpoint\)/);
  });

  it('a folder counts as configured once a file, a project or a memory endpoint says something', async () => {
    assert.equal(isConfigured(await loadConfig({ dir: bed.dir, env: {} })), false, 'nothing yet');
    assert.equal(
      isConfigured(await loadConfig({ dir: bed.dir, env: { ORCHESTRA_PROJECT_ID: 'orchestra-test-1' } })),
      true,
    );
    const byVariable = await loadConfig({ dir: bed.dir, env: { ORCHESTRA_ENDPOINTS__MEMORY: 'http://127.0.0.1:9' } });
    assert.equal(isConfigured(byVariable), true);
    assert.equal(isConfigured(await resolvedFor(bed.dir, {})), true, 'an empty config/common.json is a decision too');
  });

  it('leaves no temporary folder behind once closed', async () => {
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('orchestra-health-')));
    const memory = await bed.server('memory');
    const resolved = await resolvedFor(bed.dir, { endpoints: { memory: memory.url } });
    await checker.check({ config: resolved.config, targets: healthTargets(resolved) });
    const during = readdirSync(tmpdir()).filter((n) => n.startsWith('orchestra-health-') && !before.has(n));
    assert.equal(during.length, 1, 'one folder for the checker');
    await checker.close();
    assert.ok(!existsSync(path.join(tmpdir(), during[0])), 'removed on close');
  });
});

function startOn(dir: string, port: number) {
  return startMemoryServer({ dataDir: path.join(dir, 'again'), port });
}

describe('judging health latency', () => {
  it('one slow sample among fast ones stays ok; a median over target turns slow only on the second check in a row', () => {
    const once = judgeLatency([10, 12, 900, 11, 9], 50, 0);
    assert.deepEqual(once, { medianMs: 11, overTarget: 0, level: 'ok' });
    const first = judgeLatency([80, 85, 90, 70, 75], 50, 0);
    assert.deepEqual(first, { medianMs: 80, overTarget: 1, level: 'ok' });
    const second = judgeLatency([80, 85, 90, 70, 75], 50, first.overTarget);
    assert.deepEqual(second, { medianMs: 80, overTarget: 2, level: 'slow' });
    assert.equal(judgeLatency([10, 10, 10, 10], 50, second.overTarget).level, 'ok', 'fast again: ok at once');
  });
});
