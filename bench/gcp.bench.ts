/**
 * Google Cloud layer benchmark -> bench/results/gcp.json
 *
 * - emulator_get_rps: GET throughput of the emulator (Secret Manager secrets.get)
 *   with 8 concurrent keep-alive clients, the emulator in a child process so
 *   client and server do not share an event loop; median of several slices.
 * - client_overhead_ms: median per call of the REST client (token guard, URL and
 *   headers, retry wrapper, node-fetch, JSON parse, error check) minus a bare
 *   keep-alive node:http GET of the same URL, measured side by side: calls
 *   alternate between the two arms in one run, one at a time.
 * Run: npm run bench -- gcp
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { createGcpClient } from '../src/core/gcp/client';
import { emulatorOverrides } from '../src/core/gcp/endpoints';

const ROOT = path.resolve(__dirname, '..');
const CONCURRENCY = 8;
const SLICE_MS = 1500;
const SLICES = 5;
const OVERHEAD_PAIRS = 3000;
const PROJECT = 'bench-p';
const SECRET_PATH = `/v1/projects/${PROJECT}/secrets/orchestra-config`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
// Other jobs on a shared 2-core machine move the throughput figure: keep the load next to it.
const LOAD_AT_START = os.loadavg()[0];

async function startEmulator(): Promise<{ url: string; stop: () => void }> {
  const script = `require('./src/sandbox/gcp').startGcpEmulator({ lroDelayMs: 0, projects: ['${PROJECT}'], accessTokens: ['bench'] }).then((e) => console.log(e.url))`;
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return { url: line.trim(), stop: () => child.kill('SIGTERM') };
}

function bareGet(agent: http.Agent, url: URL): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      url,
      { agent, headers: { authorization: 'Bearer bench', accept: 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
  });
}

async function seed(url: string): Promise<void> {
  const client = createGcpClient({ gcp: { endpointOverrides: emulatorOverrides(url), emulator: true }, env: {} });
  await client.request({
    api: 'serviceusage',
    method: 'POST',
    path: `/v1/projects/${PROJECT}/services:batchEnable`,
    body: { serviceIds: ['secretmanager.googleapis.com'] },
  });
  await client.request({
    api: 'secretmanager',
    method: 'POST',
    path: `/v1/projects/${PROJECT}/secrets`,
    query: { secretId: 'orchestra-config' },
    body: { replication: { automatic: {} } },
  });
}

async function throughputSlice(url: URL): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let done = 0;
  const end = performance.now() + SLICE_MS;
  const worker = async () => {
    while (performance.now() < end) {
      if ((await bareGet(agent, url)) !== 200) throw new Error('unexpected status');
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return done / seconds;
}

async function overhead(base: string): Promise<{ bare: number[]; client: number[] }> {
  const url = new URL(base + SECRET_PATH);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const client = createGcpClient({ gcp: { endpointOverrides: emulatorOverrides(base), emulator: true }, env: {} });
  const bare: number[] = [];
  const viaClient: number[] = [];
  const once = async (arm: 'bare' | 'client') => {
    const t = performance.now();
    if (arm === 'bare') await bareGet(agent, url);
    else await client.request({ api: 'secretmanager', method: 'GET', path: SECRET_PATH });
    (arm === 'bare' ? bare : viaClient).push(performance.now() - t);
  };
  for (let i = 0; i < 200; i++) await once(i % 2 ? 'bare' : 'client'); // warm-up, not recorded below
  bare.length = 0;
  viaClient.length = 0;
  for (let i = 0; i < OVERHEAD_PAIRS; i++) {
    // Alternate which arm goes first so neither always sees a warmer socket.
    if (i % 2) {
      await once('bare');
      await once('client');
    } else {
      await once('client');
      await once('bare');
    }
  }
  agent.destroy();
  return { bare, client: viaClient };
}

async function main(): Promise<void> {
  const emulator = await startEmulator();
  try {
    await seed(emulator.url);
    const url = new URL(emulator.url + SECRET_PATH);
    await throughputSlice(url); // warm-up
    const slices: number[] = [];
    for (let i = 0; i < SLICES; i++) slices.push(await throughputSlice(url));
    const { bare, client } = await overhead(emulator.url);
    const bareMedian = median(bare);
    const clientMedian = median(client);
    const result = {
      emulator_get_rps: Math.round(median(slices)),
      client_overhead_ms: round3(clientMedian - bareMedian),
      raw: {
        what: 'GET /v1/projects/bench-p/secrets/orchestra-config on the emulator (child process, loopback HTTP)',
        concurrency: CONCURRENCY,
        slice_ms: SLICE_MS,
        rps_per_slice: slices.map((s) => Math.round(s)),
        overhead_pairs: OVERHEAD_PAIRS,
        bare_get_median_ms: round3(bareMedian),
        client_get_median_ms: round3(clientMedian),
        bare_get_p95_ms: round3(percentile(bare, 95)),
        client_get_p95_ms: round3(percentile(client, 95)),
        client_over_bare_ratio: round3(clientMedian / bareMedian),
        node: process.version,
        cpus: os.cpus().length,
        loadavg_1m_at_start: round3(LOAD_AT_START),
        at: new Date().toISOString(),
      },
    };
    await mkdir(path.join(ROOT, 'bench', 'results'), { recursive: true });
    await writeFile(path.join(ROOT, 'bench', 'results', 'gcp.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
  } finally {
    emulator.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
