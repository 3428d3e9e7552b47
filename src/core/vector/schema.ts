/**
 * The memory vector schema as the origin project had it: the pgvector extension,
 * `memory_vectors` (content_id, embedding VECTOR(dim), metadata JSONB, timestamps),
 * an approximate-nearest-neighbour index on the embedding (cosine), a GIN index on
 * the metadata and `vector_search(query, threshold, k[, filter])`. Read from the
 * catalog (pg_extension, pg_indexes, format_type), never from our own state, and
 * applied with statements that are no-ops when their object exists.
 */
import type { Queryable } from './store';

export const TABLE = 'memory_vectors';
export const EMBEDDING_INDEX = 'memory_vectors_embedding_idx';
export const METADATA_INDEX = 'memory_vectors_metadata_idx';
export const SEARCH_FUNCTION = 'vector_search';

export type IndexKind = 'hnsw' | 'ivfflat';

export interface DesiredSchema {
  dimension: number;
  index: IndexKind;
}

export interface SchemaLive {
  /** pgvector's version, or null when the extension is not installed. */
  extension: string | null;
  /** 'vector(768)' as format_type prints it, or null without the table. */
  embeddingType: string | null;
  dimension: number | null;
  /** Access method of the embedding index ('hnsw', 'ivfflat'), null without one. */
  embeddingIndex: IndexKind | null;
  /** IVFFlat's lists, as the index definition holds it. */
  lists: number | null;
  metadataIndex: boolean;
  searchFunction: boolean;
  rows: number;
}

export async function readSchema(db: Queryable): Promise<SchemaLive> {
  const ext = await db.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
  const column = await db.query<{ type: string }>(
    `SELECT format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attname = 'embedding' AND NOT a.attisdropped`,
    [`public.${TABLE}`],
  );
  const indexes = await db.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1`,
    [TABLE],
  );
  const fn = await db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND p.proname = $1`,
    [SEARCH_FUNCTION],
  );
  const embeddingType = column.rows[0]?.type ?? null;
  const embeddingDef = indexes.rows.find((i) => /USING (hnsw|ivfflat) \(embedding/.test(i.indexdef))?.indexdef;
  const rows = embeddingType
    ? Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${TABLE}`)).rows[0].n)
    : 0;
  return {
    extension: ext.rows[0]?.extversion ?? null,
    embeddingType,
    dimension: embeddingType ? Number(/\((\d+)\)/.exec(embeddingType)?.[1] ?? NaN) : null,
    embeddingIndex: embeddingDef ? (/USING (hnsw|ivfflat)/.exec(embeddingDef)![1] as IndexKind) : null,
    lists: embeddingDef ? Number(/lists='?(\d+)/.exec(embeddingDef)?.[1] ?? NaN) || null : null,
    metadataIndex: indexes.rows.some((i) => /USING gin \(metadata/.test(i.indexdef)),
    searchFunction: Number(fn.rows[0].n) > 0,
    rows,
  };
}

/**
 * IVFFlat's lists from the row count, as pgvector advises and the origin tuned it:
 * rows / 1000 up to a million rows, sqrt(rows) beyond; at least 1.
 */
export function ivfLists(rows: number): number {
  return Math.max(1, rows <= 1_000_000 ? Math.round(rows / 1000) : Math.round(Math.sqrt(rows)));
}

/** Why this index, in words for the plan. */
export function indexChoice(desired: DesiredSchema): string {
  return desired.index === 'hnsw'
    ? 'HNSW cosine index (m=16, ef_construction=64): no training step, so recall holds as records arrive'
    : 'IVFFlat cosine index, lists from the row count (rows/1000 up to 1M rows, sqrt(rows) above), rebuilt when the count moves it';
}

export interface SchemaChange {
  field: string;
  live: unknown;
  desired: unknown;
}

/** What differs, in the order applySchema fixes it; the dimension is reported by blockedReason, not here. */
export function schemaChanges(live: SchemaLive, desired: DesiredSchema): SchemaChange[] {
  const changes: SchemaChange[] = [];
  if (!live.extension) changes.push({ field: 'extension vector', live: null, desired: 'installed' });
  if (!live.embeddingType)
    changes.push({ field: `table ${TABLE}`, live: null, desired: `embedding vector(${desired.dimension})` });
  if (live.embeddingIndex !== desired.index) {
    changes.push({ field: 'embedding index', live: live.embeddingIndex, desired: desired.index });
  } else if (desired.index === 'ivfflat') {
    const wanted = ivfLists(live.rows);
    // Rebuilding is costly: only when the row count moved the best lists by more than 2x.
    if (live.lists && (live.lists > wanted * 2 || live.lists * 2 < wanted))
      changes.push({ field: 'ivfflat lists', live: live.lists, desired: wanted });
  }
  if (!live.metadataIndex) changes.push({ field: 'metadata index', live: null, desired: 'gin (jsonb_path_ops)' });
  if (!live.searchFunction)
    changes.push({ field: `function ${SEARCH_FUNCTION}`, live: null, desired: '(query, threshold, k, filter)' });
  return changes;
}

/** A dimension change would drop every stored embedding: never done silently. */
export function blockedReason(live: SchemaLive, desired: DesiredSchema): string | undefined {
  if (live.dimension === null || live.dimension === desired.dimension) return undefined;
  return (
    `${TABLE}.embedding is vector(${live.dimension}) but phases.memorySystem.vectorStore.dimension is ${desired.dimension}: ` +
    `changing it would drop the ${live.rows} stored embedding(s). Set the dimension back to ${live.dimension}, ` +
    `or migrate into a new table with embeddings of the new model.`
  );
}

export async function applySchema(db: Queryable, desired: DesiredSchema): Promise<void> {
  await db.query('CREATE EXTENSION IF NOT EXISTS vector');
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${TABLE} (
       content_id TEXT PRIMARY KEY,
       embedding VECTOR(${desired.dimension}) NOT NULL,
       metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
       created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
       updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
     )`,
  );
  await keepVectorsInline(db, desired.dimension);
  const lists = await ensureEmbeddingIndex(db, desired);
  await db.query(`CREATE INDEX IF NOT EXISTS ${METADATA_INDEX} ON ${TABLE} USING gin (metadata jsonb_path_ops)`);
  await db.query(searchFunctionSql());
  // IVFFlat searches one list unless told: sqrt(lists) probes, as pgvector advises, set on the function.
  if (lists) {
    await db.query(
      `ALTER FUNCTION ${SEARCH_FUNCTION}(vector, double precision, integer, jsonb) SET ivfflat.probes = ${Math.ceil(Math.sqrt(lists))}`,
    );
  }
}

