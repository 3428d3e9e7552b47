/**
 * The Orchestra Memory API over HTTP (docs/memory-api.md), on node-fetch 2 with a
 * keep-alive agent per client: `poolSize` sockets reused across calls, so a busy
 * copy does not pay a TCP handshake per record.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import fetch, { type RequestInit, type Response } from 'node-fetch';
import { MemoryConnectionError, MemoryHttpError, MemoryProtocolError } from './errors';
import type { MemoryTransport, TransportStatus, WriteOperation } from './transport';
import type { JsonValue, ListPage, MemoryRecord } from './types';

export interface HttpTransportOptions {
  endpoint: string;
  apiKey?: string;
  poolSize: number;
  /** Test hook: a fresh connection per call (the unpooled baseline of the benchmark). */
  keepAlive?: boolean;
}

interface ErrorBody {
  error?: { code?: string; message?: string };
}

export class HttpMemoryTransport implements MemoryTransport {
  readonly kind = 'http' as const;
  readonly endpoint: string;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;

  constructor(options: HttpTransportOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    const url = new URL(this.endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new MemoryProtocolError('MEMORY_BAD_ENDPOINT', `memory endpoint ${this.endpoint} is not an http(s) URL`, {
        fix: 'set memory.endpoint to a URL such as http://127.0.0.1:8765',
      });
    }
    const keepAlive = options.keepAlive ?? true;
    const agentOptions = { keepAlive, maxSockets: Math.max(1, options.poolSize), maxFreeSockets: options.poolSize };
    this.agent = url.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.headers = { accept: 'application/json' };
    if (options.apiKey) this.headers.authorization = `Bearer ${options.apiKey}`;
  }

  async get(key: string, signal: AbortSignal): Promise<MemoryRecord | undefined> {
    const response = await this.call('GET', `/api/memory?key=${encodeURIComponent(key)}`, signal);
    if (response.status === 404) {
      await response.text();
      return undefined;
    }
    return toRecord(await this.json(response, 'GET /api/memory'));
  }

  async write(op: WriteOperation, signal: AbortSignal): Promise<void> {
    const response =
      op.op === 'set'
        ? await this.call('POST', '/api/memory', signal, setBody(op), op.id)
        : await this.call('DELETE', `/api/memory?key=${encodeURIComponent(op.key)}`, signal, undefined, op.id);
    // A 404 on delete means the record is already gone: the outcome the caller wanted.
    if (op.op === 'delete' && response.status === 404) {
      await response.text();
      return;
    }
    await this.json(response, `${op.op === 'set' ? 'POST' : 'DELETE'} /api/memory`);
  }

  async writeBatch(ops: WriteOperation[], signal: AbortSignal): Promise<void> {
    const body = {
      ops: ops.map((op) =>
        op.op === 'set' ? { op: 'set', ...setBody(op), id: op.id } : { op: 'delete', key: op.key, id: op.id },
      ),
    };
    const response = await this.call('POST', '/api/memory/batch', signal, body);
    const result = (await this.json(response, 'POST /api/memory/batch')) as { results?: unknown[] };
    if (!Array.isArray(result.results) || result.results.length !== ops.length) {
      throw new MemoryProtocolError(
        'MEMORY_BAD_ANSWER',
        `${this.endpoint} answered a batch of ${ops.length} with a malformed result`,
      );
    }
  }

