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
 * Entities other agents wrote (another type) and relations are records too, so a store
 * written by others copies whole and `get` sees it: an entity as
 * `{"$mcp":"entity","entityType":...,"observations":[...]}` under its name, a relation as
 * `{"$mcp":"relation","from":...,"relationType":...,"to":...}` under
 * `$mcp-relation:["from","relationType","to"]`. Writing such a record to an MCP server
 * makes the native entity or relation again (observations in order), so MCP -> MCP is
 * faithful and a copy through the Orchestra Memory API comes back the same.
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
  /** How long the start (process, handshake, tool list) may take; DEFAULT_START_TIMEOUT_MS when unset. */
  startTimeoutMs?: number;
}

/** A cold `npx -y` start downloads the server's package first: tens of seconds on a slow network. */
export const DEFAULT_START_TIMEOUT_MS = 60_000;

interface Entity {
  name: string;
  entityType: string;
  observations: string[];
}

interface Relation {
  from: string;
  to: string;
  relationType: string;
}

interface Graph {
  entities?: Entity[];
  relations?: Relation[];
}

/** Keys of relation records: the prefix, then `["from","relationType","to"]`. */
export const RELATION_PREFIX = '$mcp-relation:';
/** Tools a server needs to hold relations (not required to hold our own records). */
const RELATION_TOOLS = ['create_relations', 'delete_relations'];

/** The key of a relation's record. */
export function relationKey(r: Relation): string {
  return RELATION_PREFIX + JSON.stringify([r.from, r.relationType, r.to]);
}

/** The content of a foreign entity's record (entityType and observations, in order). */
export function entityContent(e: Entity): JsonValue {
  return { $mcp: 'entity', entityType: e.entityType, observations: [...e.observations] };
}

