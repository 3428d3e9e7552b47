/**
 * The Google Cloud emulator: one HTTP server, every API on its real path shape.
 * Order of checks per request, as Google's front ends do it: authentication,
 * injected faults (latency, scripted or random 503/429), API enabled on the
 * project, caller's permission, then the API itself.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiFault,
  defaultFaults,
  googleErrorBody,
  permissionDenied,
  rateLimited,
  serviceDisabled,
  invalidCredentials,
  storageErrorBody,
  storageUnknownProject,
  takeScriptedFailure,
  checkAnsweredNames,
  withAnsweredNames,
  unauthenticated,
  unknownProject,
  unavailable,
  type Faults,
} from './faults';
import { GCP_API_SERVICES, GCP_APIS } from '../../core/gcp/endpoints';
import type { GcpApi } from '../../core/gcp/types';
import { Router, type EmuContext, type EmuRequest, type Reply, type Route } from './router';
import { DEFAULT_ENABLED_SERVICES, Store } from './store';
import { allRoutes, allViews } from './apis';
import { serviceTitle } from './apis/serviceusage';
import { handleRunServiceUrl, RUN_URL_PREFIX } from './apis/run';
import { stopAllDatabases } from './apis/alloydb-runtime';
import { redactBody } from './redact';
import { registerImage } from './apis/artifactregistry';
import { settleBuilds } from './apis/cloudbuild';
import { checkAccessToken, issueAccessToken, TOKEN_PATH, tokenEndpoint } from './tokens';

export interface GcpEmulatorOptions {
  port?: number;
  host?: string;
  /** Folder for the persistent state (gcp-emulator.json); without it, state lives in memory. */
  dataDir?: string;
  lroDelayMs?: number;
  latencyMs?: number;
  runServiceLatencyMs?: number;
  /** Services enabled on every new project besides Google's defaults. */
  enabledServices?: string[];
  /** A project to create up front; only projects created so (or by POST /__admin/projects) exist. */
  projectId?: string;
  /** More projects to create up front. */
  projects?: string[];
  /**
   * Bearer tokens accepted besides those issued by POST /token (e.g. a test's fixed token).
   * Any other token is 401 UNAUTHENTICATED.
   */
  accessTokens?: string[];
  faults?: Partial<Faults>;
  /** Most recent requests kept in the log (default 10 000). */
  requestLogLimit?: number;
  /** The clock operations finish by (default Date.now): tests step their own instead of sleeping. */
  now?: () => number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  at: string;
  /** 'operation' marks LRO polls; 'service-url' requests to a deployed Cloud Run service. */
  kind: 'api' | 'operation' | 'service-url';
  /** The API the path named first ('/alloydb/v1/...'), answered as that API's own host; `path` is without it. */
  api?: string;
}

export interface GcpEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
  requestLog(): LoggedRequest[];
  clearRequestLog(): void;
  setFaults(faults: Partial<Faults>): Faults;
  faults(): Faults;
  /** Wipes every resource, operation and project (but the configured ones), the log and the faults. */
  reset(): void;
  /** Creates a project, as the console would (the emulator knows no other). */
  addProject(projectId: string): void;
  /** The IDs of the projects it knows. */
  projects(): string[];
  /** An access token it will accept (as POST /token issues), e.g. for gcloud's CLOUDSDK_AUTH_ACCESS_TOKEN. */
  issueToken(): string;
}

const ADMIN_PREFIX = '/__admin/';