  async list(
    prefix: string,
    cursor: string | undefined,
    options: { limit: number; includeContent: boolean },
    signal: AbortSignal,
  ): Promise<ListPage> {
    const query = new URLSearchParams({ prefix, limit: String(options.limit) });
    if (cursor) query.set('cursor', cursor);
    if (options.includeContent) query.set('include', 'content');
    const response = await this.call('GET', `/api/memory/keys?${query.toString()}`, signal);
    if (response.status === 404 || response.status === 405 || response.status === 501) {
      await response.text();
      throw new MemoryProtocolError(
        'MEMORY_LIST_UNSUPPORTED',
        `the memory server at ${this.endpoint} cannot list keys`,
        {
          where: `${this.endpoint}/api/memory/keys`,
          fix: 'upgrade the server to one with GET /api/memory/keys (docs/memory-api.md), or copy by a known list of keys',
        },
      );
    }
    const body = (await this.json(response, 'GET /api/memory/keys')) as {
      keys?: unknown;
      records?: unknown;
      cursor?: unknown;
    };
    if (!Array.isArray(body.keys)) {
      throw new MemoryProtocolError(
        'MEMORY_BAD_ANSWER',
        `${this.endpoint}/api/memory/keys answered without a "keys" array`,
      );
    }
    return {
      keys: body.keys as string[],
      ...(options.includeContent && Array.isArray(body.records) ? { records: body.records.map(toRecord) } : {}),
      ...(typeof body.cursor === 'string' && body.cursor ? { cursor: body.cursor } : {}),
    };
  }

  async status(signal: AbortSignal): Promise<TransportStatus> {
    const response = await this.call('GET', '/api/status', signal);
    const body = (await this.json(response, 'GET /api/status')) as { features?: unknown };
    return { features: Array.isArray(body.features) ? body.features.filter((f) => typeof f === 'string') : [] };
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private async call(
    method: string,
    path: string,
    signal: AbortSignal,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<Response> {
    const headers: Record<string, string> = { ...this.headers };
    const init: RequestInit = { method, headers, agent: this.agent, signal: signal as RequestInit['signal'] };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    try {
      return await fetch(this.endpoint + path, init);
    } catch (error) {
      if (signal.aborted) throw error;
      const code = (error as { code?: string }).code;
      throw new MemoryConnectionError(
        `cannot reach the memory server at ${this.endpoint} (${method} ${path.split('?')[0]}): ${code ?? (error as Error).message}`,
        { where: this.endpoint, fix: 'check that the server runs and memory.endpoint is right', cause: error },
      );
    }
  }

  private async json(response: Response, what: string): Promise<unknown> {
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      if (response.ok)
        throw new MemoryProtocolError('MEMORY_BAD_ANSWER', `${this.endpoint} answered ${what} with non-JSON`);
    }
    if (response.ok) return body;
    const detail = (body as ErrorBody | undefined)?.error?.message ?? text.slice(0, 200);
    throw new MemoryHttpError(
      response.status,
      `memory server ${this.endpoint} answered ${what} with ${response.status}: ${detail}`,
      {
        where: this.endpoint,
        fix: fixFor(response.status),
      },
    );
  }
}

function setBody(op: WriteOperation): { key: string; content: JsonValue; scope?: string; ttl?: number } {
  return {
    key: op.key,
    content: op.content ?? null,
    ...(op.scope !== undefined ? { scope: op.scope } : {}),
    ...(op.ttl !== undefined ? { ttl: op.ttl } : {}),
  };
}

function toRecord(raw: unknown): MemoryRecord {
  const r = raw as Record<string, unknown>;
  if (typeof r !== 'object' || r === null || typeof r.key !== 'string') {
    throw new MemoryProtocolError('MEMORY_BAD_ANSWER', 'the memory server answered a record without a "key"');
  }
  return {
    key: r.key,
    content: (r.content ?? null) as JsonValue,
    ...(typeof r.scope === 'string' ? { scope: r.scope } : {}),
    ...(typeof r.ttl === 'number' ? { ttl: r.ttl } : {}),
    ...(typeof r.updatedAt === 'string' ? { updatedAt: r.updatedAt } : {}),
  };
}

function fixFor(status: number): string | undefined {
  if (status === 401 || status === 403)
    return 'store the right API key (Orchestra: Set Memory API Key, or ORCHESTRA_MEMORY_API_KEY)';
  if (status === 429 || status >= 500)
    return 'the server is overloaded or down; the client retries and queues writes meanwhile';
  return undefined;
}
