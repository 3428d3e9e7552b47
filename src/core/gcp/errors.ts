/**
 * Google's error model, parsed into one typed error. Google APIs answer with
 * `{error:{code,message,status,details}}` (google.rpc.Status over HTTP); Cloud
 * Storage's JSON API with `{error:{code,message,errors:[{domain,reason,message}]}}`.
 * Proxies in front of them can answer with HTML or plain text, which we keep readable.
 */
import { OrchestraError } from '../errors';
import type { GcpApi } from './types';

export type GcpStatus =
  | 'OK'
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

/** google.rpc.Code numbers, as long-running operations report them in `error.code`. */
export const RPC_CODES: readonly GcpStatus[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** The HTTP mapping of each status (google/rpc/code.proto). */
export const STATUS_HTTP: Readonly<Record<GcpStatus, number>> = {
  OK: 200,
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

/** Best guess of a status from the HTTP code alone (bodies without `status`). */
export function statusFromHttp(httpStatus: number): GcpStatus {
  switch (httpStatus) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'ALREADY_EXISTS';
    case 412:
      return 'FAILED_PRECONDITION';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 499:
      return 'CANCELLED';
    case 501:
      return 'UNIMPLEMENTED';
    case 502:
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return httpStatus >= 500 ? 'INTERNAL' : 'UNKNOWN';
  }
}

export interface GcpErrorContext {
  api: GcpApi;
  method: string;
  path: string;
}

export interface GcpApiErrorFields extends GcpErrorContext {
  httpStatus: number;
  status: GcpStatus;
  message: string;
  reason?: string;
  domain?: string;
  metadata?: Record<string, string>;
  requestId?: string;
  /** Server-suggested wait before a retry (google.rpc.RetryInfo), ms. */
  retryDelayMs?: number;
  details?: unknown[];
  hint?: string;
  /**
   * False when the answer was not a Google error body (HTML, text, empty): then a
   * 404 means "no such URL" (a wrong endpoint or path), not "no such resource".
   */
  fromApi?: boolean;
}

export class GcpApiError extends OrchestraError {
  readonly httpStatus: number;
  readonly status: GcpStatus;
  readonly reason?: string;
  readonly domain?: string;
  readonly metadata: Record<string, string>;
  readonly requestId?: string;
  readonly retryDelayMs?: number;
  readonly details: unknown[];
  readonly api: GcpApi;
  readonly method: string;
  readonly path: string;
  readonly hint?: string;
  /** The answer was a Google error body (see GcpApiErrorFields.fromApi). */
  readonly fromApi: boolean;
  /** Google's own message, without our prefix. */
  readonly apiMessage: string;

  constructor(fields: GcpApiErrorFields) {
    const hint = fields.hint ?? hintFor(fields);
    super(`GCP_${fields.status}`, `${fields.api}: ${fields.httpStatus} ${fields.status}: ${fields.message}`, {
      where: `${fields.method} ${fields.path}`,
      fix: hint,
    });
    this.name = 'GcpApiError';
    this.httpStatus = fields.httpStatus;
    this.status = fields.status;
    this.reason = fields.reason;
    this.domain = fields.domain;
    this.metadata = fields.metadata ?? {};
    this.requestId = fields.requestId;
    this.retryDelayMs = fields.retryDelayMs;
    this.details = fields.details ?? [];
    this.api = fields.api;
    this.method = fields.method;
    this.path = fields.path;
    this.hint = hint;
    this.fromApi = fields.fromApi ?? true;
    this.apiMessage = fields.message;
  }
}

export function isGcpError(error: unknown, status?: GcpStatus): error is GcpApiError {
  return error instanceof GcpApiError && (status === undefined || error.status === status);
}

/** The role to suggest per permission prefix: the narrowest predefined role that holds it. */
const ROLE_BY_PERMISSION_PREFIX: ReadonlyArray<[string, string]> = [
  ['serviceusage.', 'roles/serviceusage.serviceUsageAdmin'],
  ['iam.serviceAccounts.', 'roles/iam.serviceAccountAdmin'],
  ['resourcemanager.projects.setIamPolicy', 'roles/resourcemanager.projectIamAdmin'],
  ['resourcemanager.projects.getIamPolicy', 'roles/iam.securityReviewer'],
  ['resourcemanager.', 'roles/browser'],
  ['artifactregistry.', 'roles/artifactregistry.admin'],
  ['storage.', 'roles/storage.admin'],
  ['workstations.', 'roles/workstations.admin'],
  ['datastore.', 'roles/datastore.owner'],
  ['secretmanager.versions.access', 'roles/secretmanager.secretAccessor'],
  ['secretmanager.', 'roles/secretmanager.admin'],
  ['run.', 'roles/run.admin'],
];

export function roleForPermission(permission: string): string | undefined {
  return ROLE_BY_PERMISSION_PREFIX.find(([prefix]) => permission.startsWith(prefix))?.[1];
}

function hintFor(f: GcpApiErrorFields): string | undefined {
  const meta = f.metadata ?? {};
  if (f.reason === 'SERVICE_DISABLED' || f.reason === 'accessNotConfigured') {
    const service = meta.service ?? `${f.api}.googleapis.com`;
    const project = meta.consumer?.replace(/^projects\//, '');
    const where = project ? ` --project ${project}` : '';
    const url = meta.activationUrl ? ` (or open ${meta.activationUrl})` : '';
    return `Enable the API: gcloud services enable ${service}${where}${url}, wait a minute, then retry. The Core Infrastructure phase enables it for you.`;
  }
  if (f.status === 'PERMISSION_DENIED') {
    const permission = meta.permission ?? /Permission '([^']+)'/.exec(f.message)?.[1];
    if (permission) {
      const role = roleForPermission(permission);
      return `The caller lacks ${permission}.${role ? ` Grant a role that includes it, e.g. ${role}.` : ''} Check with: orchestra-migrate verify.`;
    }
    return 'The caller lacks a permission on this resource: check the account (gcloud auth list) and its roles on the project.';
  }
  switch (f.status) {
    case 'UNAUTHENTICATED':
      return 'Sign in: gcloud auth application-default login, or orchestra-migrate login; check that the credentials have not expired.';
    case 'ABORTED':
      return 'A concurrent change won: read the resource again, apply the change to the fresh copy and write it back.';
    case 'RESOURCE_EXHAUSTED':
      return 'A quota or rate limit was hit: wait a minute and retry, or ask for more quota in the console (IAM & Admin > Quotas).';
    case 'UNAVAILABLE':
      return 'Google Cloud was briefly unavailable: retry in a moment.';
    case 'ALREADY_EXISTS':
      return 'The resource exists already: reuse it, or choose another ID.';
    default:
      return undefined;
  }
}

