/**
 * The contract of the memory (MCP) client, shared by both transports and by the
 * migration's memory copy. Values are JSON.
 */
import type { BreakerStateName } from '../resilience/registry';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface MemoryRecord {
  key: string;
  content: JsonValue;
  scope?: string;
  /** Seconds to live, as the Orchestra Memory API takes it. */
  ttl?: number;
  updatedAt?: string;
  /** True when served from the last known value because the server is unreachable. */
  stale?: boolean;
}

export interface SetOptions {
  scope?: string;
  ttl?: number;
  signal?: AbortSignal;
  /**
   * A stable id for this write. A server that honours idempotency keys applies a
   * given id once, so a caller resuming after a crash (a checkpointed copy, say)
   * can re-issue writes it is unsure about without applying them twice.
   */
  idempotencyKey?: string;
}

/** One record of a batched write (`setMany`). */
export interface SetManyRecord {
  key: string;
  content: JsonValue;
  /**
   * `JSON.stringify(content)`, when the caller has it already (the memory copy hashes it
   * for its idempotency ids): sent as is, so the content is not serialized twice.
   */
  contentJson?: string;
  scope?: string;
  ttl?: number;
  /** As in SetOptions; the client makes one when absent, fixed before the first attempt so retries reuse it. */
  idempotencyKey?: string;
}

export interface SetManyOptions {
  signal?: AbortSignal;
  /**
   * false for bulk loads (the memory copy): the records are not kept as last known values,
   * so they do not push the values of keys this client reads out of its small cache. A
   * cached value of a written key is dropped rather than left stale.
   */
  remember?: boolean;
}

export interface DeleteOptions {
  signal?: AbortSignal;
  idempotencyKey?: string;
}

export interface ListOptions {
  limit?: number;
  /**
   * Ask for the records (key, content, scope, ttl) with the keys, where the transport can.
   * Their updatedAt is left out where the server can trim answers (its `fields` feature).
   */
  includeContent?: boolean;
  signal?: AbortSignal;
}

export interface TextListOptions {
  limit: number;
  signal?: AbortSignal;
}

export interface ListPage {
  keys: string[];
  /** Present when includeContent was asked and honoured. */
  records?: MemoryRecord[];
  /** Absent on the last page. */
  cursor?: string;
}

/** A page of records as JSON texts (`listTexts`), each exactly as the server serialized it. */
export interface TextPage {
  /** One JSON object text per record: `{"key":...,"content":...}`, with `scope` and `ttl` when set. */
  texts: string[];
  /** Absent on the last page. */
  cursor?: string;
}

export interface WriteResult {
  /** True when the write went to the durable outbox (breaker open) instead of the server. */
  queued: boolean;
}

/** A store's record count and digest (src/core/memory/digest.ts), as its server computed them. */
export interface StoreDigestInfo {
  records: number;
  digest: string;
}

/** A position in a server's changes feed: the epoch names the numbering, seq the last change seen. */
export interface ChangeMark {
  epoch: string;
  seq: number;
}

/** A key's latest change after a mark: a set (with the record) or a delete. */
export interface MemoryChange {
  op: 'set' | 'delete';
  key: string;
  seq: number;
  /** The change that created the key: above the reader's mark, the key is new since then. */
  createdSeq: number;
  record?: MemoryRecord;
}

export interface ChangePage {
  changes: MemoryChange[];
  /** The mark to read from next (after the last page: the mark to keep). */
  next: ChangeMark;
  more: boolean;
}

export type { BreakerStateName };

export interface MemoryHealth {
  ok: boolean;
  endpoint: string;
  transport: string;
  breaker: BreakerStateName;
  pendingWrites: number;
  latencyMs?: number;
  /** Records the server holds, when it says. */
  records?: number;
  /** The server's own figures by its names for them, when it reports any (extension `stats`). */
  stats?: Record<string, number>;
  message?: string;
}

export interface SearchOptions {
  /** Hits wanted (default 10). */
  k?: number;
  /** Least cosine similarity (vector search only). */
  threshold?: number;
  /** Content fields the hits must have, e.g. { agent: 'coder' } (`scope` matches the scope). */
  filter?: Record<string, JsonValue>;
  signal?: AbortSignal;
}

