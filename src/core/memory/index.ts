export { createMemoryClient, MAX_WRITE_BATCH, type MemoryClientOptions, type ResilientMemoryClient } from './client';
export {
  MemoryConnectionError,
  MemoryHttpError,
  MemoryProtocolError,
  MemoryUnavailableError,
  OutboxLockedError,
} from './errors';
export { HttpMemoryTransport, type HttpTransportOptions } from './http-transport';
export {
  ENTITY_TYPE,
  MCP_LIMITATIONS,
  McpMemoryTransport,
  REQUIRED_TOOLS,
  type McpTransportOptions,
} from './mcp-transport';
export { Outbox, type OutboxEntry } from './outbox';
export type { MemoryTransport, TransportStatus, WriteOperation } from './transport';
export type * from './types';
