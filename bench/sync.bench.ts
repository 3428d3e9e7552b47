/**
 * Memory copy at scale, as users run it: `orchestra-migrate execute` in its own process,
 * the two memory servers in theirs. Merges a `sync` section and three headline ratios
 * into bench/results/engine.json (the engine benchmark keeps them when it rewrites it):
 *
 * 1. sync_vs_full_copy: the copy step syncing a 1% delta (new, changed and deleted
 *    records) of SYNC_RECORDS, over the same step's full copy of those records.
 * 2. rss_200k_vs_20k: the CLI's peak RSS (getrusage maxrss) over a full copy of
 *    SYNC_RECORDS against one of a tenth as many, verification included.
 * 3. copy_with_verify_vs_raw_write_200k: records/s of the full copy step, verification
 *    included, over bare batch writes (500 x 4) of as many records to a fresh server
 *    (the engine benchmark's copy_vs_raw_write is the same ratio on 50k records).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { readStateFile, statePath } from '../src/core/migration/store';
import { startGcpEmulator } from '../src/sandbox/gcp';
import { startMemoryServerProcess, stopMemoryServerProcess, type MemoryServerProcess } from './memory-server';
import { scriptBundle, shippedCli } from '../test/unit/bundles';
import { PROJECT, worldConfig } from '../test/unit/migration/world';

const ROOT = path.resolve(__dirname, '..');
const RECORDS = Number(process.env.BENCH_SYNC_RECORDS ?? 200_000);
const SMALL = Math.round(RECORDS / 10);
const TRIALS = Number(process.env.BENCH_SYNC_TRIALS ?? 3);
const PHASES = ['--phase', 'core-infrastructure', '--phase', 'memory-system'];
const COPY_STEP = 'memory-system/copy';
/** When set, every process of the bench (CLI and servers) writes a CPU profile there: where the time goes. */
const PROFILE_DIR = process.env.BENCH_SYNC_CPU_PROF;
const profileArgs = (): string[] => (PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : []);

function record(prefix: string, i: number, version = 0) {
  return {
    key: `${prefix}/${String(i).padStart(7, '0')}`,
    content: { i, version, text: `record ${i}`, tags: ['a', i % 7], nested: { z: 1, a: [i] } },
    scope: 'team',
  };
}