export interface SearchHit {
  key: string;
  /** Cosine similarity for vector search; absent for a text match. */
  score?: number;
  content: JsonValue;
  scope?: string;
}

export interface SearchResult {
  hits: SearchHit[];
  /**
   * 'vector': ranked by embedding similarity (the Orchestra Memory API's search route);
   * 'text': the server only matches text (the MCP reference server's search_nodes),
   * unranked, with threshold ignored.
   */
  mode: 'vector' | 'text';
}

export interface MemoryClient {
  get(key: string, options?: { signal?: AbortSignal }): Promise<MemoryRecord | undefined>;
  set(key: string, content: JsonValue, options?: SetOptions): Promise<WriteResult>;
  delete(key: string, options?: DeleteOptions): Promise<WriteResult>;
  /**
   * Writes many records, in order, with the same guarantees as `set` (retried, or queued
   * in the outbox while the breaker is open). Optional: transports and servers without a
   * batch route get per-record writes, and callers test for the method before using it.
   * One result per record, in order.
   */
  setMany?(records: SetManyRecord[], options?: SetManyOptions): Promise<WriteResult[]>;
  /**
   * Deletes many keys, in order, with the guarantees of `delete`, through the batch route
   * where the server has one. Optional, like setMany.
   */
  deleteMany?(
    keys: { key: string; idempotencyKey?: string }[],
    options?: { signal?: AbortSignal },
  ): Promise<WriteResult[]>;
  list(prefix?: string, cursor?: string, options?: ListOptions): Promise<ListPage>;
  /**
   * Optional bulk read: a page of records as their JSON texts, for a copy that passes them
   * to another client's `setTexts` without parsing them. Undefined when the server cannot
   * serve texts (the `ndjson` feature); `list` then does the same job.
   */
  listTexts?(prefix: string, cursor: string | undefined, options: TextListOptions): Promise<TextPage | undefined>;
  /**
   * Optional bulk write of records given as JSON texts (from a `listTexts` page), one
   * idempotency key each, with the guarantees of `setMany` (retried, or queued in the
   * outbox). The records are not kept as last known values (`remember: false`).
   */
  setTexts?(texts: string[], idempotencyKeys: string[], options?: { signal?: AbortSignal }): Promise<WriteResult[]>;
  /**
   * Optional (extension `digest`): the server's record count and store digest, so a copy
   * is verified without reading both stores. Undefined where the server does not offer it.
   */
  digest?(options?: { signal?: AbortSignal }): Promise<StoreDigestInfo | undefined>;
  /** Optional (extension `changes`): the feed's head now; undefined where the server has no feed. */
  changeMark?(options?: { signal?: AbortSignal }): Promise<ChangeMark | undefined>;
  /**
   * Optional (extension `changes`): what changed after `since`, each key once. Undefined
   * where the server has no feed; throws a MemoryHttpError with status 410 when the mark
   * is too old or from another epoch (read the whole store instead).
   */
  changes?(since: ChangeMark, options: { limit: number; signal?: AbortSignal }): Promise<ChangePage | undefined>;
  /** Optional (extension `read-only`): refuse (or accept again) writes; false where the server cannot. */
  setReadOnly?(readOnly: boolean, options?: { signal?: AbortSignal }): Promise<boolean>;
  /** Optional (extension `read-only`): whether the server refuses writes now; undefined where it cannot. */
  readOnlyMode?(options?: { signal?: AbortSignal }): Promise<boolean | undefined>;
  /**
   * Search the memory: a text, or an embedding (number[]) where the server searches
   * vectors. Behind its own circuit breaker and bulkhead: search is the expensive call,
   * and its failures must not stop key/value reads. Optional: absent where the server
   * has no search.
   */
  search?(query: string | number[], options?: SearchOptions): Promise<SearchResult>;
  health(): Promise<MemoryHealth>;
  /** Replays the outbox now; resolves with the number of writes delivered. */
  flush(): Promise<number>;
  close(): Promise<void>;
}