interface RawStatus {
  code?: number;
  message?: string;
  status?: string;
  details?: unknown[];
  errors?: Array<{ domain?: string; reason?: string; message?: string }>;
}

/** Parses any error answer into a GcpApiError; never throws. */
export function parseGcpError(
  httpStatus: number,
  bodyText: string,
  context: GcpErrorContext & { headers?: { get(name: string): string | null } },
): GcpApiError {
  const requestIdHeader =
    context.headers?.get('x-request-id') ?? context.headers?.get('x-goog-request-id') ?? undefined;
  const base = { api: context.api, method: context.method, path: context.path, httpStatus };
  const text = bodyText.trim();
  if (text === '') {
    return new GcpApiError({
      ...base,
      status: statusFromHttp(httpStatus),
      message: `HTTP ${httpStatus} with an empty body`,
      requestId: requestIdHeader,
      fromApi: false,
    });
  }
  const raw = rawStatusOf(text);
  if (!raw) {
    return new GcpApiError({
      ...base,
      status: statusFromHttp(httpStatus),
      message: describeNonJson(httpStatus, text),
      requestId: requestIdHeader,
      fromApi: false,
      hint:
        httpStatus === 404
          ? 'No such URL: check the endpoint override and the API path (a resource that does not exist answers with a JSON error).'
          : undefined,
    });
  }
  return fromRawStatus(raw, { ...base, requestIdHeader });
}

