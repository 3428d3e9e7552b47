/**
 * Engine benchmarks, side by side in one run; writes bench/results/engine.json.
 *
 * 1. execute_vs_critical_path: with 100 ms emulator latency per call and 1 s
 *    long-running operations, the wall time of a full execute (8 steps at once)
 *    over the critical path of the dependency graph. Each step's cost is measured
 *    in a serial run (one step at a time, so no step waits on another), under the
 *    same per-call latency and LRO delay; the critical path is the longest chain of
 *    those costs. Median of 3 parallel runs, each from an empty project.
 * 2. verify_vs_slowest_read: verify of every phase over the slowest single
 *    resource read (each read timed alone). Medians of 5.
 * 3. copy_vs_raw_write: memory copy records/s over the target server's best raw
 *    write rate: the best of plain keep-alive single-record POSTs (32 and 64 in
 *    flight) and of bare POST /api/memory/batch requests (RAW_BATCH_SHAPES, among
 *    them the copy's own shape). The copy writes through the client's setMany (the
 *    batch route) when the server offers it, so measuring it against single-record
 *    POSTs alone would flatter it; both ratios are reported
 *    (copy_vs_single_post_raw_write is that older, single-POST figure). Source and
 *    target servers each run in their own process, the target fresh for every
 *    measurement. Medians of 5 trials, and the median of the per-trial ratios.
 *
 * Run: npm run bench -- engine
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { build } from 'esbuild';
import { makeStepContext, NamedMutexes } from '../src/core/migration/context';
import { criticalPath } from '../src/core/migration/registry';
import { nullLogger } from '../src/core/logger';
import { createMemoryClient } from '../src/core/memory';
import { COPY_BATCH_RECORDS, COPY_BATCHES_IN_FLIGHT, COPY_CONCURRENCY } from '../src/core/migration/memory-copy';
import type { Resource } from '../src/core/migration/types';
import { openEngine, seed, startWorld, testGcpClient, type World } from '../test/unit/migration/world';

const LATENCY_MS = 100;
const LRO_MS = 1000;
const COPY_RECORDS = Number(process.env.BENCH_COPY_RECORDS ?? 20_000);
const RAW_CONCURRENCY = [32, 64];
const COPY_BATCH_SIZE = 500;
/**
 * Bare batch writes, [records per request, requests in flight]: the copy's own shape
 * (COPY_BATCH_RECORDS per setMany, COPY_BATCHES_IN_FLIGHT at once), smaller batches with
 * more in flight, and the largest batches the server takes. The best of them is the
 * server's batch rate.
 */
const RAW_BATCH_SHAPES: [number, number][] = [
  [COPY_BATCH_RECORDS, COPY_BATCHES_IN_FLIGHT],
  [50, 16],
  [1000, 2],
];
const COPY_TRIALS = Number(process.env.BENCH_COPY_TRIALS ?? 5);
const ONLY = process.env.BENCH_ONLY;
const ROOT = path.resolve(__dirname, '..');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

function slowEmulator(world: World): void {
  world.emulator.reset();
  world.emulator.setFaults({ latencyMs: LATENCY_MS, lroDelayMs: LRO_MS });
}

function benchGcp(world: World) {
  // Polls every 250 ms at most: LROs of 1 s are seen done within a poll of finishing.
  return testGcpClient(world.config, nullLogger);
}

async function executeBench(world: World) {
  let ws = 0;
  const run = async (concurrency: number) => {
    slowEmulator(world);
    const h = await openEngine(world.config, path.join(world.dir, `exec-${ws++}`), {
      concurrency,
      gcp: benchGcp(world),
    });
    try {
      const started = Date.now();
      const result = await h.engine.execute();
      const wallMs = Date.now() - started;
      if (result.status !== 'completed')
        throw new Error(`execute ${result.status}: ${JSON.stringify(result.failures)}`);
      return { wallMs, steps: h.engine.allSteps(), durations: result.stepDurations };
    } finally {
      await h.close();
    }
  };
  const serial = await run(1);
  const critical = criticalPath(serial.steps, (id) => serial.durations[id] ?? 0);
  const parallel = [];
  for (let i = 0; i < 3; i++) parallel.push(await run(8));
  const wall = median(parallel.map((p) => p.wallMs));
  return {
    execute_vs_critical_path: round(wall / critical.ms),
    execute_wall_ms: wall,
    execute_wall_ms_runs: parallel.map((p) => p.wallMs),
    critical_path_ms: critical.ms,
    critical_path: critical.path,
    serial_wall_ms: serial.wallMs,
    step_cost_ms: serial.durations,
    critical_path_of_parallel_runs_ms: parallel.map((p) => criticalPath(p.steps, (id) => p.durations[id] ?? 0).ms),
  };
}

