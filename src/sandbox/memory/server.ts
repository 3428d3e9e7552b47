/**
 * The Orchestra Memory API (docs/memory-api.md) on plain node:http, over the
 * durable MemoryStore, with fault injection for rehearsals and tests.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { JsonValue } from '../../core/memory/types';
import { NO_FAULTS, parseFaults, type MemoryFaults } from './faults';
import { FieldsError, parseFields, projectRecord, type FieldSelection } from './fields';
import { FeedExpiredError } from './feed';
import { MemoryStore, ReadOnlyError, type StoredRecord, type WriteOp } from './store';
import { parseSearch, SearchError, searchStore } from './vectors';

export interface MemoryServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  dataDir: string;
  /** When set, every /api request needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  faults?: Partial<MemoryFaults>;
  /** Serve HTTPS with this key and certificate (PEM), as a production memory server would. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Compaction check period, ms (default 30 s; 0 disables). */
  compactIntervalMs?: number;
  /** The clock records' ttl runs on (default Date.now): tests step their own instead of sleeping. */
  now?: () => number;
}

export interface MemoryServerHandle {
  url: string;
  port: number;
  setFaults(faults: Partial<MemoryFaults>): MemoryFaults;
  readonly faults: MemoryFaults;
  /** The data as the server holds it (for tests and the sandbox). */
  readonly store: MemoryStore;
  close(): Promise<void>;
}