/**
 * Top k by the index first, then the threshold: a WHERE on the distance would stop
 * the index scan. Without a filter the query must not name the metadata at all: the
 * planner takes `metadata @> '{}'` for a selective condition (1% of rows), scans the
 * GIN index for every row and sorts them all, never touching the ANN index (an exact
 * scan, measured: 75 ms at 5k rows). PL/pgSQL, so each branch gets its own plan.
 */
function searchFunctionSql(): string {
  const select = (where: string) => `SELECT t.content_id, t.similarity, t.metadata FROM (
           SELECT m.content_id, 1 - (m.embedding <=> query) AS similarity, m.metadata
             FROM ${TABLE} m ${where} ORDER BY m.embedding <=> query LIMIT k
         ) t WHERE t.similarity >= threshold ORDER BY t.similarity DESC`;
  return `CREATE OR REPLACE FUNCTION ${SEARCH_FUNCTION}(query vector, threshold double precision, k integer,
       filter jsonb DEFAULT '{}'::jsonb)
     RETURNS TABLE (content_id text, similarity double precision, metadata jsonb)
     LANGUAGE plpgsql STABLE AS $fn$
     #variable_conflict use_column
     BEGIN
       IF filter IS NULL OR filter = '{}'::jsonb THEN
         RETURN QUERY ${select('')};
       ELSE
         RETURN QUERY ${select('WHERE m.metadata @> filter')};
       END IF;
     END
     $fn$`;
}

/** Past this a vector (4 bytes a dimension) and the row's other columns might not fit an 8 KB page inline. */
const PLAIN_MAX_DIMENSION = 1536;

/**
 * pgvector's type is TOASTed out of line (STORAGE external), and a 768-dimension
 * vector (3 KB) is past the 2 KB threshold: every distance an exact or IVFFlat scan
 * computes then fetches a TOAST chunk through its index (4x the scan time, measured
 * in the rehearsal database). Kept inline (PLAIN) where it fits a page; only rows
 * written afterwards change, so this costs nothing on a table that holds rows.
 */
async function keepVectorsInline(db: Queryable, dimension: number): Promise<void> {
  if (dimension > PLAIN_MAX_DIMENSION) return;
  const { rows } = await db.query<{ attstorage: string }>(
    `SELECT attstorage FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'embedding'`,
    [`public.${TABLE}`],
  );
  if (rows[0]?.attstorage !== 'p') await db.query(`ALTER TABLE ${TABLE} ALTER COLUMN embedding SET STORAGE PLAIN`);
}

/** Builds the embedding index when missing or stale; returns IVFFlat's lists (undefined for HNSW). */
async function ensureEmbeddingIndex(db: Queryable, desired: DesiredSchema): Promise<number | undefined> {
  const live = await readSchema(db);
  const wrongKind = live.embeddingIndex !== null && live.embeddingIndex !== desired.index;
  const stale = schemaChanges(live, desired).some((c) => c.field === 'ivfflat lists');
  if (wrongKind || stale) await db.query(`DROP INDEX IF EXISTS ${EMBEDDING_INDEX}`);
  if (live.embeddingIndex === desired.index && !stale) return live.lists ?? undefined;
  const lists = ivfLists(live.rows);
  const using =
    desired.index === 'hnsw'
      ? 'hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)'
      : `ivfflat (embedding vector_cosine_ops) WITH (lists = ${lists})`;
  await db.query(`CREATE INDEX IF NOT EXISTS ${EMBEDDING_INDEX} ON ${TABLE} USING ${using}`);
  return desired.index === 'ivfflat' ? lists : undefined;
}
