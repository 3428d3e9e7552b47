/**
 * The one REST client for every Google API the phases call. It picks the host
 * (real or overridden), guards the token, adds auth, user agent and JSON, parses
 * errors into GcpApiError, retries by AIP-194 and polls long-running operations.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import nodeFetch from 'node-fetch';
import type { GcpConfig } from '../config/types';
import { OrchestraError } from '../errors';
import type { Logger } from '../logger';
import { nullLogger } from '../logger';
import { retryCounter } from '../util/retry-count';
import { untilAborted } from '../util/sleep';
import { createAdc, tokenSourceFor, type Adc, type CredentialsOption } from './auth';
import { parseGcpError, isGcpError } from './errors';
import { regionalBase, resolveEndpoint } from './endpoints';
import { DEFAULT_POLL, pollOperation, type PollOptions } from './operations';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from './retry';
import { EmulatorTokens } from './emulator-token';
import { assertTokenDestination, isLoopbackHost } from './token-guard';
import type { GcpApi, GcpClient, GcpRequest, LongRunningOperation, WaitOptions } from './types';

/** The part of fetch the client uses; node-fetch, undici's fetch and test doubles fit. */
export type FetchLike = (
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body?: string | Buffer;
    signal?: AbortSignal;
    agent?: unknown;
  },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface GcpClientOptions {
  gcp: GcpConfig;
  /** The configured project: saves google-auth-library a lookup when it builds the ADC client. */
  projectId?: string;
  logger?: Logger;
  /** Default 'adc'. Requests to a loopback emulator with 'adc' carry a token the emulator issued, never a real one. */
  credentials?: CredentialsOption;
  userAgent?: string;
  retry?: Partial<RetryOptions>;
  poll?: Partial<PollOptions>;
  /** Per-attempt timeout, ms (default 60 000). */
  timeoutMs?: number;
  fetch?: FetchLike;
  env?: NodeJS.ProcessEnv;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'PUT', 'DELETE', 'PATCH']);

export function createGcpClient(options: GcpClientOptions): GcpClient {
  return new RestClient(options);
}

class RestClient implements GcpClient {
  readonly stats = { requests: 0, retries: 0 };
  private readonly logger: Logger;
  private readonly retry: RetryOptions;
  private readonly poll: PollOptions;
  private readonly fetch: FetchLike;
  private readonly env: NodeJS.ProcessEnv;
  private readonly userAgent: string;
  private readonly credentials: CredentialsOption;
  private readonly tokens;
  private readonly emulatorTokens: EmulatorTokens;
  private adc?: Adc;

  constructor(private readonly options: GcpClientOptions) {
    this.logger = options.logger ?? nullLogger;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.poll = { ...DEFAULT_POLL, ...options.poll };
    this.fetch = options.fetch ?? defaultFetch();
    this.env = options.env ?? process.env;
    this.userAgent = options.userAgent ?? 'orchestra-migrate';
    this.credentials = options.credentials ?? 'adc';
    this.emulatorTokens = new EmulatorTokens(this.fetch);
    this.tokens = tokenSourceFor(
      this.credentials,
      () =>
        (this.adc ??= createAdc({
          gcp: options.gcp,
          env: this.env,
          logger: this.logger,
          projectId: options.projectId,
        })),
    );
  }

  async request<T = unknown>(req: GcpRequest): Promise<T> {
    const url = this.urlFor(req.api, req.path, req.query);
    const idempotent = req.idempotent ?? (IDEMPOTENT_METHODS.has(req.method) || req.createWithId !== undefined);
    let retried = false;
    const countRetry = retryCounter();
    try {
      return await withRetry<T>(() => this.once<T>(req, url), this.retry, {
        idempotent,
        signal: req.signal,
        onRetry: ({ kind, attempt, delayMs, error }) => {
          retried = true;
          this.stats.retries++;
          countRetry();
          this.logger.debug(
            `gcp: ${req.method} ${url.pathname} attempt ${attempt} failed (${kind}: ${shortError(error)}); retrying in ${delayMs} ms`,
          );
        },
      });
    } catch (error) {
      // Our earlier attempt landed but its answer was lost: the resource is ours.
      if (req.createWithId && retried && isGcpError(error, 'ALREADY_EXISTS')) {
        this.logger.debug(`gcp: ${req.path}: 409 after a retry, reading back ${req.createWithId.readBackPath}`);
        const resource = await this.request<unknown>({
          api: req.api,
          method: 'GET',
          path: req.createWithId.readBackPath,
          signal: req.signal,
        });
        return (
          req.createWithId.lro ? { name: req.createWithId.readBackPath, done: true, response: resource } : resource
        ) as T;
      }
      throw error;
    }
  }