async function verifyBench(world: World) {
  // A completed project: every read finds its resource.
  slowEmulator(world);
  const h = await openEngine(world.config, path.join(world.dir, 'verify'), { gcp: benchGcp(world) });
  try {
    const result = await h.engine.execute();
    if (result.status !== 'completed') throw new Error(`execute ${result.status}`);
    const walls: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await h.engine.verify();
      walls.push(performance.now() - started);
    }
    const deps = {
      config: world.config,
      gcp: h.gcp,
      logger: nullLogger,
      mutexes: new NamedMutexes(),
      steps: () => h.engine.allSteps(),
    };
    const reads: Record<string, number> = {};
    for (const step of h.engine.allSteps().filter((s): s is Resource => s.kind === 'resource')) {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const ctx = makeStepContext(
          deps,
          step,
          { requests: 0, retries: 0, custom: {} },
          { signal: new AbortController().signal, mode: 'verify' },
        );
        const started = performance.now();
        await step.read(ctx);
        times.push(performance.now() - started);
      }
      reads[step.id] = round(median(times), 1);
    }
    const slowest = Math.max(...Object.values(reads));
    const wall = median(walls);
    return {
      verify_vs_slowest_read: round(wall / slowest),
      verify_ms: round(wall, 1),
      verify_ms_runs: walls.map((w) => round(w, 1)),
      slowest_read_ms: slowest,
      read_ms: reads,
    };
  } finally {
    await h.close();
  }
}

interface TargetProcess {
  url: string;
  child: ChildProcess;
}

async function startTarget(script: string, dataDir: string): Promise<TargetProcess> {
  const child = spawn(process.execPath, [script, '--port', '0', '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { memory: string }).memory);
    });
    child.on('exit', (code) => reject(new Error(`memory server exited ${code}`)));
  });
  return { url, child };
}

async function stopTarget(t: TargetProcess): Promise<void> {
  const exited = new Promise((r) => t.child.once('exit', r));
  t.child.kill('SIGTERM');
  await exited;
}

function record(i: number) {
  return {
    key: `mem/${String(i).padStart(6, '0')}`,
    content: { i, text: `record ${i}`, tags: ['a', i % 7], nested: { z: 1, a: [i] } },
    scope: 'team',
  };
}

