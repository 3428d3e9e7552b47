/**
 * The Orchestra Memory API over HTTP (docs/memory-api.md), on an undici connection
 * pool per client: `poolSize` keep-alive connections reused across calls, so a busy
 * copy does not pay a TCP (or TLS) handshake per record.
 *
 * Why undici rather than node-fetch or node:http: measured against the local server
 * (bench/memory-client.bench.ts), node-fetch 2 doubled the client's CPU per call, and
 * a bare node:http keep-alive client needs about half again the CPU per call of a bare
 * undici pool. undici is the Node.js project's own HTTP client (Node's fetch is built on
 * it); its timeouts run on coarse shared timers, so a per-call bound costs no timer per call.
 */
import { Pool } from 'undici';
import { BatchBodies, type BatchBody } from './batch-body';
import { MemoryConnectionError, MemoryHttpError, MemoryProtocolError } from './errors';
import { NEVER_ABORTED } from '../resilience/policy';
import { CallTimeoutError } from '../resilience/transient';
import type { CallContext, MemoryTransport, TransportStatus, WriteOperation } from './transport';
import type * as Memory from './types';

export interface HttpTransportOptions {
  endpoint: string;
  apiKey?: string;
  poolSize: number;
  /** Test hook: a fresh connection per call (the unpooled baseline of the benchmark). */
  keepAlive?: boolean;
  /** Extra trusted CA certificates (PEM) for https endpoints: a corporate proxy, or the sandbox's own. */
  ca?: string | Buffer;
  /** The usual per-call timeout: no answer (or no further byte of it) for this long gives up. */
  timeoutMs?: number;
}

const NDJSON_ACCEPT = { accept: 'application/x-ndjson' };
/** The digest call's own per-call bound: a server hashes its whole store on the first one. */
const DIGEST_TIMEOUT_MS = 120_000;
/** The header of an NDJSON list page that holds the next page's cursor. */
const NEXT_CURSOR_HEADER = 'orchestra-next-cursor';

/** The record fields a list with content asks for (`fields`, where the server lists that feature). */
const LIST_FIELDS = 'cursor,records(key,content,scope,ttl)';

interface Response {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

interface ErrorBody {
  error?: { code?: string; message?: string };
}

export class HttpMemoryTransport implements MemoryTransport {
  readonly kind = 'http' as const;
  /** Bounded by the pool's headers and body timeouts (see call): no abort signal or timer per call. */
  readonly timeout = 'delegated' as const;
  readonly endpoint: string;
  private readonly pool: Pool;
  private readonly headers: Record<string, string>;
  private readonly basePath: string;
  private readonly keepAlive: boolean;
  private readonly timeoutMs: number | undefined;
  private readonly bodies = new BatchBodies();
  private mcpProbe: Promise<boolean> | undefined;

  constructor(options: HttpTransportOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    const url = new URL(this.endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new MemoryProtocolError('MEMORY_BAD_ENDPOINT', `memory endpoint ${this.endpoint} is not an http(s) URL`, {
        fix: 'set memory.endpoint to a URL such as http://127.0.0.1:8765',
      });
    }
    this.keepAlive = options.keepAlive ?? true;
    this.timeoutMs = options.timeoutMs || undefined;
    this.pool = new Pool(url.origin, {
      connections: Math.max(1, options.poolSize),
      // undici's defaults are 300 s: a wedged server would hold a call for five minutes.
      ...(this.timeoutMs ? { headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs } : {}),
      ...(options.ca ? { connect: { ca: options.ca } } : {}),
    });
    this.basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
    this.headers = { accept: 'application/json' };
    if (options.apiKey) this.headers.authorization = `Bearer ${options.apiKey}`;
  }

  async get(key: string, call: CallContext): Promise<Memory.MemoryRecord | undefined> {
    const response = await this.call('GET', `/api/memory?key=${encodeURIComponent(key)}`, call);
    if (response.status === 404) {
      // The API's 404 says so in its JSON error; another server's page (an MCP server's router) is not "no record".
      if (!isApiError(response.text)) await this.refuseOtherProtocol(call);
      return undefined;
    }
    return toRecord(this.json(response, 'GET /api/memory'));
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
    this.json(response, `${op.op === 'set' ? 'POST' : 'DELETE'} /api/memory`);
  }

