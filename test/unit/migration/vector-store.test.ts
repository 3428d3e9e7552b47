/**
 * The Memory System's AlloyDB steps against the emulator, whose instances are a
 * real PostgreSQL with pgvector: verify plans them, execute creates them, the
 * schema is checked in the database's own catalog, a second execute changes
 * nothing, and a dimension change is a blocked plan.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import pg from 'pg';
import type { OrchestraConfig } from '../../../src/core/config/types';
import { closeVectorStores } from '../../../src/core/vector/store';
import { MUTATING, openEngine, PROJECT, READ_ONLY_POST, startWorld, type World } from './world';

const PHASES = ['core-infrastructure', 'memory-system'];
const VECTOR_STEPS = [
  'memory-system/alloydb-password',
  'memory-system/alloydb-cluster',
  'memory-system/alloydb-instance',
  'memory-system/vector-schema',
];
const CARRIED = 30;

/** Records that carry an 8-dimension embedding, with values float32 cannot hold exactly. */
async function seedEmbeddings(url: string): Promise<Map<string, number[]>> {
  const vectors = new Map<string, number[]>();
  const ops = [];
  for (let i = 0; i < CARRIED; i++) {
    const key = `emb/${String(i).padStart(3, '0')}`;
    const embedding = Array.from({ length: 8 }, (_, j) => Math.sin(i * 8 + j) / 3 + 0.1);
    vectors.set(key, embedding);
    ops.push({ op: 'set', key, content: { text: `note ${i}`, agent: i % 2 ? 'coder' : 'planner', embedding } });
  }
  const res = await fetch(`${url}/api/memory/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ops }),
  });
  assert.equal(res.status, 200, await res.text());
  return vectors;
}

function withVectors(config: OrchestraConfig, dimension: number): OrchestraConfig {
  const copy = structuredClone(config);
  copy.phases.memorySystem.vectorStore = {
    ...copy.phases.memorySystem.vectorStore,
    enabled: true,
    dimension,
    embeddingModel: 'text-embedding-005',
  };
  return copy;
}

async function secretPassword(world: World): Promise<string> {
  const res = await fetch(
    `${world.emulator.url}/v1/projects/${PROJECT}/secrets/orchestra-alloydb-password/versions/latest:access`,
    { headers: { authorization: 'Bearer test-token' } },
  );
  const body = (await res.json()) as { payload: { data: string } };
  return Buffer.from(body.payload.data, 'base64').toString('utf8');
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

async function catalog(world: World, password: string) {
  const instance = `projects/${PROJECT}/locations/us-central1/clusters/orchestra-memory/instances/orchestra-memory-primary`;
  const at = (await (
    await fetch(`${world.emulator.url}/emulator/alloydb/${instance}`, {
      headers: { authorization: 'Bearer test-token' },
    })
  ).json()) as { host: string; port: number };
  const client = new pg.Client({ host: at.host, port: at.port, user: 'postgres', password, database: 'postgres' });
  await client.connect();
  try {
    const q = async (sql: string) => (await client.query(sql)).rows as Record<string, unknown>[];
    return {
      extension: await q("SELECT extversion FROM pg_extension WHERE extname = 'vector'"),
      column: await q(
        "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'memory_vectors'::regclass AND attname = 'embedding'",
      ),
      indexes: await q(
        "SELECT c.relname AS name, am.amname AS method FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = 'memory_vectors'::regclass ORDER BY 1",
      ),
      rows: await q('SELECT content_id, embedding::text AS embedding FROM memory_vectors'),
      search: await q(
        "SELECT count(*)::int AS n FROM vector_search((SELECT ('[' || array_to_string(array_fill(1, ARRAY[8]), ',') || ']')::vector), 0, 10)",
      ),
    };
  } finally {
    await client.end();
  }
}

describe('Memory System: the AlloyDB vector store', function () {
  // A real PostgreSQL (WASM) starts for the primary instance: seconds on a busy machine.
  this.timeout(240_000);
  let world: World;
  let carried: Map<string, number[]>;

  before(async () => {
    world = await startWorld({ records: 10 });
    carried = await seedEmbeddings(world.source.url);
  });
  after(async () => {
    await closeVectorStores();
    await world?.close();
  });

  it('verify plans the password, cluster, instance and schema as creates, read-only', async () => {
    const h = await openEngine(withVectors(world.config, 8), world.workspace);
    try {
      world.emulator.clearRequestLog();
      const plan = await h.engine.verify(PHASES);
      const steps = plan.phases.find((p) => p.phase === 'memory-system')!.steps;
      for (const id of VECTOR_STEPS) assert.equal(steps.find((s) => s.id === id)?.action, 'create', id);
      const schema = steps.find((s) => s.id === 'memory-system/vector-schema')!;
      assert.match(schema.target!, /vector\(8\).*HNSW cosine index/);
      assert.deepEqual(
        world.emulator.requestLog().filter((r) => MUTATING(r) && !READ_ONLY_POST.test(r.path)),
        [],
      );
    } finally {
      await h.close();
    }
  });

  it('execute creates them and copies the vectors; stopped mid-copy, the next execute resumes from the checkpoint', async () => {
    const h = await openEngine(withVectors(world.config, 8), world.workspace);
    try {
      // Page 1 (20 records) carries embeddings; page 2 needs Vertex AI, which fails once, unretried.
      world.emulator.setFaults({ failures: [{ status: 403, count: 1, pathContains: ':predict' }] });
      const first = await h.engine.execute(PHASES);
      assert.deepEqual(
        first.failures.map((f) => f.step),
        ['memory-system/vector-copy'],
      );
      const plan = await h.engine.verify(PHASES);
      const copy = plan.phases
        .find((p) => p.phase === 'memory-system')!
        .steps.find((s) => s.id === 'memory-system/vector-copy')!;
      assert.match(copy.reason!, /resume after 20 vectors \(page 1\)/);
      const second = await h.engine.execute(PHASES);
      assert.deepEqual(second.failures, []);
      const output = h.engine.state().outputs.vectorCopy as Record<string, number> | undefined;
      assert.equal(output?.rows, CARRIED + 10);
      assert.equal(output?.embedded, 10);
    } finally {
      await h.close();
    }
  });

  it('the catalog shows pgvector, vector(8), HNSW and GIN indexes, the search function; vectors are byte-exact', async () => {
    const password = await secretPassword(world);
    assert.ok(password.length >= 32);
    const seen = await catalog(world, password);
    assert.match(String(seen.extension[0].extversion), /^0\.8\./);
    assert.equal(seen.column[0].type, 'vector(8)');
    assert.deepEqual(Object.fromEntries(seen.indexes.map((i) => [i.name, i.method])), {
      memory_vectors_embedding_idx: 'hnsw',
      memory_vectors_metadata_idx: 'gin',
      memory_vectors_pkey: 'btree',
    });
    assert.equal(seen.search[0].n, 10);
    assert.equal(seen.rows.length, CARRIED + 10);
    for (const [key, vector] of carried) {
      const stored = seen.rows.find((r) => r.content_id === key);
      assert.deepEqual(
        Array.from(Float32Array.from(String(stored?.embedding).slice(1, -1).split(','), Number)),
        Array.from(Float32Array.from(vector)),
        key,
      );
    }
    const holders = (await filesUnder(world.dir)).filter((f) => readFileSync(f, 'utf8').includes(password));
    assert.deepEqual(holders, [], 'no file (state, outbox, memory data) holds the password');
  });

  it('a second execute changes nothing', async () => {
    const h = await openEngine(withVectors(world.config, 8), world.workspace);
    try {
      world.emulator.clearRequestLog();
      const result = await h.engine.execute(PHASES);
      assert.deepEqual(result.failures, []);
      assert.deepEqual(
        world.emulator
          .requestLog()
          .filter((r) => MUTATING(r) && !READ_ONLY_POST.test(r.path))
          .map((r) => `${r.method} ${r.path}`),
        [],
      );
      const plan = await h.engine.verify(PHASES);
      const steps = plan.phases.find((p) => p.phase === 'memory-system')!.steps;
      for (const id of [...VECTOR_STEPS, 'memory-system/vector-copy'])
        assert.equal(steps.find((s) => s.id === id)?.action, 'ok', id);
    } finally {
      await h.close();
    }
  });

  it('a dimension change is a blocked plan that says why; execute refuses it and keeps the column', async () => {
    const h = await openEngine(withVectors(world.config, 16), world.workspace);
    try {
      const plan = await h.engine.verify(PHASES);
      const schema = plan.phases
        .find((p) => p.phase === 'memory-system')!
        .steps.find((s) => s.id === 'memory-system/vector-schema')!;
      assert.equal(schema.action, 'blocked');
      assert.match(schema.reason!, /vector\(8\).*dimension is 16/);
      const result = await h.engine.execute(PHASES);
      assert.ok(result.failures.some((f) => f.step === 'memory-system/vector-schema' && /vector\(8\)/.test(f.error)));
      const seen = await catalog(world, await secretPassword(world));
      assert.equal(seen.column[0].type, 'vector(8)');
    } finally {
      await h.close();
    }
  });

  it('destroy keeps the vector store (data) without includeData, and deletes instance, cluster and password with it', async () => {
    const h = await openEngine(withVectors(world.config, 8), world.workspace);
    try {
      const exists = async (p: string) =>
        (await fetch(`${world.emulator.url}${p}`, { headers: { authorization: 'Bearer test-token' } })).status;
      const base = `/v1/projects/${PROJECT}/locations/${world.config.location}/clusters/orchestra-memory`;
      const plan = await h.engine.destroyPlan(PHASES);
      const action = (id: string) => plan.steps.find((s) => s.id === id)?.action;
      assert.equal(action('memory-system/alloydb-instance'), 'keep');
      assert.equal(action('memory-system/alloydb-cluster'), 'keep');
      assert.equal(action('memory-system/alloydb-password'), 'keep', 'the kept cluster still needs its password');
      await h.engine.destroy(PHASES);
      assert.equal(await exists(`${base}/instances/orchestra-memory-primary`), 200);

      const all = await h.engine.destroy(PHASES, { includeData: true });
      const order = all.deleted;
      assert.ok(order.indexOf('memory-system/alloydb-instance') < order.indexOf('memory-system/alloydb-cluster'));
      assert.ok(order.indexOf('memory-system/alloydb-cluster') < order.indexOf('memory-system/alloydb-password'));
      assert.equal(await exists(`${base}/instances/orchestra-memory-primary`), 404);
      assert.equal(await exists(base), 404);
      assert.equal(await exists(`/v1/projects/${PROJECT}/secrets/orchestra-alloydb-password`), 404);
    } finally {
      await h.close();
    }
  });
});