export function relationContent(r: Relation): JsonValue {
  return { $mcp: 'relation', from: r.from, relationType: r.relationType, to: r.to };
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
  /** The open Streamable HTTP transport: its session is ended (DELETE) on close. */
  private http: { terminateSession(): Promise<void>; sessionId?: string } | undefined;
  private tools = new Set<string>();
  private readonly connecting = new SingleFlight(() => this.handshake());
  /** The session being started, so close() can end it before it is up. */
  private starting: { client: Client; http?: { terminateSession(): Promise<void>; sessionId?: string } } | undefined;
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
      const relation = parseRelationKey(key, this.endpoint);
      if (relation) {
        const graph = (await this.tool('open_nodes', { names: [relation.from, relation.to] }, signal)) as Graph;
        const found = (graph.relations ?? []).find((r) => relationKey(r) === key);
        return found ? { key, content: relationContent(found) } : undefined;
      }
      const entity = await this.openEntity(key, signal);
      return entity ? toRecord(entity) : undefined;
    });
  }

  write(op: WriteOperation, { signal }: CallContext): Promise<void> {
    return this.serial(signal, async () => {
      const relation = parseRelationKey(op.key, this.endpoint);
      if (relation) return this.writeRelation(op, relation, signal);
      const native = op.op === 'set' ? asEntity(op.key, op.content) : undefined;
      if (native) return this.writeEntity(native, signal);
      const existing = await this.openEntity(op.key, signal, op.op === 'set' ? 'refuse' : 'any');
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

  /** Every entity (ours and others') and every relation, as records in key order. */
  list(
    prefix: string,
    cursor: string | undefined,
    options: { limit: number; includeContent: boolean },
    { signal }: CallContext,
  ): Promise<ListPage> {
    return this.serial(signal, async () => {
      const graph = (await this.tool('read_graph', {}, signal)) as Graph;
      const after = cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : undefined;
      const keep = (key: string) => key.startsWith(prefix) && (after === undefined || key > after);
      const all: MemoryRecord[] = [];
      for (const e of graph.entities ?? []) if (keep(e.name)) all.push(toRecord(e));
      for (const r of graph.relations ?? []) {
        const key = relationKey(r);
        if (keep(key)) all.push({ key, content: relationContent(r) });
      }
      all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const page = all.slice(0, options.limit);
      const more = all.length > page.length;
      return {
        keys: page.map((r) => r.key),
        ...(options.includeContent ? { records: page } : {}),
        ...(more ? { cursor: Buffer.from(page[page.length - 1].key).toString('base64url') } : {}),
      };
    });
  }

  /** A relation record: created (the server ignores a duplicate) or deleted. */
  private async writeRelation(op: WriteOperation, relation: Relation, signal: AbortSignal): Promise<void> {
    if (op.op === 'set') {
      const given = asRelation(op.content);
      if (!given || relationKey(given) !== op.key) {
        throw new MemoryProtocolError(
          'MEMORY_BAD_RECORD',
          `record '${op.key}' is named as a knowledge-graph relation but its content is not that relation`,
          {
            where: this.endpoint,
            fix: `keys starting with ${RELATION_PREFIX} hold {"$mcp":"relation","from","relationType","to"} matching the key`,
          },
        );
      }
    }
    await this.requireTools(RELATION_TOOLS, 'relations', signal);
    const name = op.op === 'set' ? 'create_relations' : 'delete_relations';
    await this.tool(name, { relations: [relation] }, signal);
  }

  /**
   * A foreign entity record: the native entity of that type with exactly those observations,
   * in order. A change of type recreates the entity and puts its relations back (deleting an
   * entity deletes its relations).
   */
  private async writeEntity(entity: Entity, signal: AbortSignal): Promise<void> {
    const graph = (await this.tool('open_nodes', { names: [entity.name] }, signal)) as Graph;
    const existing = (graph.entities ?? []).find((e) => e.name === entity.name);
    if (!existing) {
      await this.tool('create_entities', { entities: [entity] }, signal);
      return;
    }
    if (existing.entityType !== entity.entityType) {
      const relations = (graph.relations ?? []).filter((r) => r.from === entity.name || r.to === entity.name);
      await this.tool('delete_entities', { entityNames: [entity.name] }, signal);
      await this.tool('create_entities', { entities: [entity] }, signal);
      if (relations.length > 0) {
        await this.requireTools(RELATION_TOOLS, 'relations', signal);
        await this.tool('create_relations', { relations }, signal);
      }
      return;
    }
    if (JSON.stringify(existing.observations) === JSON.stringify(entity.observations)) return;
    // All out, then all in: add_observations appends, so this is the only way to keep the order.
    if (existing.observations.length > 0) {
      await this.tool(
        'delete_observations',
        { deletions: [{ entityName: entity.name, observations: existing.observations }] },
        signal,
      );
    }
    if (entity.observations.length > 0) {
      await this.tool(
        'add_observations',
        { observations: [{ entityName: entity.name, contents: entity.observations }] },
        signal,
      );
    }
  }

  /** The target cannot hold what it is given: said plainly, not retried. */
  private async requireTools(names: string[], what: string, signal: AbortSignal): Promise<void> {
    await this.connect(signal);
    const missing = names.filter((n) => !this.tools.has(n));
    if (missing.length === 0) return;
    throw new MemoryProtocolError(
      'MEMORY_MCP_TOOLS_MISSING',
      `the MCP server at ${this.endpoint} cannot hold knowledge-graph ${what}: it lacks ${missing.join(', ')}`,
      { where: this.endpoint, fix: 'copy to @modelcontextprotocol/server-memory or a server with the relation tools' },
    );
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

  /** Ends the session: a Streamable HTTP session is deleted on the server (DELETE), a stdio child ended. */
  async close(): Promise<void> {
    const client = this.client;
    const http = this.http;
    const starting = this.starting;
    this.client = undefined;
    this.http = undefined;
    this.starting = undefined;
    this.connecting.forget();
    await endSession(client, http);
    // A server still starting (a start past its limit goes on in the background) ends too.
    await endSession(starting?.client, starting?.http);
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

  /**
   * The entity named `key`: 'read' gives any type (a foreign one as it is), 'any' too (a
   * delete removes whatever holds the name), 'refuse' throws on a foreign one (a plain set
   * must not turn another agent's entity into ours).
   */
  private async openEntity(
    key: string,
    signal: AbortSignal,
    foreign: 'read' | 'any' | 'refuse' = 'read',
  ): Promise<Entity | undefined> {
    const graph = (await this.tool('open_nodes', { names: [key] }, signal)) as Graph;
    const entity = (graph.entities ?? []).find((e) => e.name === key);
    if (!entity) return undefined;
    if (entity.entityType !== ENTITY_TYPE) {
      if (foreign !== 'refuse') return entity;
      throw new MemoryProtocolError(
        'MEMORY_FOREIGN_ENTITY',
        `the MCP memory server already has an entity '${key}' of type '${entity.entityType}', not ${ENTITY_TYPE}; refusing to overwrite it`,
        {
          where: this.endpoint,
          fix: `use another key, write it as {"$mcp":"entity","entityType":...,"observations":[...]}, or remove that entity from the knowledge graph`,
        },
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

  /**
   * Starts the server (or connects to it) once, bounded by startTimeoutMs rather than the
   * per-call timeout; the client runs it before each call's timeout starts. A start that
   * takes too long fails naming the command and the limit; it goes on in the background,
   * and a later call uses it once it is up.
   */
  async open(signal?: AbortSignal): Promise<void> {
    if (this.client) return;
    const limitMs = this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const started = this.connecting.run();
    try {
      await Promise.race([
        started,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(this.startTimedOut(limitMs)), limitMs);
          onAbort = () => reject(signal!.reason);
          signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      // Whoever waits later sees its outcome; nobody may be waiting now.
      started.catch(() => undefined);
    }
  }

  private startTimedOut(limitMs: number): MemoryConnectionError {
    const what = this.kind === 'mcp-stdio' ? `the command '${this.endpoint.slice('stdio:'.length)}'` : this.endpoint;
    return new MemoryConnectionError(
      `MCP memory server ${this.endpoint}: ${what} did not start and answer within ${limitMs / 1000} s (memory.startTimeoutMs)`,
      {
        where: 'memory.startTimeoutMs',
        fix:
          this.kind === 'mcp-stdio'
            ? 'run the command once by hand (a first npx start downloads the package), or raise memory.startTimeoutMs'
            : 'check the server is up at that URL, or raise memory.startTimeoutMs',
      },
    );
  }

  private async connect(signal: AbortSignal): Promise<Client> {
    if (this.client) return this.client;
    const client = await this.connecting.run();
    signal.throwIfAborted();
    return client;
  }

  private async handshake(): Promise<Client> {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const client = new Client({ name: 'orchestra-migrate', version: '0.1.0' }, { capabilities: {} });
    const transport = await this.createTransport();
    const http = 'terminateSession' in transport ? transport : undefined;
    const starting = { client, http };
    this.starting = starting;
    let closedMeanwhile = false;
    try {
      await client.connect(transport);
    } catch (error) {
      await endSession(client, http);
      throw (await this.otherProtocol(error)) ?? this.connectionError('cannot connect', error);
    } finally {
      closedMeanwhile = this.starting !== starting;
      if (!closedMeanwhile) this.starting = undefined;
    }
    if (closedMeanwhile) {
      await endSession(client, http);
      throw this.connectionError('cannot connect', new Error('the client was closed while the server started'));
    }
    client.onclose = () => {
      // The server process exited or the stream closed: reconnect on the next call.
      if (this.client === client) this.client = undefined;
    };
    let names: Set<string>;
    try {
      names = new Set((await client.listTools()).tools.map((t) => t.name));
    } catch (error) {
      await endSession(client, http);
      throw this.connectionError('cannot list its tools', error);
    }
    const missing = REQUIRED_TOOLS.filter((t) => !names.has(t));
    if (missing.length > 0) {
      await endSession(client, http);
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
    this.http = http;
    this.tools = names;
    return client;
  }

  /**
   * An MCP connect that failed against a server speaking the Orchestra Memory API (its
   * GET /api/status answers): named at once, with the fix, instead of retried as an outage.
   */
  private async otherProtocol(error: unknown): Promise<MemoryProtocolError | undefined> {
    if (this.options.kind !== 'mcp-http' || !this.options.endpoint) return undefined;
    const base = this.options.endpoint.replace(/\/+$/, '');
    for (const url of new Set([`${base}/api/status`, new URL('/api/status', base).href])) {
      if (await answersMemoryApi(url, this.options.apiKey)) {
        return new MemoryProtocolError(
          'MEMORY_PROTOCOL_MISMATCH',
          `${this.endpoint} speaks the Orchestra Memory API, not MCP (its ${url} answers; the MCP handshake failed: ${(error as Error)?.message ?? error})`,
          {
            where: this.endpoint,
            fix: 'set this store\'s transport to "http" (memory.transport, or memory.source/target.transport), or point it at the MCP server\'s Streamable HTTP URL',
            cause: error,
          },
        );
      }
    }
    return undefined;
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

function parseRelationKey(key: string, where: string): Relation | undefined {
  if (!key.startsWith(RELATION_PREFIX)) return undefined;
  let parts: unknown;
  try {
    parts = JSON.parse(key.slice(RELATION_PREFIX.length));
  } catch {
    // reported below
  }
  if (!Array.isArray(parts) || parts.length !== 3 || !parts.every((p) => typeof p === 'string')) {
    throw new MemoryProtocolError('MEMORY_BAD_RECORD', `'${key}' is not a relation key`, {
      where,
      fix: `a relation key is ${RELATION_PREFIX} followed by ["from","relationType","to"] as JSON`,
    });
  }
  const [from, relationType, to] = parts as string[];
  return { from, relationType, to };
}

function asRelation(content: JsonValue | undefined): Relation | undefined {
  const c = content as Record<string, JsonValue> | null | undefined;
  if (!c || typeof c !== 'object' || c.$mcp !== 'relation') return undefined;
  const { from, relationType, to } = c;
  if (typeof from !== 'string' || typeof relationType !== 'string' || typeof to !== 'string') return undefined;
  return { from, relationType, to };
}

/** A record written as a native entity of the graph, or undefined for one of our plain records. */
function asEntity(name: string, content: JsonValue | undefined): Entity | undefined {
  const c = content as Record<string, JsonValue> | null | undefined;
  if (!c || typeof c !== 'object' || Array.isArray(c) || c.$mcp !== 'entity') return undefined;
  const { entityType, observations } = c;
  if (typeof entityType !== 'string' || !Array.isArray(observations)) return undefined;
  if (!observations.every((o) => typeof o === 'string')) return undefined;
  return { name, entityType, observations: observations as string[] };
}

function toRecord(entity: Entity): MemoryRecord {
  if (entity.entityType !== ENTITY_TYPE) return { key: entity.name, content: entityContent(entity) };
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

async function endSession(
  client: Client | undefined,
  http: { terminateSession(): Promise<void>; sessionId?: string } | undefined,
): Promise<void> {
  // Without the DELETE the server keeps the session (and whatever it holds) until it restarts.
  if (http?.sessionId) await http.terminateSession().catch(() => undefined);
  await client?.close().catch(() => undefined);
}

/** True when `url` answers as the Orchestra Memory API's status route (2 s bound: a probe, not a call). */
async function answersMemoryApi(url: string, apiKey: string | undefined): Promise<boolean> {
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      signal: AbortSignal.timeout(2000),
    });
    const body = (await response.json().catch(() => undefined)) as { status?: unknown; features?: unknown } | undefined;
    return response.ok && typeof body === 'object' && body !== null && Array.isArray(body.features);
  } catch {
    return false;
  }
}
