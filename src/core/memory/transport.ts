/**
 * What the resilient client needs from a wire protocol. Transports throw; the
 * client decides about retries, the breaker, the cache and the outbox.
 */
import type { JsonValue, ListPage, MemoryRecord } from './types';

export interface WriteOperation {
  op: 'set' | 'delete';
  key: string;
  content?: JsonValue;
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
}

export interface MemoryTransport {
  readonly kind: 'http' | 'mcp-stdio' | 'mcp-http';
  readonly endpoint: string;
  get(key: string, signal: AbortSignal): Promise<MemoryRecord | undefined>;
  write(op: WriteOperation, signal: AbortSignal): Promise<void>;
  /** Applies the ops in order; present only where the server supports it. */
  writeBatch?(ops: WriteOperation[], signal: AbortSignal): Promise<void>;
  list(
    prefix: string,
    cursor: string | undefined,
    options: { limit: number; includeContent: boolean },
    signal: AbortSignal,
  ): Promise<ListPage>;
  status(signal: AbortSignal): Promise<TransportStatus>;
  close(): Promise<void>;
}
