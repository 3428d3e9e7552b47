/**
 * What the resilient client needs from a wire protocol. Transports throw; the
 * client decides about retries, the breaker, the cache and the outbox.
 */
import type {
  ChangeMark,
  ChangePage,
  JsonValue,
  ListPage,
  MemoryRecord,
  SearchOptions,
  SearchResult,
  StoreDigestInfo,
  TextPage,
} from './types';

export interface WriteOperation {
  op: 'set' | 'delete';
  key: string;
  content?: JsonValue;
  /**
   * `JSON.stringify(content)`, when the caller already made it (a bulk copy hashes it for
   * its idempotency ids): JSON transports send it as is instead of serializing again.
   * Never persisted (the outbox keeps `content`).
   */
  contentJson?: string;
  scope?: string;
  ttl?: number;
  /** Stable per write (kept in the outbox), so a server that knows idempotency keys applies a replay once. */
  id: string;
}

export interface TransportStatus {
  /** Extensions the server advertises (docs/memory-api.md): 'keys', 'include-content', 'batch', ... */
  features: string[];
  /** What this transport cannot keep, shown in health(). */
  limitations?: string;
  /** The head of the server's changes feed (extension `changes`). */
  changes?: ChangeMark;
  /** The server refuses writes (extension `read-only`). */
  readOnly?: boolean;
  /** Records the server holds, where it says (the Orchestra Memory API's status does). */
  records?: number;
  /** The server's own figures by the names it gives them (extension `stats`). */
  stats?: Record<string, number>;
}

/** Per call: the signal that cancels it, and (delegated timeout) how long it may take. */
export interface CallContext {
  signal: AbortSignal;
  timeoutMs?: number;
}

export interface MemoryTransport {
  /** How the per-call timeout is enforced: by the policy's signal, or by the transport itself. */
  readonly timeout: 'cooperative' | 'delegated';
  readonly kind: 'http' | 'mcp-stdio' | 'mcp-http';
  readonly endpoint: string;
  /**
   * Starts what the calls need (an MCP server process, its handshake), under a limit of its
   * own: run before a call's timeout starts, since a cold start can take longer than a call.
   */
  open?(signal?: AbortSignal): Promise<void>;
  get(key: string, call: CallContext): Promise<MemoryRecord | undefined>;
  write(op: WriteOperation, call: CallContext): Promise<void>;
  /** Applies the ops in order; present only where the server supports it. */
  writeBatch?(ops: WriteOperation[], call: CallContext): Promise<void>;
  list(
    prefix: string,
    cursor: string | undefined,
    options: {
      limit: number;
      includeContent: boolean;
      /**
       * The server takes `fields` (docs/memory-api.md): ask for the records' key, content,
       * scope and ttl only, and no separate keys array.
       */
      partial?: boolean;
    },
    call: CallContext,
  ): Promise<ListPage>;
  /** A page of records as JSON texts; present only where the server can serve it (ndjson). partial: ask for fields. */
  listTexts?(
    prefix: string,
    cursor: string | undefined,
    options: { limit: number; partial?: boolean },
    call: CallContext,
  ): Promise<TextPage>;
  /** Writes records given as JSON texts (from listTexts) through the batch route. */
  writeTexts?(texts: string[], ids: string[], call: CallContext): Promise<void>;
  /** Search, where the server offers it (the 'search' feature, or MCP's search_nodes). */
  search?(query: string | number[], options: Omit<SearchOptions, 'signal'>, call: CallContext): Promise<SearchResult>;
  status(call: CallContext): Promise<TransportStatus>;
  /** Present only where the server may offer the extensions `digest`, `changes`, `read-only`. */
  digest?(call: CallContext): Promise<StoreDigestInfo>;
  changes?(since: ChangeMark, limit: number, call: CallContext): Promise<ChangePage>;
  setReadOnly?(readOnly: boolean, call: CallContext): Promise<void>;
  close(): Promise<void>;
}