/** An operation's `error` (google.rpc.Status with a numeric code) as a GcpApiError. */
export function errorFromStatus(
  status: { code?: number; message?: string; details?: unknown[] },
  context: GcpErrorContext,
): GcpApiError {
  const name = RPC_CODES[status.code ?? 2] ?? 'UNKNOWN';
  return fromRawStatus(
    { message: status.message, status: name, details: status.details },
    { ...context, httpStatus: STATUS_HTTP[name] },
  );
}

function rawStatusOf(text: string): RawStatus | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  // Some front ends answer with a one-element array of error bodies.
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!first || typeof first !== 'object') return undefined;
  const error = (first as { error?: unknown }).error;
  if (error && typeof error === 'object') return error as RawStatus;
  // OAuth endpoints answer {error: 'invalid_grant', error_description}.
  if (typeof error === 'string') {
    const description = (first as { error_description?: unknown }).error_description;
    return { message: typeof description === 'string' ? `${error}: ${description}` : error };
  }
  return undefined;
}

function fromRawStatus(
  raw: RawStatus,
  c: GcpErrorContext & { httpStatus: number; requestIdHeader?: string },
): GcpApiError {
  const details = Array.isArray(raw.details) ? raw.details : [];
  const info = findDetail(details, 'google.rpc.ErrorInfo') as
    { reason?: string; domain?: string; metadata?: Record<string, string> } | undefined;
  const requestInfo = findDetail(details, 'google.rpc.RequestInfo') as { requestId?: string } | undefined;
  const retryInfo = findDetail(details, 'google.rpc.RetryInfo') as { retryDelay?: string } | undefined;
  const storageError = Array.isArray(raw.errors) ? raw.errors[0] : undefined;
  let status = isStatus(raw.status) ? raw.status : statusFromHttp(c.httpStatus);
  let reason = info?.reason ?? storageError?.reason;
  // Cloud Storage has no `status`: a 409 'conflict' is an existing bucket, and
  // 'accessNotConfigured' is its way of saying the API is disabled.
  if (!isStatus(raw.status) && storageError?.reason === 'accessNotConfigured') reason = 'SERVICE_DISABLED';
  if (!isStatus(raw.status) && c.httpStatus === 412) status = 'FAILED_PRECONDITION';
  return new GcpApiError({
    api: c.api,
    method: c.method,
    path: c.path,
    httpStatus: c.httpStatus,
    status,
    message: raw.message || storageError?.message || `HTTP ${c.httpStatus}`,
    reason,
    domain: info?.domain ?? storageError?.domain,
    metadata: info?.metadata,
    requestId: requestInfo?.requestId ?? c.requestIdHeader,
    retryDelayMs: parseDuration(retryInfo?.retryDelay),
    details: details.length ? details : raw.errors,
  });
}

function isStatus(value: unknown): value is GcpStatus {
  return typeof value === 'string' && (RPC_CODES as readonly string[]).includes(value);
}

function findDetail(details: unknown[], type: string): unknown {
  return details.find(
    (d) => !!d && typeof d === 'object' && (d as { '@type'?: string })['@type'] === `type.googleapis.com/${type}`,
  );
}

/** google.protobuf.Duration in JSON: '1.5s'. */
export function parseDuration(value: string | undefined): number | undefined {
  const m = value ? /^(\d+(?:\.\d+)?)s$/.exec(value) : null;
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

function describeNonJson(httpStatus: number, text: string): string {
  if (/^\s*<(!doctype|html|\?xml)/i.test(text) || /<\/(html|body|h1|title)>/i.test(text)) {
    const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    return `HTTP ${httpStatus} with an HTML page instead of an API answer${title ? ` ("${title}")` : ''}: a proxy or a wrong endpoint may be in the way`;
  }
  const snippet = text.replace(/\s+/g, ' ').slice(0, 200);
  const kind = /^[[{]/.test(text) ? 'a JSON body that is not a Google error' : 'a non-JSON body';
  return `HTTP ${httpStatus} with ${kind}: ${snippet}`;
}