  async writeBatch(ops: WriteOperation[], call: CallContext): Promise<void> {
    // The body is joined from per-operation texts rather than serialized as one object:
    // content the caller already serialized (contentJson) is spliced in, not stringified
    // a second time, on a path that runs for every record of a bulk copy.
    const body = this.bodies.start().text('{"ops":[');
    for (let i = 0; i < ops.length; i++) body.text(i > 0 ? ',' : '').text(batchOperationJson(ops[i]));
    await this.sendBatch(body.text(']}'), ops.length, call);
  }

  /** POST /api/memory/batch of operations already serialized. */
  private async sendBatch(body: BatchBody, count: number, call: CallContext): Promise<void> {
    // Only a count is needed back (return=minimal, RFC 7240): the full answer, one outcome
    // per operation, is about as large as the request. A server that ignores the
    // preference answers in full, which is checked the same way.
    const response = await this.send('POST', '/api/memory/batch', call, body.bytes(), {
      prefer: 'return=minimal',
    });
    if (response.status >= 200 && response.status < 300) this.bodies.release(body);
    const result = this.json(response, 'POST /api/memory/batch') as { results?: unknown[]; count?: unknown };
    const answered = Array.isArray(result.results) ? result.results.length : result.count;
    if (answered !== count) {
      throw new MemoryProtocolError(
        'MEMORY_BAD_ANSWER',
        `${this.endpoint} answered a batch of ${count} with a malformed result`,
      );
    }
  }

  async list(
    prefix: string,
    cursor: string | undefined,
    options: { limit: number; includeContent: boolean; partial?: boolean },
    call: CallContext,
  ): Promise<Memory.ListPage> {
    const query = new URLSearchParams({ prefix, limit: String(options.limit) });
    if (cursor) query.set('cursor', cursor);
    if (options.includeContent) query.set('include', 'content');
    // Only what a MemoryRecord of a list keeps; the keys come from the records.
    if (options.includeContent && options.partial) query.set('fields', LIST_FIELDS);
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
    const body = this.json(response, 'GET /api/memory/keys') as {
      keys?: unknown;
      records?: unknown;
      cursor?: unknown;
    };
    const records = options.includeContent && Array.isArray(body.records) ? body.records.map(toRecord) : undefined;
    // A partial answer has no keys array: the records name them.
    const keys = Array.isArray(body.keys) ? (body.keys as string[]) : records?.map((r) => r.key);
    if (!keys) {
      throw new MemoryProtocolError(
        'MEMORY_BAD_ANSWER',
        `${this.endpoint}/api/memory/keys answered without a "keys" array`,
      );
    }
    return {
      keys,
      ...(records ? { records } : {}),
      ...(typeof body.cursor === 'string' && body.cursor ? { cursor: body.cursor } : {}),
    };
  }

  async listTexts(
    prefix: string,
    cursor: string | undefined,
    options: { limit: number; partial?: boolean },
    call: CallContext,
  ): Promise<Memory.TextPage> {
    const query = new URLSearchParams({ prefix, limit: String(options.limit), include: 'content' });
    if (cursor) query.set('cursor', cursor);
    if (options.partial) query.set('fields', LIST_FIELDS);
    const what = 'GET /api/memory/keys (NDJSON)';
    const response = await this.send('GET', `/api/memory/keys?${query.toString()}`, call, undefined, NDJSON_ACCEPT);
    if (response.status < 200 || response.status >= 300) this.json(response, what);
    const type = String(response.headers['content-type'] ?? '');
    if (!type.startsWith('application/x-ndjson')) {
      throw new MemoryProtocolError('MEMORY_BAD_ANSWER', `${this.endpoint} answered ${what} with ${type || 'no type'}`);
    }
    // NDJSON ends every line with \n (or \r\n); a last line without one is taken too.
    const texts = response.text.split('\n');
    if (texts[texts.length - 1] === '') texts.pop();
    // Each line is sent on as a batch operation: at least check that it is an object's text.
    for (let i = 0; i < texts.length; i++) {
      let t = texts[i];
      if (t.charCodeAt(t.length - 1) === 13) t = texts[i] = t.slice(0, -1);
      if (t.length < 3 || t.charCodeAt(0) !== 123 || t.charCodeAt(t.length - 1) !== 125) {
        throw new MemoryProtocolError(
          'MEMORY_BAD_ANSWER',
          `${this.endpoint} answered ${what} with line ${i + 1} not a JSON object: ${t.slice(0, 80) || '(an empty line)'}`,
        );
      }
    }
    const next = response.headers[NEXT_CURSOR_HEADER];
    return { texts, ...(typeof next === 'string' && next ? { cursor: next } : {}) };
  }