export const SERVER_VERSION = '1.1.0';
export const FEATURES = [
  'keys',
  'include-content',
  'batch',
  'idempotency-key',
  'ttl',
  'scope',
  'fields',
  'return-minimal',
  'ndjson',
  'changes',
  'digest',
  'read-only',
  'search',
  'stats',
] as const;
const NDJSON = 'application/x-ndjson';
/** Where an NDJSON list page puts the cursor of the next page (absent on the last page). */
export const NEXT_CURSOR_HEADER = 'orchestra-next-cursor';
const MAX_BODY = 32 * 1024 * 1024;
const MAX_PAGE = 1000;
const MAX_BATCH = 1000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startMemoryServer(options: MemoryServerOptions): Promise<MemoryServerHandle> {
  const store = await MemoryStore.open(options.dataDir, options.now);
  let faults: MemoryFaults = parseFaults(options.faults ?? {}, NO_FAULTS);
  const held: (() => void)[] = [];
  const startedAt = Date.now();
  /** API requests answered since start: the status's `stats.requests`. */
  let served = 0;

  const release = () => {
    for (const resume of held.splice(0)) resume();
  };
  const setFaults = (input: Partial<MemoryFaults>): MemoryFaults => {
    faults = parseFaults(input, faults);
    if (!faults.paused) release();
    return faults;
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((caught: unknown) => {
      const error = asHttpError(caught);
      const status = error instanceof HttpError ? error.status : 500;
      const code = error instanceof HttpError ? error.code : 'internal';
      sendJson(res, status, { error: { code, message: error instanceof Error ? error.message : String(error) } });
    });
  };
  const server = options.tls ? https.createServer(options.tls, listener) : http.createServer(listener);
  server.keepAliveTimeout = 60_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/__admin/')) return admin(req, res, url);
    if (!url.pathname.startsWith('/api/'))
      throw new HttpError(404, 'not_found', `no route ${req.method} ${url.pathname}`);
    if (!(await applyFaults(req, res))) return;
    served++;
    authorize(req);
    await route(req, res, url);
  }

  async function applyFaults(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    if (faults.paused) await new Promise<void>((resume) => held.push(resume));
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (faults.dropRate > 0 && Math.random() < faults.dropRate) {
      req.socket.destroy();
      return false;
    }
    if (faults.errorRate > 0 && Math.random() < faults.errorRate) {
      res.setHeader('Retry-After', '1');
      sendJson(res, 503, { error: { code: 'unavailable', message: 'injected fault: service unavailable' } });
      return false;
    }
    return true;
  }

  function authorize(req: http.IncomingMessage): void {
    if (!options.apiKey) return;
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.replace(/^Bearer\s+/i, ''));
    const expected = Buffer.from(options.apiKey);
    if (!/^Bearer\s+/i.test(header) || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(401, 'unauthorized', 'missing or wrong API key: send "Authorization: Bearer <key>"');
    }
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    switch (`${method} ${url.pathname}`) {
      case 'GET /api/status':
        return sendJson(res, 200, {
          status: 'ok',
          version: SERVER_VERSION,
          records: store.size,
          uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
          features: FEATURES,
          readOnly: store.readOnly,
          changes: { epoch: store.feed.epoch, seq: store.feed.seq },
          stats: { requests: served, ...faults.extraStats },
        });
      case 'GET /api/memory/digest':
        return sendJson(res, 200, await store.digest());
      case 'GET /api/memory/changes':
        return changes(res, url);
      case 'PUT /api/mode':
        return mode(req, res);
      case 'GET /api/memory': {
        const key = requireKey(url.searchParams.get('key'));
        const record = store.get(key);
        if (!record) throw new HttpError(404, 'not_found', `no record with key '${key}'`);
        return sendJson(res, 200, publicRecord(record));
      }
      case 'POST /api/memory': {
        const body = await readJson(req);
        const op = parseSet(body, idempotencyKey(req));
        const outcome = await store.write(op);
        return sendJson(res, outcome.duplicate || outcome.version !== 1 ? 200 : 201, outcome);
      }
      case 'DELETE /api/memory': {
        const key = requireKey(url.searchParams.get('key'));
        const outcome = await store.write({ op: 'delete', key, id: idempotencyKey(req) });
        if (!outcome.deleted && !outcome.duplicate)
          throw new HttpError(404, 'not_found', `no record with key '${key}'`);
        return sendJson(res, 200, outcome);
      }
      case 'GET /api/memory/keys':
        return listKeys(req, res, url);
      case 'POST /api/memory/batch':
        return batch(req, res);
      case 'POST /api/memory/search': {
        try {
          return sendJson(res, 200, searchStore(store, parseSearch(await readJson(req))));
        } catch (error) {
          if (error instanceof SearchError) throw new HttpError(400, 'bad_request', error.message);
          throw error;
        }
      }
      default:
        throw new HttpError(404, 'not_found', `no route ${method} ${url.pathname}`);
    }
  }

  function listKeys(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const prefix = url.searchParams.get('prefix') ?? '';
    const cursorParam = url.searchParams.get('cursor');
    const limitParam = Number(url.searchParams.get('limit') ?? 100);
    if (!Number.isInteger(limitParam) || limitParam < 1) {
      throw new HttpError(400, 'bad_request', 'limit must be a positive integer');
    }
    const cursor = cursorParam ? decodeCursor(cursorParam) : undefined;
    const page = store.list(prefix, cursor, Math.min(limitParam, MAX_PAGE));
    const include = (url.searchParams.get('include') ?? '').split(',').includes('content');
    const fields = selection(url.searchParams.get('fields'));
    const next = page.next !== undefined ? Buffer.from(page.next).toString('base64url') : undefined;
    if (include && accepts(req, NDJSON)) {
      // One record per line, each ended by \n (NDJSON), the cursor in a header: a bulk
      // reader takes each record's text as it is, without parsing the page (JSON text never
      // holds a raw newline).
      const keep = fields?.record;
      let text = '';
      for (const r of page.records) text += `${JSON.stringify(keep ? projectRecord(r, keep) : publicRecord(r))}\n`;
      const data = Buffer.from(text);
      res.writeHead(200, {
        'content-type': `${NDJSON}; charset=utf-8`,
        'content-length': data.length,
        ...(next !== undefined ? { [NEXT_CURSOR_HEADER]: next } : {}),
      });
      res.end(data);
      return;
    }
    const body: { keys?: string[]; records?: unknown[]; cursor?: string } = {};
    if (!fields || fields.page.has('keys')) body.keys = page.records.map((r) => r.key);
    if (include && (!fields || fields.page.has('records'))) {
      const keep = fields?.record;
      body.records = keep ? page.records.map((r) => projectRecord(r, keep)) : page.records.map(publicRecord);
    }
    if (next !== undefined && (!fields || fields.page.has('cursor'))) body.cursor = next;
    sendJson(res, 200, body);
  }

  function changes(res: http.ServerResponse, url: URL): void {
    const since = Number(url.searchParams.get('since') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 100);
    if (!Number.isSafeInteger(since) || since < 0) {
      throw new HttpError(400, 'bad_request', 'since must be a change number of this store (0 for all)');
    }
    if (!Number.isInteger(limit) || limit < 1)
      throw new HttpError(400, 'bad_request', 'limit must be a positive integer');
    const epoch = url.searchParams.get('epoch');
    if (epoch !== null && epoch !== store.feed.epoch) {
      throw new HttpError(
        410,
        'changes_expired',
        `change numbers of epoch ${epoch} do not apply to this store (epoch ${store.feed.epoch}): read the whole store again`,
      );
    }
    // A number past the last change is no position in this store's feed: the reader must rescan.
    if (since > store.feed.seq) {
      throw new HttpError(
        410,
        'changes_expired',
        `change number ${since} is past this store's last (${store.feed.seq}): read the whole store again`,
      );
    }
    const page = store.changes(since, Math.min(limit, MAX_PAGE));
    sendJson(res, 200, {
      epoch: store.feed.epoch,
      changes: page.changes.map((c) => (c.record ? { ...c, record: publicRecord(c.record) } : c)),
      next: page.next,
      more: page.more,
    });
  }

  async function mode(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = (await readJson(req)) as { readOnly?: unknown };
    if (typeof body !== 'object' || body === null || typeof body.readOnly !== 'boolean') {
      throw new HttpError(400, 'bad_request', 'body must be {"readOnly": true|false}');
    }
    await store.setReadOnly(body.readOnly);
    sendJson(res, 200, { readOnly: store.readOnly });
  }

  function selection(fields: string | null): FieldSelection | undefined {
    if (fields === null) return undefined;
    try {
      return parseFields(fields);
    } catch (error) {
      if (error instanceof FieldsError) throw new HttpError(400, 'bad_request', error.message);
      throw error;
    }
  }

  async function batch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = (await readJson(req)) as { ops?: unknown };
    if (!Array.isArray(body.ops) || body.ops.length > MAX_BATCH) {
      throw new HttpError(400, 'bad_request', `body must be {"ops":[...]} with at most ${MAX_BATCH} operations`);
    }
    const ops: WriteOp[] = body.ops.map((raw: unknown) => {
      const item = raw as Record<string, unknown>;
      const id = typeof item.id === 'string' ? item.id : undefined;
      if (item.op === 'delete') return { op: 'delete', key: requireKey(item.key), id };
      if (item.op === 'set') return parseSet(item, id);
      throw new HttpError(400, 'bad_request', 'each operation needs "op": "set" or "delete"');
    });
    const results = await store.writeMany(ops);
    // RFC 7240: a bulk writer that needs no per-operation outcome (the memory copy) asks
    // for a count instead of an answer about as large as its request.
    if (prefers(req, 'return=minimal')) {
      res.setHeader('Preference-Applied', 'return=minimal');
      let duplicates = 0;
      for (const r of results) if (r.duplicate) duplicates++;
      return sendJson(res, 200, { count: results.length, duplicates });
    }
    sendJson(res, 200, { results });
  }

  async function admin(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (!isLoopback(req.socket.remoteAddress)) {
      throw new HttpError(403, 'forbidden', 'the admin routes answer on loopback only');
    }
    if (url.pathname === '/__admin/faults' && req.method === 'GET') return sendJson(res, 200, faults);
    if (url.pathname === '/__admin/faults' && req.method === 'POST') {
      try {
        return sendJson(res, 200, setFaults((await readJson(req)) as Partial<MemoryFaults>));
      } catch (error) {
        if (error instanceof HttpError) throw error;
        throw new HttpError(400, 'bad_request', (error as Error).message);
      }
    }
    if (url.pathname === '/__admin/compact' && req.method === 'POST') {
      await store.compact();
      return sendJson(res, 200, { logLines: store.logLines });
    }
    throw new HttpError(404, 'not_found', `no admin route ${req.method} ${url.pathname}`);
  }

  const compactEvery = options.compactIntervalMs ?? 30_000;
  const compactTimer =
    compactEvery > 0
      ? setInterval(() => {
          // Compact when the log holds more superseded lines than live ones.
          if (store.logLines > 2 * store.size + 1000) void store.compact().catch(() => undefined);
        }, compactEvery)
      : undefined;
  compactTimer?.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}`,
    port: address.port,
    setFaults,
    get faults() {
      return faults;
    },
    store,
    async close() {
      if (compactTimer) clearInterval(compactTimer);
      release();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await store.close();
    },
  };
}

/** Store errors that are the caller's to act on, as answers. */
function asHttpError(error: unknown): unknown {
  if (error instanceof ReadOnlyError) return new HttpError(409, 'read_only', error.message);
  if (error instanceof FeedExpiredError) return new HttpError(410, 'changes_expired', error.message);
  return error;
}

function parseSet(body: unknown, id: string | undefined): WriteOp {
  if (typeof body !== 'object' || body === null) throw new HttpError(400, 'bad_request', 'body must be a JSON object');
  const b = body as Record<string, unknown>;
  const key = requireKey(b.key);
  if (!('content' in b)) throw new HttpError(400, 'bad_request', `record '${key}' has no "content"`);
  if (b.scope !== undefined && typeof b.scope !== 'string')
    throw new HttpError(400, 'bad_request', 'scope must be a string');
  if (b.ttl !== undefined && (typeof b.ttl !== 'number' || !(b.ttl > 0))) {
    throw new HttpError(400, 'bad_request', 'ttl must be a positive number of seconds');
  }
  return {
    op: 'set',
    key,
    content: b.content as JsonValue,
    ...(b.scope !== undefined ? { scope: b.scope as string } : {}),
    ...(b.ttl !== undefined ? { ttl: b.ttl as number } : {}),
    id,
  };
}

function requireKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) {
    throw new HttpError(400, 'bad_request', 'key must be a non-empty string of at most 1024 characters');
  }
  return key;
}

function idempotencyKey(req: http.IncomingMessage): string | undefined {
  const value = req.headers['idempotency-key'];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Whether the Accept header names this media type (parameters and q-values aside). */
function accepts(req: http.IncomingMessage, type: string): boolean {
  const header = req.headers.accept;
  return header !== undefined && header.split(',').some((t) => t.split(';')[0].trim().toLowerCase() === type);
}

/** Whether the Prefer header (RFC 7240: comma-separated, case-insensitive tokens) holds a preference. */
function prefers(req: http.IncomingMessage, preference: string): boolean {
  const header = req.headers.prefer;
  if (header === undefined) return false;
  return (Array.isArray(header) ? header.join(',') : header).split(',').some(
    (p) =>
      p
        .split(';')[0]
        .trim()
        .toLowerCase()
        .replace(/\s*=\s*/, '=') === preference,
  );
}

function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

function publicRecord(record: StoredRecord): Omit<StoredRecord, 'expiresAt'> {
  // Most records have no expiry: no copy for them (a list maps hundreds of records).
  if (record.expiresAt === undefined) return record;
  const { expiresAt: _expiresAt, ...rest } = record;
  return rest;
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'too_large', `body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'bad_request', 'body is not valid JSON');
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  // Encoded once: measuring the string's byte length and then writing it would scan a
  // list page (tens of kilobytes) twice.
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': data.length,
  });
  res.end(data);
}
