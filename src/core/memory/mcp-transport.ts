/**
 * The memory client over the Model Context Protocol, against knowledge-graph
 * memory servers such as @modelcontextprotocol/server-memory. A record is an
 * entity named by its key, of type `orchestra_memory`, whose observation holds
 * `{"orchestra":1,"content":...,"scope":...,"ttl":...,"updatedAt":...}` as JSON.
 *
 * What the mapping cannot keep: TTL (stored, never enforced: records do not
 * expire), scope (stored, not an access boundary), idempotency (the server cannot
 * tell a replayed write from a new one; a set or delete replayed is harmless
 * because both are idempotent on the value), and atomic updates (set = add the
 * new observation, then delete the old ones: a reader in between sees the newest).
 *
 * The SDK is loaded on first use so that activating the extension stays cheap.
 * Calls are serialised: the reference server reads and rewrites its whole file on
 * every tool call and would lose concurrent updates.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SingleFlight } from '../util/single-flight';
import { MemoryConnectionError, MemoryProtocolError } from './errors';
import type { CallContext, MemoryTransport, TransportStatus, WriteOperation } from './transport';
import type { JsonValue, ListPage, MemoryRecord, SearchOptions, SearchResult } from './types';

export const ENTITY_TYPE = 'orchestra_memory';
export const REQUIRED_TOOLS = [
  'create_entities',
  'add_observations',
  'delete_observations',
  'delete_entities',
  'open_nodes',
  'read_graph',
];
export const MCP_LIMITATIONS =
  'MCP mapping: TTL is stored but never enforced, scope is stored but is not an access boundary, replays are not de-duplicated';

export interface McpTransportOptions {
  kind: 'mcp-stdio' | 'mcp-http';
  /** mcp-http: the Streamable HTTP URL. */
  endpoint?: string;
  /** mcp-stdio: the server command, arguments, extra environment and working folder. */
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  apiKey?: string;
}

interface Entity {
  name: string;
  entityType: string;
  observations: string[];
}

interface Stored {
  orchestra: 1;
  content: JsonValue;
  scope?: string;
  ttl?: number;
  updatedAt: string;
}

