/**
 * Search over memory_vectors: through vector_search() (the index), and exact (a
 * scan, for recall: ordering by an expression the index cannot serve forces it),
 * plus the held-out queries validation and the benchmark measure with.
 */
import { parseVector, vectorBinary } from './rows';
import { SEARCH_FUNCTION, TABLE } from './schema';
import type { Queryable } from './store';

export interface VectorHit {
  contentId: string;
  similarity: number;
  metadata: Record<string, unknown>;
}

export interface SearchOptions {
  k?: number;
  /** Cosine similarity at least this (default: any). */
  threshold?: number;
  /** Metadata the hits must contain (JSONB containment). */
  filter?: Record<string, unknown>;
}

export async function searchVectors(
  db: Queryable,
  query: readonly number[],
  options: SearchOptions = {},
): Promise<VectorHit[]> {
  const { rows } = await db.query<{ content_id: string; similarity: number; metadata: Record<string, unknown> }>(
    `SELECT content_id, similarity, metadata FROM ${SEARCH_FUNCTION}($1::vector, $2, $3, $4::jsonb)`,
    [vectorBinary(query), options.threshold ?? -1, options.k ?? 10, JSON.stringify(options.filter ?? {})],
  );
  return rows.map((r) => ({ contentId: r.content_id, similarity: Number(r.similarity), metadata: r.metadata }));
}

export async function searchIds(db: Queryable, query: readonly number[], k: number): Promise<string[]> {
  return (await searchVectors(db, query, { k })).map((h) => h.contentId);
}

export async function exactIds(db: Queryable, query: readonly number[], k: number): Promise<string[]> {
  const { rows } = await db.query<{ content_id: string }>(
    `SELECT content_id FROM ${TABLE} ORDER BY (embedding <=> $1::vector) + 0 LIMIT $2`,
    [vectorBinary(query), k],
  );
  return rows.map((r) => r.content_id);
}

/** Share of the exact top k that the index found. */
export function recallAt(found: readonly string[], exact: readonly string[]): number {
  if (!exact.length) return 1;
  const set = new Set(found);
  return exact.filter((id) => set.has(id)).length / exact.length;
}

/** Seeded (mulberry32): the same table gives the same queries, so two runs compare. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` stored vectors, evenly spread over the table, each moved by seeded noise of 10% of its norm. */
export async function heldOutQueries(db: Queryable, count: number, seed = 16): Promise<number[][]> {
  const { rows } = await db.query<{ embedding: string }>(
    `SELECT embedding::text AS embedding FROM (
       SELECT embedding, row_number() OVER (ORDER BY content_id) AS n, count(*) OVER () AS total FROM ${TABLE}
     ) t WHERE n % GREATEST(1, total / $1) = 0 LIMIT $1`,
    [count],
  );
  const next = random(seed);
  return rows.map((r) => {
    const base = Array.from(parseVector(r.embedding));
    const norm = Math.hypot(...base) || 1;
    const scale = (0.1 * norm) / Math.sqrt(base.length);
    return base.map((v) => v + (next() * 2 - 1) * scale * Math.sqrt(3));
  });
}
