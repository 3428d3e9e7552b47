/**
 * Moves the memory's embeddings into memory_vectors: records that carry one
 * (`content.embedding`, an array of numbers) are copied as they are; the others
 * are embedded through Vertex AI when the configuration names a model. Page by
 * page from the source memory server, the cursor saved after each page, so a
 * stopped copy resumes there (rows are upserted: a page written twice is one
 * page). Then a verification pass compares an order-free checksum of the source's
 * vectors (as float32 bytes), ids and metadata with the table's.
 */
import { OrchestraError } from '../../errors';
import type { MemoryClient, MemoryRecord } from '../../memory/types';
import { rowHash, SetChecksum, tableChecksum, upsertRows, type VectorRow } from '../../vector/rows';
import { TABLE } from '../../vector/schema';
import type { Queryable } from '../../vector/store';
import { canonicalJson } from '../../util/canonical';
import type { StepContext } from '../types';
import { requireVectorStore, vectorConfig } from './connection';
import { embedTexts } from './embed';

export const VECTOR_COPY_STEP = 'memory-system/vector-copy';

export interface VectorCopyCheckpoint {
  cursor?: string;
  pages: number;
  copied: number;
  embedded: number;
  skipped: number;
  complete?: boolean;
}

export interface VectorCopyReport extends VectorCopyCheckpoint {
  checksum: string;
  rows: number;
}

interface Sorted {
  rows: VectorRow[];
  /** Records without an embedding: their id, metadata and the text to embed. */
  toEmbed: Array<{ contentId: string; metadata: Record<string, unknown>; text: string }>;
}

export function splitRecord(record: MemoryRecord): {
  row?: VectorRow;
  text: string;
  metadata: Record<string, unknown>;
} {
  const content = record.content;
  const isObject = content !== null && typeof content === 'object' && !Array.isArray(content);
  const { embedding, ...rest } = isObject ? (content as Record<string, unknown>) : { embedding: undefined };
  const metadata: Record<string, unknown> = isObject ? rest : { value: content };
  if (record.scope) metadata.scope = record.scope;
  const text =
    typeof rest.text === 'string' ? rest.text : typeof content === 'string' ? content : canonicalJson(metadata);
  if (Array.isArray(embedding) && embedding.every((v) => typeof v === 'number')) {
    return { row: { contentId: record.key, embedding: embedding as number[], metadata }, text, metadata };
  }
  return { text, metadata };
}

function sort(ctx: StepContext, records: MemoryRecord[]): Sorted {
  const dimension = vectorConfig(ctx).dimension;
  const out: Sorted = { rows: [], toEmbed: [] };
  for (const record of records) {
    const { row, text, metadata } = splitRecord(record);
    if (row && row.embedding.length !== dimension) {
      throw new OrchestraError(
        'WRONG_DIMENSION',
        `Memory record '${record.key}' carries an embedding of ${row.embedding.length} dimensions; memory_vectors takes ${dimension}.`,
        {
          where: VECTOR_COPY_STEP,
          fix: 'Set phases.memorySystem.vectorStore.dimension to the dimension of the stored embeddings (before the schema exists).',
        },
      );
    }
    if (row) out.rows.push(row);
    else out.toEmbed.push({ contentId: record.key, metadata, text });
  }
  return out;
}

async function pageOf(ctx: StepContext, source: MemoryClient, cursor: string | undefined) {
  const page = await source.list('', cursor, {
    includeContent: true,
    limit: ctx.config.phases.memorySystem.batchSize,
    signal: ctx.signal,
  });
  const records =
    page.records ?? (await Promise.all(page.keys.map((key) => source.get(key)))).filter((r): r is MemoryRecord => !!r);
  return { records, cursor: page.cursor };
}

async function copyPages(ctx: StepContext, source: MemoryClient, db: Queryable, cp: VectorCopyCheckpoint) {
  const model = vectorConfig(ctx).embeddingModel;
  do {
    const page = await pageOf(ctx, source, cp.cursor);
    const { rows, toEmbed } = sort(ctx, page.records);
    if (toEmbed.length && model) {
      const vectors = await embedTexts(
        ctx,
        toEmbed.map((r) => r.text),
      );
      toEmbed.forEach((r, i) => rows.push({ contentId: r.contentId, embedding: vectors[i], metadata: r.metadata }));
      cp.embedded += toEmbed.length;
    } else {
      cp.skipped += toEmbed.length;
    }
    await upsertRows(db, rows);
    cp.copied += rows.length;
    cp.pages++;
    cp.cursor = page.cursor;
    await ctx.saveCheckpoint({ ...cp });
    ctx.progress(cp.copied, cp.copied + (page.cursor ? 1 : 0), `${cp.copied} vectors`);
  } while (cp.cursor);
}

/** Re-reads the source: the checksum of every carried vector against the table's, and every embedded id present. */
async function verify(
  ctx: StepContext,
  source: MemoryClient,
  db: Queryable,
): Promise<{ checksum: string; rows: number }> {
  const expected = new SetChecksum();
  const carried: string[] = [];
  const embedded: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await pageOf(ctx, source, cursor);
    for (const record of page.records) {
      const { row } = splitRecord(record);
      if (row) {
        expected.add(rowHash(row.contentId, Float32Array.from(row.embedding), row.metadata));
        carried.push(row.contentId);
      } else embedded.push(record.key);
    }
    cursor = page.cursor;
  } while (cursor);
  const actual = await tableChecksum(db, carried);
  if (actual.hex !== expected.hex || actual.count !== expected.count) {
    throw new OrchestraError(
      'VECTOR_CHECKSUM_MISMATCH',
      `memory_vectors differs from the source: ${actual.count} of ${expected.count} carried vectors found, checksum ${actual.hex.slice(0, 12)} vs ${expected.hex.slice(0, 12)}.`,
      { where: VECTOR_COPY_STEP, fix: 'Reset the Memory System phase and run execute again to copy the vectors anew.' },
    );
  }
  const present = vectorConfig(ctx).embeddingModel
    ? Number(
        (
          await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${TABLE} WHERE content_id = ANY($1)`, [
            embedded,
          ])
        ).rows[0].n,
      )
    : 0;
  if (vectorConfig(ctx).embeddingModel && present !== embedded.length) {
    throw new OrchestraError(
      'VECTORS_MISSING',
      `${embedded.length - present} record(s) without an embedding are missing from memory_vectors.`,
      { where: VECTOR_COPY_STEP, fix: 'Run execute again: the copy resumes and embeds them.' },
    );
  }
  return { checksum: expected.hex, rows: carried.length + present };
}

export async function copyVectors(ctx: StepContext): Promise<VectorCopyReport> {
  const { source } = await ctx.memory();
  const db = await requireVectorStore(ctx, VECTOR_COPY_STEP);
  const saved = ctx.checkpoint() as VectorCopyCheckpoint | undefined;
  const cp: VectorCopyCheckpoint = saved ? { ...saved } : { pages: 0, copied: 0, embedded: 0, skipped: 0 };
  if (saved && !saved.complete)
    ctx.logger.info(`vector copy: resuming after ${saved.copied} vectors (page ${saved.pages})`);
  if (!cp.complete) {
    await copyPages(ctx, source, db, cp);
    cp.complete = true;
    await ctx.saveCheckpoint({ ...cp });
  }
  const { checksum, rows } = await verify(ctx, source, db);
  ctx.metric('vectors_copied', cp.copied);
  return { ...cp, checksum, rows };
}