export class McpMemoryTransport implements MemoryTransport {
  readonly kind: 'mcp-stdio' | 'mcp-http';
  readonly timeout = 'cooperative' as const;
  readonly endpoint: string;
  private client: Client | undefined;
  private readonly connecting = new SingleFlight(() => this.open());
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: McpTransportOptions) {
    this.kind = options.kind;
    if (options.kind === 'mcp-stdio') {
      if (!options.command) {
        throw new MemoryProtocolError(
          'MEMORY_BAD_ENDPOINT',
          'memory.transport is mcp-stdio but memory.command is empty',
          {
            fix: 'set memory.command (and memory.args) to the MCP memory server to start',
          },
        );
      }
      this.endpoint = `stdio:${[options.command, ...(options.args ?? [])].join(' ')}`;
    } else {
      if (!options.endpoint) {
        throw new MemoryProtocolError('MEMORY_BAD_ENDPOINT', 'memory.transport is mcp-http but no endpoint is set', {
          fix: 'set memory.endpoint to the Streamable HTTP URL of the MCP server, e.g. http://127.0.0.1:3001/mcp',
        });
      }
      this.endpoint = options.endpoint;
    }
  }

  get(key: string, { signal }: CallContext): Promise<MemoryRecord | undefined> {
    return this.serial(signal, async () => {
      const entity = await this.openEntity(key, signal);
      return entity ? toRecord(entity) : undefined;
    });
  }

  write(op: WriteOperation, { signal }: CallContext): Promise<void> {
    return this.serial(signal, async () => {
      const existing = await this.openEntity(op.key, signal, true);
      if (op.op === 'delete') {
        if (existing) await this.tool('delete_entities', { entityNames: [op.key] }, signal);
        return;
      }
      const observation = JSON.stringify({
        orchestra: 1,
        content: op.content ?? null,
        ...(op.scope !== undefined ? { scope: op.scope } : {}),
        ...(op.ttl !== undefined ? { ttl: op.ttl } : {}),
        updatedAt: new Date().toISOString(),
      } satisfies Stored);
      if (!existing) {
        await this.tool(
          'create_entities',
          { entities: [{ name: op.key, entityType: ENTITY_TYPE, observations: [observation] }] },
          signal,
        );
        return;
      }
      await this.tool('add_observations', { observations: [{ entityName: op.key, contents: [observation] }] }, signal);
      const old = existing.observations.filter((o) => o !== observation);
      if (old.length > 0) {
        await this.tool('delete_observations', { deletions: [{ entityName: op.key, observations: old }] }, signal);
      }
    });
  }

  list(
    prefix: string,
    cursor: string | undefined,
    options: { limit: number; includeContent: boolean },
    { signal }: CallContext,
  ): Promise<ListPage> {
    return this.serial(signal, async () => {
      const graph = (await this.tool('read_graph', {}, signal)) as { entities?: Entity[] };
      const after = cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : undefined;
      const ours = (graph.entities ?? [])
        .filter(
          (e) => e.entityType === ENTITY_TYPE && e.name.startsWith(prefix) && (after === undefined || e.name > after),
        )
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const page = ours.slice(0, options.limit);
      const more = ours.length > page.length;
      return {
        keys: page.map((e) => e.name),
        ...(options.includeContent ? { records: page.map(toRecord) } : {}),
        ...(more ? { cursor: Buffer.from(page[page.length - 1].name).toString('base64url') } : {}),
      };
    });
  }

  /**
   * The reference server's `search_nodes`: a text match over names, types and
   * observations, unranked. Reported as mode 'text'; an embedding cannot be searched.
   */
  search(
    query: string | number[],
    options: Omit<SearchOptions, 'signal'>,
    { signal }: CallContext,
  ): Promise<SearchResult> {
    if (typeof query !== 'string') {
      return Promise.reject(
        new MemoryProtocolError(
          'MEMORY_NO_VECTOR_SEARCH',
          `the MCP memory server at ${this.endpoint} searches text only`,
          {
            where: this.endpoint,
            fix: 'search with a text query, or use the Orchestra Memory API for vector search',
          },
        ),
      );
    }
    return this.serial(signal, async () => {
      const graph = (await this.tool('search_nodes', { query }, signal)) as { entities?: Entity[] };
      const filter = Object.entries(options.filter ?? {});
      const hits = (graph.entities ?? [])
        .filter((e) => e.entityType === ENTITY_TYPE)
        .map(toRecord)
        .filter((r) =>
          filter.every(([k, v]) =>
            k === 'scope'
              ? r.scope === v
              : JSON.stringify((r.content as Record<string, JsonValue> | null)?.[k]) === JSON.stringify(v),
          ),
        )
        .slice(0, options.k ?? 10)
        .map((r) => ({ key: r.key, content: r.content, ...(r.scope !== undefined ? { scope: r.scope } : {}) }));
      return { hits, mode: 'text' as const };
    });
  }

  status({ signal }: CallContext): Promise<TransportStatus> {
    return this.serial(signal, async () => {
      await this.connect(signal);
      return { features: ['keys', 'include-content'], limitations: MCP_LIMITATIONS };
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.connecting.forget();
    await client?.close().catch(() => undefined);
  }

  /** One call at a time, in the order asked. */
  private serial<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(() => {
      signal.throwIfAborted();
      return fn();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async openEntity(key: string, signal: AbortSignal, anyType = false): Promise<Entity | undefined> {
    const graph = (await this.tool('open_nodes', { names: [key] }, signal)) as { entities?: Entity[] };
    const entity = (graph.entities ?? []).find((e) => e.name === key);
    if (!entity) return undefined;
    if (entity.entityType !== ENTITY_TYPE) {
      if (!anyType) return undefined;
      throw new MemoryProtocolError(
        'MEMORY_FOREIGN_ENTITY',
        `the MCP memory server already has an entity '${key}' of type '${entity.entityType}', not ${ENTITY_TYPE}; refusing to overwrite it`,
        { where: this.endpoint, fix: 'use another key, or remove that entity from the knowledge graph' },
      );
    }
    return entity;
  }

  private async tool(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const client = await this.connect(signal);
    let result: Awaited<ReturnType<Client['callTool']>>;
    try {
      result = await client.callTool({ name, arguments: args }, undefined, { signal });
    } catch (error) {
      if (signal.aborted) throw error;
      const code = (error as { code?: unknown }).code;
      // -32000 connection closed, -32001 request timeout: the path failed. Others are protocol errors.
      if (this.client === client && typeof code === 'number' && code !== -32000 && code !== -32001) {
        throw new MemoryProtocolError(
          'MEMORY_TOOL_ERROR',
          `MCP tool ${name} at ${this.endpoint} failed: ${(error as Error).message}`,
          {
            where: this.endpoint,
            cause: error,
          },
        );
      }
      throw this.connectionError(`tool ${name} failed`, error);
    }
    const text = Array.isArray(result.content)
      ? (result.content as { type: string; text?: string }[]).find((c) => c.type === 'text')?.text
      : undefined;
    if (result.isError) {
      throw new MemoryProtocolError(
        'MEMORY_TOOL_ERROR',
        `MCP tool ${name} at ${this.endpoint} failed: ${text ?? 'no detail'}`,
        {
          where: this.endpoint,
        },
      );
    }
    if (result.structuredContent) return result.structuredContent;
    try {
      return text ? JSON.parse(text) : {};
    } catch {
      return {};
    }
  }

  private async connect(signal: AbortSignal): Promise<Client> {
    if (this.client) return this.client;
    const client = await this.connecting.run();
    signal.throwIfAborted();
    return client;
  }

  private async open(): Promise<Client> {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const client = new Client({ name: 'orchestra-migrate', version: '0.1.0' }, { capabilities: {} });
    try {
      await client.connect(await this.createTransport());
    } catch (error) {
      await client.close().catch(() => undefined);
      throw this.connectionError('cannot connect', error);
    }
    client.onclose = () => {
      // The server process exited or the stream closed: reconnect on the next call.
      if (this.client === client) this.client = undefined;
    };
    const { tools } = await client.listTools();
    const names = new Set(tools.map((t) => t.name));
    const missing = REQUIRED_TOOLS.filter((t) => !names.has(t));
    if (missing.length > 0) {
      await client.close().catch(() => undefined);
      throw new MemoryProtocolError(
        'MEMORY_MCP_TOOLS_MISSING',
        `the MCP server at ${this.endpoint} lacks the tools ${missing.join(', ')}; it is not a knowledge-graph memory server`,
        {
          where: this.endpoint,
          fix: 'point memory.command at @modelcontextprotocol/server-memory or a compatible server',
        },
      );
    }
    this.client = client;
    return client;
  }

  private async createTransport() {
    if (this.options.kind === 'mcp-stdio') {
      const { StdioClientTransport, getDefaultEnvironment } = await import('@modelcontextprotocol/sdk/client/stdio.js');
      return new StdioClientTransport({
        command: this.options.command!,
        args: this.options.args ?? [],
        env: { ...getDefaultEnvironment(), ...this.options.env },
        cwd: this.options.cwd,
        stderr: 'pipe',
      });
    }
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const headers: Record<string, string> = this.options.apiKey
      ? { authorization: `Bearer ${this.options.apiKey}` }
      : {};
    return new StreamableHTTPClientTransport(new URL(this.options.endpoint!), { requestInit: { headers } });
  }

  private connectionError(what: string, error: unknown): MemoryConnectionError | MemoryProtocolError {
    if (error instanceof MemoryProtocolError) return error;
    return new MemoryConnectionError(
      `MCP memory server ${this.endpoint}: ${what}: ${(error as Error)?.message ?? error}`,
      {
        where: this.endpoint,
        cause: error,
      },
    );
  }
}

function toRecord(entity: Entity): MemoryRecord {
  for (let i = entity.observations.length - 1; i >= 0; i--) {
    try {
      const stored = JSON.parse(entity.observations[i]) as Stored;
      if (stored && stored.orchestra === 1) {
        return {
          key: entity.name,
          content: stored.content,
          ...(stored.scope !== undefined ? { scope: stored.scope } : {}),
          ...(stored.ttl !== undefined ? { ttl: stored.ttl } : {}),
          updatedAt: stored.updatedAt,
        };
      }
    } catch {
      // A hand-written observation of our entity type: skip it.
    }
  }
  return { key: entity.name, content: null };
}