  async writeTexts(texts: string[], ids: string[], call: CallContext): Promise<void> {
    // Each record's text from listTexts becomes an operation by appending op and id to
    // it: the record is never parsed or serialized again. Appended, they come last, and
    // a JSON object's last duplicate name wins, so the text cannot override them.
    const body = this.bodies.start().text('{"ops":[');
    for (let i = 0; i < texts.length; i++) {
      // The text without its closing brace (the listing checked it ends with one).
      body.text(texts[i], 1).text(`,"op":"set","id":${JSON.stringify(ids[i])}}${i + 1 < texts.length ? ',' : ''}`);
    }
    await this.sendBatch(body.text(']}'), texts.length, call);
  }

  async search(
    query: string | number[],
    options: Omit<Memory.SearchOptions, 'signal'>,
    call: CallContext,
  ): Promise<Memory.SearchResult> {
    const response = await this.call('POST', '/api/memory/search', call, { query, ...options });
    const body = this.json(response, 'POST /api/memory/search') as {
      results?: Array<{ key: string; score?: number; content: Memory.JsonValue; scope?: string }>;
      mode?: string;
    };
    return { hits: body.results ?? [], mode: body.mode === 'text' ? 'text' : 'vector' };
  }

  async status(call: CallContext): Promise<TransportStatus> {
    const response = await this.call('GET', '/api/status', call);
    if (response.status >= 400 && response.status < 500 && !isApiError(response.text)) {
      await this.refuseOtherProtocol(call);
    }
    const body = this.json(response, 'GET /api/status') as {
      features?: unknown;
      changes?: unknown;
      readOnly?: unknown;
      records?: unknown;
      stats?: unknown;
    };
    const status: TransportStatus = {
      features: Array.isArray(body.features) ? body.features.filter((f) => typeof f === 'string') : [],
    };
    const mark = body.changes as Partial<Memory.ChangeMark> | undefined;
    if (typeof mark?.epoch === 'string' && typeof mark.seq === 'number')
      status.changes = { epoch: mark.epoch, seq: mark.seq };
    if (typeof body.readOnly === 'boolean') status.readOnly = body.readOnly;
    if (typeof body.records === 'number' && Number.isSafeInteger(body.records) && body.records >= 0)
      status.records = body.records;
    const stats = serverStats(body.stats);
    if (stats) status.stats = stats;
    return status;
  }

  async digest(call: CallContext): Promise<Memory.StoreDigestInfo> {
    const what = 'GET /api/memory/digest';
    // The first digest of a large store is computed then (seconds): a bound of its own.
    const timeoutMs = Math.max(call.timeoutMs ?? this.timeoutMs ?? 0, DIGEST_TIMEOUT_MS);
    const response = await this.call('GET', '/api/memory/digest', { ...call, timeoutMs });
    const body = this.json(response, what) as Partial<Memory.StoreDigestInfo>;
    if (typeof body.records !== 'number' || typeof body.digest !== 'string') {
      throw new MemoryProtocolError(
        'MEMORY_BAD_ANSWER',
        `${this.endpoint} answered ${what} without records and digest`,
      );
    }
    return { records: body.records, digest: body.digest };
  }