async function batches(url: string, ops: unknown[], size = 500, inFlight = 4): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < ops.length) {
        const slice = ops.slice(next, (next += size));
        const response = await fetch(`${url}/api/memory/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', prefer: 'return=minimal' },
          body: JSON.stringify({ ops: slice }),
        });
        if (!response.ok) throw new Error(`batch failed: ${response.status} ${await response.text()}`);
      }
    }),
  );
  return performance.now() - started;
}

const seedOps = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ op: 'set', ...record(prefix, i), id: randomUUID() }));

/** A workspace whose config copies between two servers through the emulator. */
async function workspace(dir: string, emulatorUrl: string, source: string, target: string): Promise<string> {
  const ws = path.join(dir, `ws-${randomUUID().slice(0, 8)}`);
  const c = worldConfig(emulatorUrl, source, target);
  mkdirSync(path.join(ws, 'config'), { recursive: true });
  await writeFile(
    path.join(ws, 'config', 'common.json'),
    JSON.stringify({
      projectId: c.projectId,
      gcp: { endpointOverrides: c.gcp.endpointOverrides, emulator: true },
      phases: { memorySystem: { sourceEndpoint: source, targetEndpoint: target, batchSize: 500 } },
    }),
  );
  return ws;
}

/** Milliseconds from the copy step's start to each of its log lines (where a sync's time goes). */
type StepTimeline = Record<string, number>;

/** `orchestra-migrate execute` in its own process: the copy step's duration, its timeline and the process's peak RSS. */
async function execute(
  cli: string,
  rssHook: string,
  ws: string,
): Promise<{
  stepMs: number;
  copyMs: number;
  peakRssMiB: number;
  heapPeaksMiB: Record<string, number>;
  timeline: StepTimeline;
}> {
  const rssFile = path.join(ws, 'rss.json');
  const child = spawn(process.execPath, [...profileArgs(), '--require', rssHook, cli, 'execute', '--yes', ...PHASES], {
    cwd: ws,
    stdio: ['ignore', 'ignore', 'pipe'],
    // At info, the copy step's own lines (sync, checksums) reach stderr: the sync's timeline.
    env: { PATH: process.env.PATH, BENCH_RSS_FILE: rssFile, ORCHESTRA_LOG__LEVEL: 'info' },
  });
  let stderr = '';
  const arrivals: { at: number; line: string }[] = [];
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const line of c.toString().split('\n').filter(Boolean)) arrivals.push({ at: performance.now(), line });
  });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`execute exited ${code}: ${stderr}`);
  const state = await readStateFile(statePath(path.join(ws, '.orchestra'), PROJECT), PROJECT);
  const step = state!.steps[COPY_STEP];
  const usage = JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRSS: number; peak: Record<string, number> };
  const peakKiB = usage.maxRSS;
  const heapPeaksMiB = Object.fromEntries(
    Object.entries(usage.peak).map(([k, v]) => [k, Math.round((v / 2 ** 20) * 10) / 10]),
  );
  const output = state!.outputs.memoryCopy as { copyMs?: number } | undefined;
  return {
    stepMs: step.durationMs ?? NaN,
    // The pages alone: the rest of the step is its sync and verification.
    copyMs: output?.copyMs ?? NaN,
    peakRssMiB: Math.round((peakKiB / 1024) * 10) / 10,
    heapPeaksMiB,
    timeline: timeline(arrivals),
  };
}

function timeline(arrivals: { at: number; line: string }[]): StepTimeline {
  const start = arrivals.find((a) => a.line.includes(`${COPY_STEP}: started`))?.at;
  if (start === undefined) return {};
  const out: StepTimeline = {};
  for (const { at, line } of arrivals) {
    const what =
      /memory (sync|copy|verify): (\d+ new|[a-z]+ [a-z]+)/.exec(line) ??
      /memory (copy): [\d,]+ (records copied) \(/.exec(line) ??
      /(copy): (done)/.exec(line);
    if (what && at >= start) out[`${what[1]}: ${what[2].trim()}`] ??= Math.round(at - start);
  }
  return out;
}

/** 1%: half changed, a quarter new, a quarter deleted. */
async function mutate(url: string, n: number, round: number): Promise<number> {
  const delta = Math.round(n / 100);
  const ops: unknown[] = [];
  for (let j = 0; j < delta / 2; j++) ops.push({ op: 'set', ...record('mem', j * 97, round) });
  for (let j = 0; j < delta / 4; j++) ops.push({ op: 'set', ...record(`new${round}`, j) });
  for (let j = 0; j < delta / 4; j++) ops.push({ op: 'delete', key: record('mem', j * 97 + 13 + round).key });
  await batches(url, ops);
  return ops.length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const started = Date.now();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchestra-sync-bench-'));
  const emulator = await startGcpEmulator({ lroDelayMs: 20, projects: [PROJECT] });
  const servers: MemoryServerProcess[] = [];
  try {
    const [cli, memory] = await Promise.all([shippedCli(), scriptBundle('src/sandbox/memory/main.ts')]);
    const rssHook = path.join(dir, 'rss-hook.cjs');
    writeFileSync(
      rssHook,
      [
        // Peaks of the heap's parts too, sampled (rarely: each sample costs the CLI a little): what the RSS is made of.
        'const peak = { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };',
        'const sample = () => { const m = process.memoryUsage(); for (const k in peak) peak[k] = Math.max(peak[k], m[k]); };',
        'setInterval(sample, 200).unref();',
        "process.on('exit', () => { sample(); require('fs').writeFileSync(process.env.BENCH_RSS_FILE, JSON.stringify({ maxRSS: process.resourceUsage().maxRSS, peak })); });",
      ].join('\n') + '\n',
    );
    const start = async (name: string) => {
      const s = await startMemoryServerProcess(memory, path.join(dir, name), profileArgs());
      servers.push(s);
      return s;
    };

    // The small copy, for the RSS ratio.
    const smallSource = await start('small-source');
    await batches(smallSource.url, seedOps('mem', SMALL));
    const smallRss: number[] = [];
    const smallHeap: Record<string, number>[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const target = await start(`small-target-${t}`);
      const run = await execute(cli, rssHook, await workspace(dir, emulator.url, smallSource.url, target.url));
      smallRss.push(run.peakRssMiB);
      smallHeap.push(run.heapPeaksMiB);
      await stopMemoryServerProcess(target);
    }
    await stopMemoryServerProcess(smallSource);

    const source = await start('source');
    await batches(source.url, seedOps('mem', RECORDS));
    const trials: {
      fullMs: number;
      fullPagesMs: number;
      syncMs: number;
      delta: number;
      rawMs: number;
      peakRssMiB: number;
      heapPeaksMiB: Record<string, number>;
      fullTimeline: StepTimeline;
      syncTimeline: StepTimeline;
    }[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const target = await start(`target-${t}`);
      const ws = await workspace(dir, emulator.url, source.url, target.url);
      const full = await execute(cli, rssHook, ws);
      const delta = await mutate(source.url, RECORDS, t + 1);
      const sync = await execute(cli, rssHook, ws);
      await stopMemoryServerProcess(target);
      // Bare writes of as many records, the copy's batch shape, to a fresh server.
      const raw = await start(`raw-${t}`);
      const rawMs = await batches(raw.url, seedOps('raw', RECORDS));
      await stopMemoryServerProcess(raw);
      trials.push({
        fullMs: full.stepMs,
        fullPagesMs: full.copyMs,
        syncMs: sync.stepMs,
        delta,
        rawMs,
        peakRssMiB: full.peakRssMiB,
        heapPeaksMiB: full.heapPeaksMiB,
        fullTimeline: full.timeline,
        syncTimeline: sync.timeline,
      });
      console.log(
        `trial ${t + 1}: full copy ${full.stepMs} ms (pages ${full.copyMs} ms, peak ${full.peakRssMiB} MiB), sync of ${delta} ${sync.stepMs} ms, raw ${Math.round(rawMs)} ms`,
      );
    }
    const fullMs = median(trials.map((t) => t.fullMs));
    const syncMs = median(trials.map((t) => t.syncMs));
    const rawMs = median(trials.map((t) => t.rawMs));
    const bigRss = median(trials.map((t) => t.peakRssMiB));
    const section = {
      records: RECORDS,
      small_records: SMALL,
      trials: TRIALS,
      full_copy_step_ms: fullMs,
      sync_delta_records: trials[0].delta,
      sync_step_ms: syncMs,
      sync_vs_full_copy: round(syncMs / fullMs),
      peak_rss_mib: { [RECORDS]: bigRss, [SMALL]: median(smallRss) },
      rss_200k_vs_20k: round(bigRss / median(smallRss)),
      copy_with_verify_records_per_s: Math.round((RECORDS / fullMs) * 1000),
      raw_write_records_per_s: Math.round((RECORDS / rawMs) * 1000),
      copy_with_verify_vs_raw_write: round(rawMs / fullMs),
      runs: trials.map((t) => ({ ...t, rawMs: Math.round(t.rawMs) })),
      small_peak_rss_mib_runs: smallRss,
      small_heap_peaks_mib_runs: smallHeap,
      bench_ms: Date.now() - started,
      at: new Date().toISOString(),
    };
    console.log(JSON.stringify(section, null, 2));
    const file = path.join(ROOT, 'bench', 'results', 'engine.json');
    const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    const goals = (existing.goals ?? {}) as Record<string, string>;
    const merged = {
      ...existing,
      sync_vs_full_copy: section.sync_vs_full_copy,
      rss_200k_vs_20k: section.rss_200k_vs_20k,
      copy_with_verify_vs_raw_write_200k: section.copy_with_verify_vs_raw_write,
      goals: {
        ...goals,
        sync_vs_full_copy: '< 0.05',
        rss_200k_vs_20k: '< 1.5',
        copy_with_verify_vs_raw_write_200k: '>= 0.7',
      },
      sync: section,
    };
    writeFileSync(file, JSON.stringify(merged, null, 2) + '\n');
    console.log('merged the sync section into bench/results/engine.json');
  } finally {
    await Promise.allSettled(servers.filter((s) => s.child.exitCode === null).map(stopMemoryServerProcess));
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
