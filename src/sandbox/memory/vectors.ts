/**
 * The local memory server's vector search (`POST /api/memory/search`): exact cosine
 * similarity over the records that carry `content.embedding`, read from the store at
 * query time, so it always agrees with the records. A text query is embedded with
 * the same deterministic vectors the Vertex AI emulator answers with (docs/emulator.md):
 * it exercises the path, not the meaning.
 */
import type { JsonValue } from '../../core/memory/types';
import { deterministicEmbedding } from '../gcp/apis/aiplatform';
import type { MemoryStore, StoredRecord } from './store';

export interface SearchRequest {
  query: string | number[];
  k: number;
  threshold: number;
  filter: Record<string, JsonValue>;
}

export interface SearchHit {
  key: string;
  score: number;
  content: JsonValue;
  scope?: string;
}

export class SearchError extends Error {}

const MAX_K = 1000;

export function parseSearch(body: unknown): SearchRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const query = b.query;
  const isVector = Array.isArray(query) && query.length > 0 && query.every((v) => typeof v === 'number');
  if (!(typeof query === 'string' && query.length > 0) && !isVector) {
    throw new SearchError('query must be a non-empty string or an array of numbers');
  }
  const k = b.k === undefined ? 10 : Number(b.k);
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new SearchError(`k must be an integer from 1 to ${MAX_K}`);
  const threshold = b.threshold === undefined ? -1 : Number(b.threshold);
  if (!Number.isFinite(threshold)) throw new SearchError('threshold must be a number (cosine similarity, -1 to 1)');
  const filter = b.filter ?? {};
  if (typeof filter !== 'object' || Array.isArray(filter) || filter === null) {
    throw new SearchError('filter must be an object of content fields to match');
  }
  return { query: query as string | number[], k, threshold, filter: filter as Record<string, JsonValue> };
}

function embeddingOf(record: StoredRecord): number[] | undefined {
  const content = record.content as { embedding?: unknown } | null;
  const e = content && typeof content === 'object' && !Array.isArray(content) ? content.embedding : undefined;
  return Array.isArray(e) && e.every((v) => typeof v === 'number') ? (e as number[]) : undefined;
}

function matches(record: StoredRecord, filter: Record<string, JsonValue>): boolean {
  const content = (record.content ?? {}) as Record<string, JsonValue>;
  return Object.entries(filter).every(([k, v]) =>
    k === 'scope' ? record.scope === v : JSON.stringify(content[k]) === JSON.stringify(v),
  );
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

export function searchStore(store: MemoryStore, request: SearchRequest): { results: SearchHit[]; mode: 'vector' } {
  const hits: SearchHit[] = [];
  let vector = Array.isArray(request.query) ? request.query : undefined;
  let cursor: string | undefined;
  do {
    const page = store.list('', cursor, 1000);
    for (const record of page.records) {
      const embedding = embeddingOf(record);
      if (!embedding || !matches(record, request.filter)) continue;
      vector ??= deterministicEmbedding(String(request.query), embedding.length);
      if (vector.length !== embedding.length) continue;
      const score = cosine(vector, embedding);
      if (score < request.threshold) continue;
      const { embedding: _e, ...rest } = record.content as Record<string, JsonValue>;
      hits.push({ key: record.key, score, content: rest, ...(record.scope ? { scope: record.scope } : {}) });
    }
    cursor = page.next;
  } while (cursor);
  hits.sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : 1));
  return { results: hits.slice(0, request.k), mode: 'vector' };
}