  async getOrUndefined<T = unknown>(
    api: GcpApi,
    path: string,
    options: { signal?: AbortSignal; query?: GcpRequest['query'] } = {},
  ): Promise<T | undefined> {
    try {
      return await this.request<T>({ api, method: 'GET', path, query: options.query, signal: options.signal });
    } catch (error) {
      // Only the API's own 404 says "no such resource"; an HTML 404 means a wrong URL.
      if (isGcpError(error, 'NOT_FOUND') && error.fromApi) return undefined;
      throw error;
    }
  }

  waitForOperation<R = unknown>(
    api: GcpApi,
    operation: LongRunningOperation<R>,
    options: WaitOptions = {},
  ): Promise<R> {
    const fetchOp = (path: string, signal?: AbortSignal) =>
      this.request<LongRunningOperation>({ api, method: 'GET', path, signal });
    return pollOperation(api, operation, fetchOp, this.poll, options);
  }

  private urlFor(api: GcpApi, path: string, query: GcpRequest['query']): URL {
    const base = regionalBase(api, resolveEndpoint(api, this.options.gcp, this.env), path);
    const url = new URL(base + (path.startsWith('/') ? path : `/${path}`));
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /** A cancelled call stops waiting for its token at once (a hung token endpoint must not hold a stopped run). */
  private async tokenFor(url: URL, signal?: AbortSignal): Promise<string> {
    // Guard first: nothing, not even ADC discovery, happens for a refused host.
    assertTokenDestination(url, { emulator: this.options.gcp.emulator });
    if (this.credentials === 'adc' && isLoopbackHost(url.hostname))
      return untilAborted(this.emulatorTokens.accessToken(url.origin, signal), signal);
    return untilAborted(this.tokens.getAccessToken(), signal);
  }

  private async once<T>(req: GcpRequest, url: URL): Promise<T> {
    const token = await this.tokenFor(url, req.signal);
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      'user-agent': this.userAgent,
      'x-goog-api-client': `gl-node/${process.versions.node} orchestra-migrate`,
      accept: 'application/json',
    };
    if (this.options.gcp.quotaProjectId) headers['x-goog-user-project'] = this.options.gcp.quotaProjectId;
    let body: string | Buffer | undefined;
    if (req.media) {
      body = req.media.data;
      headers['content-type'] = req.media.contentType;
    } else if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json; charset=utf-8';
    }
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    this.stats.requests++;
    const started = performance.now();
    let response: Awaited<ReturnType<FetchLike>>;
    try {
      response = await this.fetch(url.toString(), { method: req.method, headers, body, signal });
    } catch (error) {
      if (req.signal?.aborted) throw req.signal.reason ?? error;
      if (timeout.aborted)
        throw new OrchestraError(
          'GCP_TIMEOUT',
          `${req.api}: ${req.method} ${url.pathname} got no answer in ${this.options.timeoutMs ?? 60_000} ms`,
          { where: url.origin, cause: error, fix: 'Check the network, then retry.' },
        );
      throw error;
    }
    const text = await response.text();
    this.logger.trace(
      `gcp: ${req.method} ${url.origin}${url.pathname} -> ${response.status} in ${Math.round(performance.now() - started)} ms`,
    );
    if (response.status >= 200 && response.status < 300) return parseSuccess<T>(text, req, url);
    throw parseGcpError(response.status, text, {
      api: req.api,
      method: req.method,
      path: url.pathname,
      headers: response.headers,
    });
  }
}

function parseSuccess<T>(text: string, req: GcpRequest, url: URL): T {
  if (!text) return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new OrchestraError(
      'GCP_BAD_RESPONSE',
      `${req.api}: ${req.method} ${url.pathname} answered 2xx with a body that is not JSON: ${text.slice(0, 120)}`,
      {
        where: url.origin,
        fix: 'Check the endpoint override: it may point at something other than the Google API (a proxy or a web page).',
        cause,
      },
    );
  }
}

function shortError(error: unknown): string {
  if (isGcpError(error)) return `${error.httpStatus} ${error.status}`;
  return error instanceof Error ? error.message : String(error);
}

let sharedFetch: FetchLike | undefined;
/** node-fetch over keep-alive agents: one pool per process, reused by every client. */
function defaultFetch(): FetchLike {
  if (sharedFetch) return sharedFetch;
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 32 });
  sharedFetch = (url, init) =>
    nodeFetch(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: init.signal as never,
      agent: (parsed: URL) => (parsed.protocol === 'http:' ? httpAgent : httpsAgent),
    });
  return sharedFetch;
}