  async changes(since: Memory.ChangeMark, limit: number, call: CallContext): Promise<Memory.ChangePage> {
    const what = 'GET /api/memory/changes';
    const query = new URLSearchParams({ since: String(since.seq), epoch: since.epoch, limit: String(limit) });
    const body = this.json(await this.call('GET', `/api/memory/changes?${query.toString()}`, call), what) as {
      epoch?: unknown;
      changes?: unknown;
      next?: unknown;
      more?: unknown;
    };
    if (typeof body.epoch !== 'string' || !Array.isArray(body.changes) || typeof body.next !== 'number') {
      throw new MemoryProtocolError('MEMORY_BAD_ANSWER', `${this.endpoint} answered ${what} with a malformed page`);
    }
    return {
      changes: body.changes.map((raw: unknown) => {
        const c = raw as Record<string, unknown>;
        if ((c.op !== 'set' && c.op !== 'delete') || typeof c.key !== 'string' || typeof c.seq !== 'number') {
          throw new MemoryProtocolError(
            'MEMORY_BAD_ANSWER',
            `${this.endpoint} answered ${what} with a malformed change`,
          );
        }
        const createdSeq = typeof c.createdSeq === 'number' ? c.createdSeq : c.seq;
        const change = { op: c.op, key: c.key, seq: c.seq, createdSeq } as Memory.ChangePage['changes'][number];
        if (c.op === 'set') change.record = toRecord(c.record);
        return change;
      }),
      next: { epoch: body.epoch, seq: body.next },
      more: body.more === true,
    };
  }

  async setReadOnly(readOnly: boolean, call: CallContext): Promise<void> {
    this.json(await this.send('PUT', '/api/mode', call, JSON.stringify({ readOnly })), 'PUT /api/mode');
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }

  private call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    call: CallContext,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<Response> {
    return this.send(
      method,
      path,
      call,
      body === undefined ? undefined : JSON.stringify(body),
      idempotencyKey ? { 'idempotency-key': idempotencyKey } : undefined,
    );
  }

  /** One request with a body already serialized to JSON (or none). */
  private async send(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    call: CallContext,
    data?: string | Buffer,
    extraHeaders?: Record<string, string>,
  ): Promise<Response> {
    // Reads share one headers object; only writes need their own.
    const headers: Record<string, string> =
      data === undefined && !extraHeaders ? this.headers : { ...this.headers, ...extraHeaders };
    if (data !== undefined) headers['content-type'] = 'application/json';
    const timeoutMs = call.timeoutMs;
    try {
      const response = await this.pool.request({
        path: this.basePath + path,
        method,
        headers,
        body: data,
        // Wired only when someone can cancel: an abort listener per call is measurable.
        signal: call.signal === NEVER_ABORTED ? undefined : call.signal,
        // A connection per call when pooling is off (the benchmark's baseline).
        reset: !this.keepAlive,
        // The pool already has the usual bound; an unusual one is set for this call only.
        ...(timeoutMs && timeoutMs !== this.timeoutMs ? { headersTimeout: timeoutMs, bodyTimeout: timeoutMs } : {}),
      });
      const answer = { status: response.statusCode, text: await response.body.text(), headers: response.headers };
      if (answer.status >= 400 && answer.text.includes('"jsonrpc"'))
        throw this.otherProtocol(`answers ${path.split('?')[0]} in JSON-RPC`);
      return answer;
    } catch (error) {
      if (error instanceof MemoryProtocolError) throw error;
      if (call.signal.aborted) throw error;
      const code = (error as { code?: string }).code;
      // No answer in time: give up (a paused or wedged server), a transient failure to retry.
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        throw new CallTimeoutError(`${this.endpoint}${path.split('?')[0]}`, timeoutMs ?? this.timeoutMs ?? 0);
      }
      throw new MemoryConnectionError(
        `cannot reach the memory server at ${this.endpoint} (${method} ${path.split('?')[0]}): ${code ?? (error as Error).message}`,
        { where: this.endpoint, fix: 'check that the server runs and memory.endpoint is right', cause: error },
      );
    }
  }

  /**
   * Asks the endpoint, once, whether it is an MCP server (a JSON-RPC ping: a stateful
   * server refuses it without a session, so nothing is created); throws the mismatch if so.
   */
  private async refuseOtherProtocol(call: CallContext): Promise<void> {
    this.mcpProbe ??= this.send('POST', '', call, '{"jsonrpc":"2.0","id":"orchestra-probe","method":"ping"}', {
      accept: 'application/json, text/event-stream',
    }).then(
      (r) => r.text.includes('"jsonrpc"'),
      (error: unknown) => error instanceof MemoryProtocolError && error.code === 'MEMORY_PROTOCOL_MISMATCH',
    );
    if (await this.mcpProbe) throw this.otherProtocol('answers a JSON-RPC ping');
  }

