/**
 * The vector store in the rehearsal database (the AlloyDB emulator's PGlite with
 * pgvector, served on loopback behind its password gate, reached with pg):
 *
 * - copy: 768-dimension rows written as the Memory System's copy writes them
 *   (upsertRows: 500-row INSERT ... ON CONFLICT over the wire), against the same
 *   rows loaded by a bare `COPY ... FROM` in the same database (PGlite's own
 *   COPY from a blob, no wire at all). Goal: ours >= 0.8 of COPY's rows/s.
 * - search: vector_search() p95 over 100,000 vectors of 768 dimensions after
 *   warm-up, and recall@10 against exact search on 50 held-out queries.
 *   The 100k-row index is IVFFlat with lists from the row count (100) and
 *   probes = sqrt(lists): building HNSW over 100k x 768 in single-threaded WASM
 *   takes longer than this benchmark may run.
 *
 * Run: npm run bench -- vector   -> bench/results/vector.json (a few minutes)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { percentile } from '../src/core/migration/latency';
import { upsertRows, vectorLiteral, type VectorRow } from '../src/core/vector/rows';
import { applySchema, ivfLists, TABLE } from '../src/core/vector/schema';
import { exactIds, heldOutQueries, recallAt, searchIds } from '../src/core/vector/search';
import { closeVectorStores, openVectorStore } from '../src/core/vector/store';
import { startPgServer } from '../src/sandbox/pg/server';

const DIM = 768;
const COPY_ROWS = Number(process.env.VECTOR_BENCH_COPY_ROWS ?? 5000);
const SEARCH_ROWS = Number(process.env.VECTOR_BENCH_SEARCH_ROWS ?? 100_000);
const SEARCHES = 200;
const WARMUP = 20;
const QUERIES = 50;
const PASSWORD = 'bench-password';

/** Seeded unit vectors around 64 centres: clustered, as real embeddings are. */
function rows(count: number, offset = 0): VectorRow[] {
  let state = 12345 + offset;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 0x100000000 - 0.5;
  };
  const centres = Array.from({ length: 64 }, () => Array.from({ length: DIM }, next));
  return Array.from({ length: count }, (_, i) => {
    const c = centres[i % 64];
    const v = c.map((x) => x + next() * 0.6);
    const n = Math.hypot(...v);
    return { contentId: `mem/${String(i + offset).padStart(7, '0')}`, embedding: v.map((x) => x / n), metadata: { i } };
  });
}

function copyText(data: VectorRow[]): string {
  return data.map((r) => `${r.contentId}\t${vectorLiteral(r.embedding)}\t${JSON.stringify(r.metadata)}\n`).join('');
}

async function main(): Promise<void> {
  const server = await startPgServer({ checkPassword: (_u, p) => p === PASSWORD });
  const db = openVectorStore({
    host: server.host,
    port: server.port,
    database: 'postgres',
    user: 'postgres',
    password: PASSWORD,
  });
  try {
    await applySchema(db, { dimension: DIM, index: 'hnsw' });
    await db.query(`CREATE TABLE copy_baseline (LIKE ${TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    // Like for like: neither table has the ANN index while rows arrive (built after a bulk load).
    await db.query('DROP INDEX memory_vectors_embedding_idx');
    const data = rows(COPY_ROWS);

    let t0 = performance.now();
    await server.db.query("COPY copy_baseline (content_id, embedding, metadata) FROM '/dev/blob'", [], {
      blob: new Blob([copyText(data)]),
    });
    const copySeconds = (performance.now() - t0) / 1000;

    t0 = performance.now();
    await upsertRows(db, data);
    const oursSeconds = (performance.now() - t0) / 1000;
    const counts = await db.query<{ a: string; b: string }>(
      `SELECT (SELECT count(*) FROM ${TABLE})::text AS a, (SELECT count(*) FROM copy_baseline)::text AS b`,
    );
    if (Number(counts.rows[0].a) !== COPY_ROWS || Number(counts.rows[0].b) !== COPY_ROWS)
      throw new Error('row counts differ');

    // The search table: 100k rows by bulk COPY, then the index.
    await db.query(`TRUNCATE ${TABLE}`);
    t0 = performance.now();
    for (let start = 0; start < SEARCH_ROWS; start += 2000) {
      const chunk = rows(Math.min(2000, SEARCH_ROWS - start), start);
      await server.db.query(`COPY ${TABLE} (content_id, embedding, metadata) FROM '/dev/blob'`, [], {
        blob: new Blob([copyText(chunk)]),
      });
    }
    const loadSeconds = (performance.now() - t0) / 1000;
    const lists = ivfLists(SEARCH_ROWS);
    const probes = Math.ceil(Math.sqrt(lists));
    t0 = performance.now();
    await db.query(
      `CREATE INDEX memory_vectors_embedding_idx ON ${TABLE} USING ivfflat (embedding vector_cosine_ops) WITH (lists = ${lists})`,
    );
    const indexSeconds = (performance.now() - t0) / 1000;
    await db.query(
      `ALTER FUNCTION vector_search(vector, double precision, integer, jsonb) SET ivfflat.probes = ${probes}`,
    );

    const queries = await heldOutQueries(db, QUERIES);
    const times: number[] = [];
    for (let i = -WARMUP; i < SEARCHES; i++) {
      const started = performance.now();
      await searchIds(db, queries[(i + WARMUP) % queries.length], 10);
      if (i >= 0) times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    let found = 0;
    for (const q of queries) found += recallAt(await searchIds(db, q, 10), await exactIds(db, q, 10));

    const oursRate = COPY_ROWS / oursSeconds;
    const copyRate = COPY_ROWS / copySeconds;
    const result = {
      dimension: DIM,
      copy_rows: COPY_ROWS,
      copy_ours_rows_per_s: Math.round(oursRate),
      copy_bare_copy_rows_per_s: Math.round(copyRate),
      copy_ratio: Math.round((oursRate / copyRate) * 1000) / 1000,
      copy_ratio_goal: 0.8,
      search_rows: SEARCH_ROWS,
      search_index: `ivfflat lists=${lists} probes=${probes}`,
      search_load_s: Math.round(loadSeconds * 10) / 10,
      search_index_build_s: Math.round(indexSeconds * 10) / 10,
      search_samples: times.length,
      search_warmup: WARMUP,
      search_p50_ms: Math.round(percentile(times, 50) * 10) / 10,
      search_p95_ms: Math.round(percentile(times, 95) * 10) / 10,
      search_target_ms: 30,
      recall_at_10: Math.round((found / queries.length) * 1000) / 1000,
      recall_goal: 0.95,
      recall_queries: queries.length,
      database:
        'PGlite 0.3 (PostgreSQL 17, WASM) + pgvector 0.8 over pglite-socket on loopback, as the AlloyDB emulator serves it',
      node: process.version,
      date: new Date().toISOString(),
    };
    const out = path.join(__dirname, '..', 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'vector.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await closeVectorStores();
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