/** One bare keep-alive POST of a JSON body; rejects on a non-2xx answer. */
function postJson(agent: http.Agent, url: string, body: string, headers: Record<string, string> = {}): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode! < 300 ? resolve() : reject(new Error(`raw POST ${url}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function rawWrites(url: string, n: number, concurrency: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const post = (i: number) =>
    postJson(agent, `${url}/api/memory`, JSON.stringify(record(i)), { 'idempotency-key': randomUUID() });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await post(next++);
    }),
  );
  const ms = performance.now() - started;
  agent.destroy();
  return (n / ms) * 1000;
}

/** Bare keep-alive POST /api/memory/batch requests, one idempotency id per record, as the client sends them. */
async function rawBatchWrites(url: string, n: number, size: number, concurrency: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const post = (from: number) => {
    const ops = [];
    for (let i = from; i < Math.min(from + size, n); i++) ops.push({ op: 'set', ...record(i), id: randomUUID() });
    return postJson(agent, `${url}/api/memory/batch`, JSON.stringify({ ops }));
  };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const from = next;
        next += size;
        await post(from);
      }
    }),
  );
  const ms = performance.now() - started;
  agent.destroy();
  return (n / ms) * 1000;
}

async function clientWrites(world: World, url: string, n: number, outboxDir: string): Promise<number> {
  const client = await createMemoryClient({
    config: { ...world.config.memory, poolSize: COPY_CONCURRENCY },
    endpoint: url,
    breaker: { ...world.config.breaker, maxConcurrency: COPY_CONCURRENCY },
    outboxDir,
  });
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: COPY_CONCURRENCY }, async () => {
        while (next < n) {
          const r = record(next++);
          await client.set(r.key, r.content, { scope: r.scope });
        }
      }),
    );
    return (n / (performance.now() - started)) * 1000;
  } finally {
    await client.close();
  }
}

async function copyBench(world: World) {
  const script = path.join(world.dir, 'memory-main.cjs');
  await build({
    entryPoints: [path.join(ROOT, 'src/sandbox/memory/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: script,
    logLevel: 'error',
  });
  world.emulator.reset();
  // The source server in its own process too, as it is another machine in a real migration.
  const source = await startTarget(script, path.join(world.dir, 'copy-source'));
  await seed(source.url, COPY_RECORDS, 'copy');
  const trials: {
    raw: number;
    rawSingle: number;
    rawBatch: number;
    rawByConcurrency: number[];
    rawBatchByShape: number[];
    client: number;
    copy: number;
    copyWithVerify: number;
  }[] = [];
  for (let i = 0; i < COPY_TRIALS; i++) {
    // The server's raw rate: the best of plain POSTs at 32 and at 64 in flight, each on a fresh server.
    const rawRates: number[] = [];
    for (const concurrency of RAW_CONCURRENCY) {
      const rawTarget = await startTarget(script, path.join(world.dir, `raw-${i}-${concurrency}`));
      rawRates.push(await rawWrites(rawTarget.url, COPY_RECORDS, concurrency));
      await stopTarget(rawTarget);
    }
    const rawSingle = Math.max(...rawRates);
    // The server's batch rate: bare batch requests of each shape, each on a fresh server.
    const batchRates: number[] = [];
    for (const [size, concurrency] of RAW_BATCH_SHAPES) {
      const rawTarget = await startTarget(script, path.join(world.dir, `raw-batch-${i}-${size}x${concurrency}`));
      batchRates.push(await rawBatchWrites(rawTarget.url, COPY_RECORDS, size, concurrency));
      await stopTarget(rawTarget);
    }
    const rawBatch = Math.max(...batchRates);
    const raw = Math.max(rawSingle, rawBatch);

    // The memory client's own single-write rate, same records and concurrency as the copy:
    // the ceiling of any copy that goes through the client one record at a time.
    const clientTarget = await startTarget(script, path.join(world.dir, `client-${i}`));
    const client = await clientWrites(world, clientTarget.url, COPY_RECORDS, path.join(world.dir, `client-ob-${i}`));
    await stopTarget(clientTarget);

    const target = await startTarget(script, path.join(world.dir, `copy-${i}`));
    const config = structuredClone(world.config);
    config.phases.memorySystem.sourceEndpoint = source.url;
    config.phases.memorySystem.targetEndpoint = target.url;
    config.phases.memorySystem.batchSize = COPY_BATCH_SIZE;
    const h = await openEngine(config, path.join(world.dir, `copy-ws-${i}`));
    try {
      const cpu = process.cpuUsage();
      const result = await h.engine.execute(['core-infrastructure', 'memory-system']);
      const used = process.cpuUsage(cpu);
      if (process.env.BENCH_CPU)
        console.log(
          `copy process cpu ${Math.round((used.user + used.system) / 1000)} ms over ${result.stepDurations['memory-system/copy']} ms`,
        );
      if (result.status !== 'completed') throw new Error(`copy ${result.status}: ${JSON.stringify(result.failures)}`);
      const custom = h.engine.state().phases['memory-system'].metrics.custom;
      const records = custom.memory_records_copied;
      trials.push({
        raw,
        rawSingle,
        rawBatch,
        rawByConcurrency: rawRates,
        rawBatchByShape: batchRates,
        client,
        copy: (records / custom.memory_copy_ms) * 1000,
        copyWithVerify: (records / result.stepDurations['memory-system/copy']) * 1000,
      });
    } finally {
      await h.close();
      await stopTarget(target);
    }
    console.log(
      `copy trial ${i + 1}: raw single ${Math.round(trials[i].rawSingle)}/s, raw batch ${Math.round(trials[i].rawBatch)}/s, client ${Math.round(trials[i].client)}/s, copy ${Math.round(trials[i].copy)}/s`,
    );
  }
  await stopTarget(source);
  const raw = median(trials.map((t) => t.raw));
  const copy = median(trials.map((t) => t.copy));
  return {
    /** Against the server's best raw rate (single POSTs or batches, whichever is faster). */
    copy_vs_raw_write: round(copy / raw),
    /** Against single-record POSTs only: the figure before the copy used batches; not like for like now. */
    copy_vs_single_post_raw_write: round(copy / median(trials.map((t) => t.rawSingle))),
    copy_vs_batch_raw_write: round(copy / median(trials.map((t) => t.rawBatch))),
    /**
     * Against bare batches of the copy's own shape (RAW_BATCH_SHAPES[0]): what the client and
     * the copy cost on top of the requests they send, apart from the choice of batch size.
     */
    copy_vs_same_shape_batch_raw_write: round(copy / median(trials.map((t) => t.rawBatchByShape[0]))),
    copy_records: COPY_RECORDS,
    copy_records_per_s: Math.round(copy),
    raw_write_records_per_s: Math.round(raw),
    raw_single_post_records_per_s: Math.round(median(trials.map((t) => t.rawSingle))),
    raw_batch_records_per_s: Math.round(median(trials.map((t) => t.rawBatch))),
    raw_batch_shapes: RAW_BATCH_SHAPES.map(([size, concurrency]) => `${size} records x ${concurrency} in flight`),
    copy_page_size: COPY_BATCH_SIZE,
    /** The client's single-record set rate: the copy's ceiling only when the server has no batch route. */
    copy_including_verification_records_per_s: Math.round(median(trials.map((t) => t.copyWithVerify))),
    client_write_records_per_s: Math.round(median(trials.map((t) => t.client))),
    /** copy / the memory client's own write rate: what the copy adds on top of the client. */
    copy_vs_client_write: round(median(trials.map((t) => t.copy / t.client))),
    /** The client's single-record sets over bare single-record POSTs: like for like. */
    client_vs_raw_write: round(median(trials.map((t) => t.client / t.rawSingle))),
    copy_concurrency: COPY_CONCURRENCY,
    raw_concurrency: RAW_CONCURRENCY,
    /** copy / raw within each back-to-back trial; their median is the fairest single figure. */
    pairwise_ratio_median: round(median(trials.map((t) => t.copy / t.raw))),
    trials: trials.map((t) => ({
      raw: Math.round(t.raw),
      rawSingle: Math.round(t.rawSingle),
      rawBatch: Math.round(t.rawBatch),
      rawByConcurrency: t.rawByConcurrency.map(Math.round),
      rawBatchByShape: t.rawBatchByShape.map(Math.round),
      client: Math.round(t.client),
      copy: Math.round(t.copy),
      copyWithVerify: Math.round(t.copyWithVerify),
      ratio: round(t.copy / t.raw),
    })),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const world = await startWorld({ records: 200 });
  try {
    if (ONLY === 'copy') {
      console.log(JSON.stringify(await copyBench(world), null, 2));
      return;
    }
    const execute = await executeBench(world);
    console.log(
      `execute: ${execute.execute_wall_ms} ms vs critical path ${execute.critical_path_ms} ms -> ${execute.execute_vs_critical_path}`,
    );
    const verify = await verifyBench(world);
    console.log(
      `verify: ${verify.verify_ms} ms vs slowest read ${verify.slowest_read_ms} ms -> ${verify.verify_vs_slowest_read}`,
    );
    const copy = await copyBench(world);
    console.log(
      `copy: ${copy.copy_records_per_s}/s vs raw ${copy.raw_write_records_per_s}/s (best of single POSTs ${copy.raw_single_post_records_per_s}/s and batches ${copy.raw_batch_records_per_s}/s) -> ${copy.copy_vs_raw_write}`,
    );
    const result = {
      execute_vs_critical_path: execute.execute_vs_critical_path,
      verify_vs_slowest_read: verify.verify_vs_slowest_read,
      copy_vs_raw_write: copy.copy_vs_raw_write,
      goals: { execute_vs_critical_path: '<= 1.3', verify_vs_slowest_read: '<= 2', copy_vs_raw_write: '>= 0.8' },
      setup: {
        emulator_latency_ms: LATENCY_MS,
        lro_ms: LRO_MS,
        execute_concurrency: 8,
        node: process.version,
        cpus: (await import('node:os')).cpus().length,
      },
      execute,
      verify,
      copy,
      bench_ms: Date.now() - started,
      at: new Date().toISOString(),
    };
    mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench', 'results', 'engine.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(`wrote bench/results/engine.json in ${Math.round(result.bench_ms / 1000)} s`);
  } finally {
    await world.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