  private otherProtocol(evidence: string): MemoryProtocolError {
    return new MemoryProtocolError(
      'MEMORY_PROTOCOL_MISMATCH',
      `${this.endpoint} speaks MCP (Model Context Protocol), not the Orchestra Memory API: it ${evidence}`,
      {
        where: this.endpoint,
        fix: 'set this store\'s transport to "mcp-http" (memory.transport, or memory.source/target.transport), or point it at the Orchestra Memory API\'s URL',
      },
    );
  }

  private json(response: Response, what: string): unknown {
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

/**
 * One operation of a batch body, as JSON.stringify would write it for
 * `{ op, key, content, scope, ttl, id }` (absent fields left out), with the content's
 * text taken from contentJson when the caller has it.
 */
function batchOperationJson(op: WriteOperation): string {
  const key = JSON.stringify(op.key);
  const id = JSON.stringify(op.id);
  if (op.op === 'delete') return `{"op":"delete","key":${key},"id":${id}}`;
  const content = op.contentJson ?? JSON.stringify(op.content ?? null);
  const scope = op.scope === undefined ? '' : `,"scope":${JSON.stringify(op.scope)}`;
  const ttl = op.ttl === undefined ? '' : `,"ttl":${JSON.stringify(op.ttl)}`;
  return `{"op":"set","key":${key},"content":${content}${scope}${ttl},"id":${id}}`;
}

function setBody(op: WriteOperation): { key: string; content: Memory.JsonValue; scope?: string; ttl?: number } {
  return {
    key: op.key,
    content: op.content ?? null,
    ...(op.scope !== undefined ? { scope: op.scope } : {}),
    ...(op.ttl !== undefined ? { ttl: op.ttl } : {}),
  };
}

function toRecord(raw: unknown): Memory.MemoryRecord {
  const r = raw as Record<string, unknown>;
  if (typeof r !== 'object' || r === null || typeof r.key !== 'string') {
    throw new MemoryProtocolError('MEMORY_BAD_ANSWER', 'the memory server answered a record without a "key"');
  }
  // Assigned, not spread: a list page maps hundreds of these.
  const record: Memory.MemoryRecord = { key: r.key, content: (r.content ?? null) as Memory.JsonValue };
  if (typeof r.scope === 'string') record.scope = r.scope;
  if (typeof r.ttl === 'number') record.ttl = r.ttl;
  if (typeof r.updatedAt === 'string') record.updatedAt = r.updatedAt;
  return record;
}

/** An error answer of the Orchestra Memory API: JSON with an `error` object. */
function isApiError(text: string): boolean {
  try {
    const body = JSON.parse(text) as ErrorBody;
    return typeof body === 'object' && body !== null && typeof body.error === 'object';
  } catch {
    return false;
  }
}

function fixFor(status: number): string | undefined {
  if (status === 401 || status === 403)
    return 'give the right API key: "Orchestra: Set Memory API Key" in the editor, or ORCHESTRA_MEMORY_API_KEY';
  if (status === 409)
    return 'the memory server refuses writes (read-only, as after a cutover): write to the new endpoint, or make it writable again';
  if (status === 429 || status >= 500)
    return 'the server is overloaded or down; the client retries and queues writes meanwhile';
  return undefined;
}

/** Stats kept from a status answer: finite numbers only, a bounded number of bounded names. */
const MAX_STATS = 50;
const MAX_STAT_NAME = 200;

/**
 * The `stats` of a status answer, as the server names them: names are the server's text
 * (shown as text wherever they appear), so only their count and length are bounded here.
 */
function serverStats(input: unknown): Record<string, number> | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const kept = Object.entries(input as Record<string, unknown>)
    .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))
    .filter(([name]) => name.length > 0 && name.length <= MAX_STAT_NAME)
    .slice(0, MAX_STATS);
  return kept.length ? Object.fromEntries(kept) : undefined;
}