export async function startGcpEmulator(options: GcpEmulatorOptions = {}): Promise<GcpEmulator> {
  const initialFaults = (): Faults =>
    defaultFaults({
      ...(options.lroDelayMs !== undefined ? { lroDelayMs: options.lroDelayMs } : {}),
      ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
      ...(options.runServiceLatencyMs !== undefined ? { runServiceLatencyMs: options.runServiceLatencyMs } : {}),
      ...options.faults,
    });
  const store = new Store(options.dataDir, [...DEFAULT_ENABLED_SERVICES, ...(options.enabledServices ?? [])]);
  const router = new Router();
  router.add(allRoutes());
  const ctx: EmuContext = {
    store,
    faults: initialFaults(),
    baseUrl: '',
    views: allViews(),
    dataDir: options.dataDir,
    requestPath: '',
    now: options.now ?? (() => Date.now()),
  };
  const accessTokens: ReadonlySet<string> = new Set(options.accessTokens ?? []);
  const log: LoggedRequest[] = [];
  const limit = options.requestLogLimit ?? 10_000;
  const record = (entry: LoggedRequest) => {
    log.push(entry);
    if (log.length > limit) log.splice(0, log.length - limit);
  };
  const handle: GcpEmulator = {
    url: '',
    port: 0,
    close: async () => undefined,
    requestLog: () => log.slice(),
    clearRequestLog: () => void log.splice(0),
    setFaults: (f) =>
      (ctx.faults = {
        ...ctx.faults,
        ...f,
        failures: (f.failures ?? ctx.faults.failures).map((x) => ({ ...x })),
        // Copied: their counts run down as answers are rewritten.
        answeredNames: (f.answeredNames ?? ctx.faults.answeredNames ?? []).map((x) => ({ ...x })),
      }),
    faults: () => ctx.faults,
    reset: () => {
      void stopAllDatabases(store);
      store.reset();
      ctx.faults = initialFaults();
      log.splice(0);
      addProjects();
    },
    addProject: (id) => {
      store.addProject(id);
      store.flush();
    },
    projects: () => Object.keys(store.state.projects),
    issueToken: () => {
      const { token } = issueAccessToken(store, Date.now(), 12 * 3600);
      store.flush();
      return token;
    },
  };
  const addProjects = () => {
    for (const id of [options.projectId, ...(options.projects ?? [])]) if (id) store.addProject(id);
    store.flush();
  };
  addProjects();

  const server = http.createServer((req, res) => {
    void serve(req, res, { router, ctx, handle, record, accessTokens }).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { code: 500, message: String(error), status: 'INTERNAL' } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  handle.port = address.port;
  handle.url = `http://${host}:${address.port}`;
  ctx.baseUrl = handle.url;
  handle.close = async () => {
    await new Promise<void>((resolve) => {
      store.flush();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await stopAllDatabases(store);
  };
  return handle;
}

interface Env {
  router: Router;
  ctx: EmuContext;
  handle: GcpEmulator;
  accessTokens: ReadonlySet<string>;
  record(entry: LoggedRequest): void;
}

async function serve(req: http.IncomingMessage, res: http.ServerResponse, env: Env): Promise<void> {
  // Absolute-form targets arrive when a client uses the emulator as its HTTP proxy (gcloud
  // for regional hosts such as 'us-central1-127.0.0.1', which WHATWG URL cannot parse).
  const absolute = /^https?:\/\/([^/]*)(.*)$/.exec(req.url ?? '');
  const host = absolute ? absolute[1] : (req.headers.host ?? '');
  const url = new URL(absolute ? absolute[2] || '/' : (req.url ?? '/'), 'http://emulator');
  const method = (req.method ?? 'GET').toUpperCase();
  const bytes = await readBody(req);
  const raw = bytes.toString('utf8');
  if (url.pathname.startsWith(ADMIN_PREFIX)) return admin(method, url.pathname, raw, res, env);
  if (url.pathname === TOKEN_PATH && method === 'POST') {
    const reply = tokenEndpoint(raw, req.headers['content-type'] ?? '', env.ctx.store, env.ctx.now());
    env.ctx.store.flush();
    // Never logged: the body would carry the token.
    return send(res, reply.status, reply.body);
  }
  if (url.pathname.startsWith(RUN_URL_PREFIX)) {
    const reply = await handleRunServiceUrl(url.pathname, req.headers.authorization, env.ctx);
    logRequest(env, method, url, '', reply.status, 'service-url');
    if (typeof reply.body === 'string') {
      res.writeHead(reply.status, { 'content-type': 'text/html; charset=UTF-8', ...reply.headers });
      res.end(reply.body);
      return;
    }
    return send(res, reply.status, reply.body);
  }
  const addressed = addressedApi(url.pathname);
  // From here on the path is the one Google's host for that API would see.
  if (addressed) url.pathname = addressed.path;
  const matched = env.router.match(method, url.pathname, addressed?.api);
  const route = matched && 'route' in matched ? matched.route : undefined;
  const storageDialect = /^\/(upload\/|download\/)?storage\//.test(url.pathname);
  let status = 404;
  try {
    if (!route) {
      status = 404;
      res.writeHead(404, { 'content-type': 'text/html; charset=UTF-8' });
      res.end(notFoundPage(url.pathname));
      return;
    }
    const reply = await answer(
      req,
      route,
      { params: (matched as { params: Record<string, string> }).params, url, raw, bytes, host, api: addressed?.api },
      env,
    );
    if (reply === 'drop') {
      status = 0;
      res.socket?.destroy();
      return;
    }
    status = reply.status;
    if (Buffer.isBuffer(reply.body)) {
      res.writeHead(reply.status, {
        'content-type': 'application/octet-stream',
        'content-length': reply.body.length,
        ...reply.headers,
      });
      res.end(reply.body);
      return;
    }
    send(res, reply.status, reply.body);
  } catch (error) {
    const fault =
      error instanceof ApiFault
        ? error
        : new ApiFault('INTERNAL', error instanceof Error ? error.message : String(error));
    status = fault.httpStatus;
    send(res, status, storageDialect ? storageErrorBody(fault) : googleErrorBody(fault));
  } finally {
    env.ctx.store.flush();
    logRequest(
      env,
      method,
      url,
      route?.media ? `(${bytes.length} bytes)` : raw,
      status,
      route?.kind ?? 'api',
      addressed?.api,
    );
  }
}

interface Incoming {
  params: Record<string, string>;
  url: URL;
  raw: string;
  bytes: Buffer;
  host: string;
  api: GcpApi | undefined;
}

/**
 * Every API shares this port, and most paths say which API they are for. Operations do
 * not ('/v1/projects/p/locations/l/operations' is AlloyDB's, Workstations' and Artifact
 * Registry's): gcloud, given an override base of http://emulator/alloydb/, sends
 * '/alloydb/v1/...', and the emulator answers as alloydb.googleapis.com would. Storage
 * keeps its own '/storage/v1/' base, as on Google.
 */
const ADDRESSABLE = new Set<string>(GCP_APIS.filter((api) => api !== 'storage'));

function addressedApi(pathname: string): { api: GcpApi; path: string } | undefined {
  const m = /^\/([a-z]+)(\/.*)$/.exec(pathname);
  return m && ADDRESSABLE.has(m[1]) ? { api: m[1] as GcpApi, path: m[2] } : undefined;
}

async function answer(
  req: http.IncomingMessage,
  route: Route,
  { params, url, raw, bytes, host, api }: Incoming,
  env: Env,
): Promise<Reply | 'drop'> {
  const { ctx } = env;
  if (ctx.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, ctx.faults.latencyMs));
  const service = GCP_API_SERVICES[api ?? route.api];
  const bearer = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!bearer) throw unauthenticated();
  const verdict = checkAccessToken(ctx.store, env.accessTokens, bearer, ctx.now());
  if (verdict !== 'ok')
    throw invalidCredentials(service, verdict === 'expired' ? 'ACCESS_TOKEN_EXPIRED' : 'ACCESS_TOKEN_TYPE_UNSUPPORTED');
  const scripted = takeScriptedFailure(ctx.faults, route.method, url.pathname);
  if (scripted?.status === 'drop') return 'drop';
  if (scripted && scripted.status !== 'lost') throw scriptedFault(scripted.status, service);
  if (Math.random() < ctx.faults.errorRate503) throw unavailable();
  if (Math.random() < ctx.faults.errorRate429) throw rateLimited(service);
  const request: EmuRequest = {
    method: route.method,
    path: url.pathname,
    params,
    query: url.searchParams,
    body: route.media ? {} : parseJson(raw),
    bytes,
    contentType: req.headers['content-type'] ?? '',
    host,
    ...(api ? { api } : {}),
  };
  const project = route.project ? route.project(request, ctx) : params.project;
  if (project && project !== '-' && !ctx.store.findProject(project)) {
    throw route.api === 'storage' ? storageUnknownProject(project) : unknownProject(project, service);
  }
  if (route.kind !== 'operation' && project && project !== '-' && !isAlwaysOn(route.api)) {
    const state = ctx.store.project(project);
    if (!state.services[service]) throw serviceDisabled(service, serviceTitle(service), state.number);
  }
  if (route.permission && ctx.faults.deniedPermissions.includes(route.permission)) {
    throw permissionDenied(route.permission, project ? `projects/${project}` : url.pathname);
  }
  ctx.requestPath = url.pathname;
  settleBuilds(ctx);
  const reply = await route.handle(request, ctx);
  if (scripted?.status === 'lost') return 'drop';
  return reply.status < 300
    ? { ...reply, body: withAnsweredNames(ctx.faults, route.method, url.pathname, reply.body) }
    : reply;
}

function isAlwaysOn(api: string): boolean {
  return api === 'serviceusage' || api === 'cloudresourcemanager';
}

function scriptedFault(status: number, service: string): ApiFault {
  if (status === 429) return rateLimited(service);
  if (status === 503) return unavailable();
  const byHttp: Record<number, ApiFault['status']> = {
    400: 'INVALID_ARGUMENT',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ABORTED',
    501: 'UNIMPLEMENTED',
  };
  return new ApiFault(byHttp[status] ?? 'INTERNAL', `Injected failure (HTTP ${status}).`);
}

function parseJson(raw: string): Record<string, unknown> {
  if (!raw.trim()) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through: Google names the position, we name the problem.
  }
  throw new ApiFault('INVALID_ARGUMENT', 'Invalid JSON payload received. Unexpected token.', [
    {
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: [{ description: 'Invalid JSON payload received.' }],
    },
  ]);
}

function logRequest(
  env: Env,
  method: string,
  url: URL,
  raw: string,
  status: number,
  kind: LoggedRequest['kind'],
  api?: string,
): void {
  let body: unknown = undefined;
  if (raw) {
    try {
      body = redactBody(JSON.parse(raw));
    } catch {
      body = raw;
    }
  }
  env.record({
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    body,
    status,
    at: new Date().toISOString(),
    kind,
    ...(api ? { api } : {}),
  });
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  // 204 No Content (Cloud Storage's bucket delete) has no body.
  if (status === 204) {
    res.writeHead(204);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Google's front end answers unknown paths with an HTML page, not JSON. */
function notFoundPage(path: string): string {
  return `<!DOCTYPE html>\n<html lang=en>\n<meta charset=utf-8>\n<title>Error 404 (Not Found)!!1</title>\n<p><b>404.</b> <ins>That’s an error.</ins>\n<p>The requested URL <code>${path.replace(/[<>&]/g, '')}</code> was not found on this server.  <ins>That’s all we know.</ins>\n`;
}

function admin(method: string, path: string, raw: string, res: http.ServerResponse, env: Env): void {
  const route = `${method} ${path.slice(ADMIN_PREFIX.length).replace(/\/+$/, '')}`;
  const body = raw.trim() ? (JSON.parse(raw) as Record<string, unknown>) : {};
  switch (route) {
    case 'GET health':
      return send(res, 200, { ok: true });
    case 'GET requests':
      return send(res, 200, { requests: env.handle.requestLog() });
    case 'DELETE requests':
      env.handle.clearRequestLog();
      return send(res, 200, {});
    case 'GET faults':
      return send(res, 200, env.handle.faults());
    case 'POST faults': {
      const faults = body as Partial<Faults>;
      try {
        if (faults.answeredNames !== undefined) faults.answeredNames = checkAnsweredNames(faults.answeredNames);
      } catch (error) {
        return send(res, 400, { error: { code: 400, message: (error as Error).message, status: 'INVALID_ARGUMENT' } });
      }
      return send(res, 200, env.handle.setFaults(faults));
    }
    case 'POST reset':
      env.handle.reset();
      return send(res, 200, {});
    case 'GET state': {
      const { tokens: _tokens, idTokenKey: _key, ...state } = env.ctx.store.state;
      return send(res, 200, state);
    }
    case 'POST images': {
      // `docker push` in one call: registers the image (a random digest) in its Artifact Registry repository.
      const uri = typeof body.uri === 'string' ? body.uri : '';
      const digest = `sha256:${randomBytes(32).toString('hex')}`;
      const pushed = registerImage(env.ctx, uri, digest, Number(body.sizeBytes ?? 52_428_800));
      env.ctx.store.flush();
      if ('error' in pushed)
        return send(res, 400, { error: { code: 400, message: pushed.error, status: 'INVALID_ARGUMENT' } });
      return send(res, 200, { ...pushed, digest });
    }
    case 'POST projects': {
      const id = typeof body.projectId === 'string' ? body.projectId : '';
      if (!/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(id)) {
        return send(res, 400, {
          error: { code: 400, message: `Invalid projectId '${id}'`, status: 'INVALID_ARGUMENT' },
        });
      }
      env.handle.addProject(id);
      return send(res, 200, { projectId: id, projectNumber: env.ctx.store.project(id).number });
    }
    default:
      return send(res, 404, { error: { code: 404, message: `Unknown admin route ${route}`, status: 'NOT_FOUND' } });
  }
}
