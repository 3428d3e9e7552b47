/**
 * The vector store rehearsed as a user runs it, every command a child process of the
 * built command line: `sandbox --seed N --embeddings 8`, then verify, execute,
 * execute again, and a dimension change. The schema is checked by SQL against the
 * running database's catalog; a planted password is looked for everywhere.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { shippedCli } from '../bundles';
import pg from 'pg';
import { emulatorOverrides } from '../../../src/core/gcp';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PROJECT = 'vector-rehearsal';
const RECORDS = 60;
const INSTANCE = `projects/${PROJECT}/locations/us-central1/clusters/orchestra-memory/instances/orchestra-memory-primary`;

describe('rehearsal of the vector store through the command line (child processes)', function () {
  // Three CLI runs and a real PostgreSQL (WASM) start: minutes on a busy machine.
  this.timeout(600_000);
  let dir: string;
  let workspace: string;
  let bundle: string;
  let sandbox: ChildProcess;
  let urls: { gcp: string; memory: string; memoryTarget: string };
  const planted = `Planted-${randomBytes(12).toString('hex')}`;
  const outputs: string[] = [];
  // The emulator's own output too: its request log is where a leaked password would show.
  let sandboxOutput = '';
  let token = '';

  function run(args: string[]): Promise<{ code: number | null; out: string }> {
    const child = spawn(process.execPath, [bundle, ...args], {
      cwd: workspace,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    return new Promise((resolve) =>
      child.on('exit', (code) => {
        outputs.push(out);
        resolve({ code, out });
      }),
    );
  }

  async function writeConfig(dimension: number): Promise<void> {
    await writeFile(
      path.join(workspace, 'config', 'common.json'),
      JSON.stringify({
        projectId: PROJECT,
        gcp: { endpointOverrides: emulatorOverrides(urls.gcp), emulator: true },
        phases: {
          aiCoding: { members: ['user:ana@example.com'] },
          memorySystem: {
            sourceEndpoint: urls.memory,
            targetEndpoint: urls.memoryTarget,
            batchSize: 25,
            vectorStore: { enabled: true, dimension, embeddingModel: 'text-embedding-005', searchTargetMs: 2000 },
          },
          validation: { samples: 3 },
        },
        validation: { targets: { memoryReadMs: 2000, apiMs: 2000 } },
        // The sandbox process also runs PGlite, whose WASM start holds its event loop for seconds.
        memory: { timeoutMs: 15000 },
      }),
    );
  }

  const gcp = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${urls.gcp}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vector-rehearsal-'));
    await mkdir(path.join(ROOT, '.test-runs'), { recursive: true });
    workspace = path.join(dir, 'workspace');
    await mkdir(path.join(workspace, 'config'), { recursive: true });
    // The demo API source where the default config looks for it (phases.apiDeployment.source 'api').
    await cp(path.join(ROOT, 'demo', 'api'), path.join(workspace, 'api'), { recursive: true });
    // The CLI as shipped: PGlite stays external and loads from node_modules, as for dist/cli.js.
    bundle = await shippedCli();
    sandbox = spawn(
      process.execPath,
      [
        bundle,
        'sandbox',
        '--port',
        '0',
        '--json',
        '--data',
        path.join(dir, 'sandbox'),
        '--seed',
        String(RECORDS),
        '--embeddings',
        '8',
        '--lro-delay-ms',
        '20',
        '--project',
        PROJECT,
      ],
      {
        cwd: workspace,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH },
      },
    );
    let out = '';
    sandbox.stderr!.on('data', (c: Buffer) => (sandboxOutput += c.toString()));
    sandbox.stdout!.on('data', (c: Buffer) => (sandboxOutput += c.toString()));
    urls = await new Promise((resolve, reject) => {
      sandbox.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]) as typeof urls);
      });
      sandbox.on('exit', (code) => reject(new Error(`sandbox exited ${code}: ${out}`)));
    });
    const issued = await fetch(`${urls.gcp}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    token = ((await issued.json()) as { access_token: string }).access_token;
    // The password is planted where the migration keeps it, so the test knows what to look for.
    await gcp('POST', `/v1/projects/${PROJECT}/services:batchEnable`, { serviceIds: ['secretmanager.googleapis.com'] });
    await gcp('POST', `/v1/projects/${PROJECT}/secrets?secretId=orchestra-alloydb-password`, {
      replication: { automatic: {} },
    });
    await gcp('POST', `/v1/projects/${PROJECT}/secrets/orchestra-alloydb-password:addVersion`, {
      payload: { data: Buffer.from(planted).toString('base64') },
    });
    await writeConfig(8);
  });

  after(async () => {
    if (sandbox && sandbox.exitCode === null) {
      const exited = new Promise((r) => sandbox.once('exit', r));
      sandbox.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('verify plans the AlloyDB cluster, instance and schema', async () => {
    const { code, out } = await run(['verify', '--json']);
    assert.equal(code, 0, out);
    const plan = JSON.parse(out) as { phases: Array<{ steps: Array<{ id: string; action: string }> }> };
    const steps = plan.phases.flatMap((p) => p.steps);
    for (const id of ['memory-system/alloydb-cluster', 'memory-system/alloydb-instance', 'memory-system/vector-schema'])
      assert.equal(steps.find((s) => s.id === id)?.action, 'create', id);
    assert.equal(
      steps.find((s) => s.id === 'memory-system/alloydb-password')?.action,
      'ok',
      'the planted password is kept',
    );
  });

  it('execute creates them, copies the records with embeddings, and validation reports latency and recall', async () => {
    const { code, out } = await run(['execute', '--yes']);
    assert.equal(code, 0, out);
    const report = await run(['report', '--stdout']);
    assert.match(report.out, /\| Vector search \| (✅|⚠️) /);
    assert.match(report.out, /Vector index recall@10: ✅ (1|0\.9[5-9]\d*) on \d+ held-out queries/);
  });

  it('the running database holds the schema and the rows, by its own catalog', async () => {
    const at = (await gcp('GET', `/emulator/alloydb/${INSTANCE}`)) as { host: string; port: number };
    const client = new pg.Client({
      host: at.host,
      port: at.port,
      user: 'postgres',
      password: planted,
      database: 'postgres',
    });
    await client.connect();
    try {
      const one = async (sql: string) => (await client.query(sql)).rows[0] as Record<string, unknown>;
      assert.match(
        String((await one("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).extversion),
        /^0\.8\./,
      );
      assert.equal(
        (
          await one(
            "SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'memory_vectors'::regclass AND attname = 'embedding'",
          )
        ).t,
        'vector(8)',
      );
      assert.match(
        String(
          (await one("SELECT indexdef FROM pg_indexes WHERE indexname = 'memory_vectors_embedding_idx'")).indexdef,
        ),
        /USING hnsw \(embedding vector_cosine_ops\)/,
      );
      assert.equal(Number((await one('SELECT count(*) AS n FROM memory_vectors')).n), RECORDS);
    } finally {
      await client.end();
    }
  });

  it('a second execute changes nothing', async () => {
    await fetch(`${urls.gcp}/__admin/requests`, { method: 'DELETE' });
    const { code, out } = await run(['execute', '--yes']);
    assert.equal(code, 0, out);
    const log = (await (await fetch(`${urls.gcp}/__admin/requests`)).json()) as {
      requests: Array<{ method: string; path: string; kind: string }>;
    };
    const mutations = log.requests.filter(
      (r) => r.method !== 'GET' && r.kind === 'api' && !/:(getIamPolicy|testIamPermissions|predict)$/.test(r.path),
    );
    assert.deepEqual(
      mutations.map((r) => `${r.method} ${r.path}`),
      [],
    );
  });

  it('a dimension change plans blocked, saying why', async () => {
    await writeConfig(16);
    const { code, out } = await run(['verify']);
    assert.equal(code, 1, out);
    assert.match(out, /vector-schema[\s\S]*vector\(8\)[\s\S]*dimension is 16/);
    await writeConfig(8);
  });

  it('the planted password is in no log, file, report or output', async () => {
    const files = (await readdir(dir, { withFileTypes: true, recursive: true }))
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      // Secret Manager's own store (the emulator's state) is where the password is meant to be.
      .filter((f) => path.basename(f) !== 'gcp-emulator.json');
    assert.ok(
      files.some((f) => f.includes(`${path.sep}.orchestra${path.sep}`)) || existsSync(path.join(workspace, 'logs')),
    );
    const holders = files.filter((f) => readFileSync(f).includes(planted));
    assert.deepEqual(holders, []);
    assert.ok(
      outputs.every((o) => !o.includes(planted)),
      'a command printed the password',
    );
    assert.ok(sandboxOutput.length > 0 && !sandboxOutput.includes(planted), 'the sandbox printed the password');
  });
});
