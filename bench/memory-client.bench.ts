/**
 * Memory client benchmark -> bench/results/memory-client.json
 *
 * - client_vs_bare: throughput of the full client (bulkhead, retry, breaker, timeout,
 *   node-fetch, keep-alive pool) / a bare keep-alive node:http client, same server,
 *   same concurrency, same GET-only mix (goal >= 0.85).
 * - pooled_vs_unpooled: the full client with its keep-alive pool / the same client
 *   opening a new connection per call (goal >= 2).
 * - open_breaker_p99_ms: p99 latency of a get() while the breaker is open (goal < 1 ms).
 *
 * The server runs in a child process so client and server do not share an event
 * loop. Rounds alternate (bare, client, unpooled) and the medians are reported.
 * Run: npx tsx bench/memory-client.bench.ts
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { createMemoryClient, HttpMemoryTransport, type ResilientMemoryClient } from '../src/core/memory';
import { BreakerRegistry } from '../src/core/resilience';

const ROOT = path.resolve(__dirname, '..');
const CONCURRENCY = 16;
const KEYS = 1_000;
const ROUND_MS = 2_000;
const ROUNDS = 3;

interface RunResult {
  opsPerSec: number;
  /** CPU time of this (client) process per call, user + system: robust to a busy machine. */
  clientCpuUsPerCall?: number;
  p50Ms: number;
  p99Ms: number;
  calls: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

