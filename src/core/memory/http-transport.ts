/**
 * The Orchestra Memory API over HTTP (docs/memory-api.md), with a keep-alive
 * agent per client: `poolSize` sockets reused across calls, so a busy copy does
 * not pay a TCP handshake per record.
 *
 * Requests go through node:http directly rather than node-fetch: measured against
 * the local server, node-fetch 2 doubled the client's CPU per call (its Request,
 * Headers and stream-backed Body), which alone put the client below half the
 * throughput of a bare keep-alive client (bench/memory-client.bench.ts).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { MemoryConnectionError, MemoryHttpError, MemoryProtocolError } from './errors';
import { NEVER_ABORTED } from '../resilience/policy';
import { CallTimeoutError } from '../resilience/transient';
import type { CallContext, MemoryTransport, TransportStatus, WriteOperation } from './transport';
import type { JsonValue, ListPage, MemoryRecord } from './types';

export interface HttpTransportOptions {
  endpoint: string;
  apiKey?: string;
  poolSize: number;
  /** Test hook: a fresh connection per call (the unpooled baseline of the benchmark). */
  keepAlive?: boolean;
  /** Extra trusted CA certificates (PEM) for https endpoints: a corporate proxy, or the sandbox's own. */
  ca?: string | Buffer;
  /**
   * The usual per-call timeout, armed once per socket by the agent: re-arming a socket
   * timer on every request cost about a tenth of the client's throughput (benchmark).
   */
  timeoutMs?: number;
}

interface Response {
  status: number;
  text: string;
}

interface ErrorBody {
  error?: { code?: string; message?: string };
}

export class HttpMemoryTransport implements MemoryTransport {
  readonly kind = 'http' as const;
  /** Bounded on the socket (see send): cheaper per call than an abort signal and a timer. */
  readonly timeout = 'delegated' as const;
  readonly endpoint: string;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly url: URL;
  private readonly hostname: string;
  private readonly basePath: string;
  private readonly request: typeof http.request;
  private readonly socketTimeoutMs: number | undefined;

  constructor(options: HttpTransportOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    const url = new URL(this.endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new MemoryProtocolError('MEMORY_BAD_ENDPOINT', `memory endpoint ${this.endpoint} is not an http(s) URL`, {
        fix: 'set memory.endpoint to a URL such as http://127.0.0.1:8765',
      });
    }
    const keepAlive = options.keepAlive ?? true;
    const agentOptions = {
      keepAlive,
      maxSockets: Math.max(1, options.poolSize),
      maxFreeSockets: options.poolSize,
      ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
    };
    this.agent = url.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.request = url.protocol === 'https:' ? https.request : http.request;
    this.url = url;
    this.socketTimeoutMs = options.timeoutMs || undefined;
    this.hostname = url.hostname.replace(/^\[|\]$/g, '');
    this.basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
    this.headers = { accept: 'application/json' };
    if (options.apiKey) this.headers.authorization = `Bearer ${options.apiKey}`;
  }

  async get(key: string, call: CallContext): Promise<MemoryRecord | undefined> {
    const response = await this.call('GET', `/api/memory?key=${encodeURIComponent(key)}`, call);
    if (response.status === 404) {
      return undefined;
    }
    return toRecord(await this.json(response, 'GET /api/memory'));
  }

  async write(op: WriteOperation, call: CallContext): Promise<void> {
    const response =
      op.op === 'set'
        ? await this.call('POST', '/api/memory', call, setBody(op), op.id)
        : await this.call('DELETE', `/api/memory?key=${encodeURIComponent(op.key)}`, call, undefined, op.id);
    // A 404 on delete means the record is already gone: the outcome the caller wanted.
    if (op.op === 'delete' && response.status === 404) {
      return;
    }
    await this.json(response, `${op.op === 'set' ? 'POST' : 'DELETE'} /api/memory`);
  }

  async writeBatch(ops: WriteOperation[], call: CallContext): Promise<void> {
    const body = {
      ops: ops.map((op) =>
        op.op === 'set' ? { op: 'set', ...setBody(op), id: op.id } : { op: 'delete', key: op.key, id: op.id },
      ),
    };
    const response = await this.call('POST', '/api/memory/batch', call, body);
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
    call: CallContext,
  ): Promise<ListPage> {
    const query = new URLSearchParams({ prefix, limit: String(options.limit) });
    if (cursor) query.set('cursor', cursor);
    if (options.includeContent) query.set('include', 'content');
    const response = await this.call('GET', `/api/memory/keys?${query.toString()}`, call);
    if (response.status === 404 || response.status === 405 || response.status === 501) {
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

  async status(call: CallContext): Promise<TransportStatus> {
    const response = await this.call('GET', '/api/status', call);
    const body = (await this.json(response, 'GET /api/status')) as { features?: unknown };
    return { features: Array.isArray(body.features) ? body.features.filter((f) => typeof f === 'string') : [] };
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private async call(
    method: string,
    path: string,
    call: CallContext,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<Response> {
    // Reads share one headers object; only writes need their own.
    const headers: Record<string, string> = body === undefined && !idempotencyKey ? this.headers : { ...this.headers };
    const data = body === undefined ? undefined : JSON.stringify(body);
    if (data !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(data));
    }
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    try {
      return await this.send(method, path, headers, data, call);
    } catch (error) {
      if (call.signal.aborted || error instanceof CallTimeoutError) throw error;
      const code = (error as { code?: string }).code;
      throw new MemoryConnectionError(
        `cannot reach the memory server at ${this.endpoint} (${method} ${path.split('?')[0]}): ${code ?? (error as Error).message}`,
        { where: this.endpoint, fix: 'check that the server runs and memory.endpoint is right', cause: error },
      );
    }
  }

  private send(
    method: string,
    path: string,
    headers: Record<string, string>,
    data: string | undefined,
    call: CallContext,
  ): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      const req = this.request(
        {
          protocol: this.url.protocol,
          hostname: this.hostname,
          port: this.url.port,
          path: this.basePath + path,
          method,
          headers,
          agent: this.agent,
          // Wired only when someone can cancel: an abort listener per call is measurable.
          signal: call.signal === NEVER_ABORTED ? undefined : call.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
          res.on('aborted', () => reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
        },
      );
      req.on('error', reject);
      if (call.timeoutMs) {
        const timeoutMs = call.timeoutMs;
        // No byte for timeoutMs: give up (a paused or wedged server), a transient failure to retry.
        const giveUp = () => req.destroy(new CallTimeoutError(`${this.endpoint}${path.split('?')[0]}`, timeoutMs));
        // The agent's socket timer already has this bound: only listen for it.
        if (timeoutMs === this.socketTimeoutMs) req.once('timeout', giveUp);
        else req.setTimeout(timeoutMs, giveUp);
      }
      req.end(data);
    });
  }

  private async json(response: Response, what: string): Promise<unknown> {
    const text = response.text;
    const ok = response.status >= 200 && response.status < 300;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      if (ok) throw new MemoryProtocolError('MEMORY_BAD_ANSWER', `${this.endpoint} answered ${what} with non-JSON`);
    }
    if (ok) return body;
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