async function startServer(dataDir: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', 'src/sandbox/memory/main.ts', '--port', '0', '--data', dataDir],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 20 s')), 20_000);
    readline.createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { memory: string }).memory);
    });
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Runs `op` from CONCURRENCY workers for `ms`, recording each call's latency. */
async function drive(op: (i: number) => Promise<unknown>, ms: number): Promise<RunResult> {
  const latencies: number[] = [];
  const deadline = performance.now() + ms;
  let counter = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await op(counter++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return {
    opsPerSec: Math.round(latencies.length / elapsed),
    clientCpuUsPerCall: round3((used.user + used.system) / latencies.length),
    p50Ms: round3(percentile(latencies, 50)),
    p99Ms: round3(percentile(latencies, 99)),
    calls: latencies.length,
  };
}

function keyOf(i: number): string {
  return `bench/${String(i % KEYS).padStart(5, '0')}`;
}

/** The baseline: node:http with a keep-alive agent, parsing the JSON like the client does. */
function bareGetter(url: string): { get: (i: number) => Promise<unknown>; close: () => void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const { hostname, port } = new URL(url);
  const get = (i: number) =>
    new Promise<unknown>((resolve, reject) => {
      const req = http.get(
        {
          hostname,
          port,
          path: `/api/memory?key=${encodeURIComponent(keyOf(i))}`,
          agent,
          headers: { accept: 'application/json' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
            else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
    });
  return { get, close: () => agent.destroy() };
}

async function seed(client: ResilientMemoryClient): Promise<void> {
  for (let i = 0; i < KEYS; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) =>
        client.set(keyOf(i + j), { i: i + j, text: 'x'.repeat(200), tags: ['a', 'b'] }),
      ),
    );
  }
}

async function openBreakerLatency(outboxDir: string): Promise<{ unavailable: RunResult; stale: RunResult }> {
  // A port nobody listens on: connection refused opens the breaker quickly.
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const registry = new BreakerRegistry();
  const client = await createMemoryClient({
    config: { transport: 'http', endpoint: `http://127.0.0.1:${port}`, timeoutMs: 1_000, poolSize: 4, outboxDir },
    outboxDir,
    registry,
    breaker: {
      failureThreshold: 3,
      recoveryTimeoutMs: 600_000,
      retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 },
    },
  });
  await client.get('warm').catch(() => undefined);
  if (registry.get(client.breakerName)?.state !== 'open') throw new Error('the breaker did not open');
  const measure = async (key: (i: number) => string, n: number): Promise<RunResult> => {
    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await client.get(key(i)).catch(() => undefined);
      latencies.push(performance.now() - t);
    }
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      opsPerSec: Math.round(n / elapsed),
      p50Ms: round3(percentile(latencies, 50)),
      p99Ms: round3(percentile(latencies, 99)),
      calls: n,
    };
  };
  await measure((i) => `miss/${i}`, 2_000); // warm-up
  const unavailable = await measure((i) => `miss/${i}`, 20_000);
  await registry.reset(client.breakerName);
  const registryInfo = registry.get(client.breakerName);
  if (registryInfo?.state !== 'closed') throw new Error('reset failed');
  // Learn one value while... the server is away, so write it into the cache via a queued set.
  await client.set('known', { cached: true });
  await client.get('warm').catch(() => undefined);
  const stale = await measure(() => 'known', 20_000);
  await client.close();
  registry.dispose();
  return { unavailable, stale };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'orchestra-bench-memory-'));
  const server = await startServer(path.join(work, 'data'));
  const bare = bareGetter(server.url);
  const pooled = await createMemoryClient({
    config: { transport: 'http', endpoint: server.url, timeoutMs: 5_000, poolSize: CONCURRENCY, outboxDir: 'x' },
    outboxDir: path.join(work, 'outbox-pooled'),
    breaker: { maxConcurrency: CONCURRENCY },
  });
  const unpooled = await createMemoryClient({
    config: { transport: 'http', endpoint: server.url, timeoutMs: 5_000, poolSize: CONCURRENCY, outboxDir: 'x' },
    outboxDir: path.join(work, 'outbox-unpooled'),
    breaker: { maxConcurrency: CONCURRENCY },
    transport: new HttpMemoryTransport({ endpoint: server.url, poolSize: CONCURRENCY, keepAlive: false }),
  });
  try {
    await seed(pooled);
    // Warm-up of every path (JIT, sockets).
    await drive((i) => bare.get(i), 500);
    await drive((i) => pooled.get(keyOf(i)), 500);
    await drive((i) => unpooled.get(keyOf(i)), 300);
    const rounds: { bare: RunResult; client: RunResult; unpooled: RunResult }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const bareRun = await drive((i) => bare.get(i), ROUND_MS);
      const clientRun = await drive(async (i) => {
        const record = await pooled.get(keyOf(i));
        if (!record || record.stale) throw new Error(`bad read of ${keyOf(i)}`);
      }, ROUND_MS);
      const unpooledRun = await drive((i) => unpooled.get(keyOf(i)), ROUND_MS);
      rounds.push({ bare: bareRun, client: clientRun, unpooled: unpooledRun });
      process.stderr.write(
        `round ${r + 1}: bare ${bareRun.opsPerSec}/s (${bareRun.clientCpuUsPerCall} us cpu), ` +
          `client ${clientRun.opsPerSec}/s (${clientRun.clientCpuUsPerCall} us), ` +
          `unpooled ${unpooledRun.opsPerSec}/s (${unpooledRun.clientCpuUsPerCall} us)\n`,
      );
    }
    const open = await openBreakerLatency(path.join(work, 'outbox-open'));
    const bareOps = median(rounds.map((r) => r.bare.opsPerSec));
    const clientOps = median(rounds.map((r) => r.client.opsPerSec));
    const unpooledOps = median(rounds.map((r) => r.unpooled.opsPerSec));
    const result = {
      client_vs_bare: round3(clientOps / bareOps),
      pooled_vs_unpooled: round3(clientOps / unpooledOps),
      open_breaker_p99_ms: open.unavailable.p99Ms,
      goals: { client_vs_bare: '>= 0.85', pooled_vs_unpooled: '>= 2', open_breaker_p99_ms: '< 1' },
      raw: {
        bare_ops_per_sec: bareOps,
        client_ops_per_sec: clientOps,
        unpooled_ops_per_sec: unpooledOps,
        bare_p50_ms: median(rounds.map((r) => r.bare.p50Ms)),
        bare_p99_ms: median(rounds.map((r) => r.bare.p99Ms)),
        client_p50_ms: median(rounds.map((r) => r.client.p50Ms)),
        client_p99_ms: median(rounds.map((r) => r.client.p99Ms)),
        unpooled_p50_ms: median(rounds.map((r) => r.unpooled.p50Ms)),
        unpooled_p99_ms: median(rounds.map((r) => r.unpooled.p99Ms)),
        bare_client_cpu_us_per_call: median(rounds.map((r) => r.bare.clientCpuUsPerCall!)),
        client_cpu_us_per_call: median(rounds.map((r) => r.client.clientCpuUsPerCall!)),
        unpooled_cpu_us_per_call: median(rounds.map((r) => r.unpooled.clientCpuUsPerCall!)),
        open_breaker_unavailable: open.unavailable,
        open_breaker_stale_read: open.stale,
        rounds,
      },
      setup: {
        concurrency: CONCURRENCY,
        keys: KEYS,
        mix: '100% GET of 1,000 seeded records (~250 B each)',
        round_ms: ROUND_MS,
        rounds: ROUNDS,
        server: 'src/sandbox/memory in a child process (node:http, keep-alive)',
        node: process.version,
        cpus: os.cpus().length,
      },
    };
    const out = path.join(ROOT, 'bench/results/memory-client.json');
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(
      JSON.stringify({
        client_vs_bare: result.client_vs_bare,
        pooled_vs_unpooled: result.pooled_vs_unpooled,
        open_breaker_p99_ms: result.open_breaker_p99_ms,
      }) + '\n',
    );
  } finally {
    bare.close();
    await pooled.close();
    await unpooled.close();
    server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`memory-client bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
