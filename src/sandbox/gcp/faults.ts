/** Error JSON the way Google's front ends write it, and the emulator's fault switches. */

export type Status =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_EXHAUSTED'
  | 'ABORTED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'UNIMPLEMENTED';

const HTTP: Record<Status, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  RESOURCE_EXHAUSTED: 429,
  ABORTED: 409,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  UNIMPLEMENTED: 501,
};

/** Thrown by handlers; the server writes it in the API's error dialect. */
export class ApiFault extends Error {
  constructor(
    readonly status: Status,
    message: string,
    readonly details: unknown[] = [],
    /** Cloud Storage's dialect: `errors[0].reason`. */
    readonly storageReason?: string,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return HTTP[this.status];
  }
}

export function errorInfo(reason: string, domain: string, metadata: Record<string, string>): unknown {
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain, metadata };
}

/** google.rpc.Status as JSON over HTTP (https://cloud.google.com/apis/design/errors#http_mapping). */
export function googleErrorBody(fault: ApiFault): unknown {
  const error: Record<string, unknown> = { code: fault.httpStatus, message: fault.message, status: fault.status };
  if (fault.details.length) error.details = fault.details;
  return { error };
}

/** Cloud Storage JSON API errors (https://cloud.google.com/storage/docs/json_api/v1/status-codes). */
export function storageErrorBody(fault: ApiFault): unknown {
  const reason = fault.storageReason ?? STORAGE_REASONS[fault.status] ?? 'backendError';
  return {
    error: {
      code: fault.httpStatus,
      message: fault.message,
      errors: [{ message: fault.message, domain: 'global', reason }],
    },
  };
}

const STORAGE_REASONS: Partial<Record<Status, string>> = {
  INVALID_ARGUMENT: 'invalid',
  NOT_FOUND: 'notFound',
  ALREADY_EXISTS: 'conflict',
  PERMISSION_DENIED: 'forbidden',
  UNAUTHENTICATED: 'required',
  RESOURCE_EXHAUSTED: 'rateLimitExceeded',
  UNAVAILABLE: 'backendError',
};

export function notFound(name: string): ApiFault {
  return new ApiFault('NOT_FOUND', `Resource '${name}' was not found`, [
    { '@type': 'type.googleapis.com/google.rpc.ResourceInfo', resourceName: name },
  ]);
}

export function alreadyExists(name: string): ApiFault {
  return new ApiFault('ALREADY_EXISTS', `Resource '${name}' already exists`, [
    { '@type': 'type.googleapis.com/google.rpc.ResourceInfo', resourceName: name },
  ]);
}

export function invalid(message: string, field?: string): ApiFault {
  const details = field
    ? [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description: message }] }]
    : [];
  return new ApiFault('INVALID_ARGUMENT', message, details);
}

export function permissionDenied(permission: string, resource: string): ApiFault {
  return new ApiFault(
    'PERMISSION_DENIED',
    `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`,
    [errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', { permission, resource })],
  );
}

/** What Google answers when the API is not enabled on the consumer project. */
export function serviceDisabled(service: string, title: string, projectNumber: string): ApiFault {
  const activationUrl = `https://console.developers.google.com/apis/api/${service}/overview?project=${projectNumber}`;
  return new ApiFault(
    'PERMISSION_DENIED',
    `${title} has not been used in project ${projectNumber} before or it is disabled. Enable it by visiting ${activationUrl} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`,
    [
      errorInfo('SERVICE_DISABLED', 'googleapis.com', {
        consumer: `projects/${projectNumber}`,
        service,
        activationUrl,
        containerInfo: projectNumber,
        serviceTitle: title,
      }),
      {
        '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
        locale: 'en-US',
        message: `${title} has not been used in project ${projectNumber} before or it is disabled. Enable it by visiting ${activationUrl} then retry.`,
      },
      {
        '@type': 'type.googleapis.com/google.rpc.Help',
        links: [{ description: 'Google developers console API activation', url: activationUrl }],
      },
    ],
    'accessNotConfigured',
  );
}

export function unauthenticated(): ApiFault {
  return new ApiFault(
    'UNAUTHENTICATED',
    'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    [errorInfo('CREDENTIALS_MISSING', 'googleapis.com', {})],
    'required',
  );
}

export function unavailable(): ApiFault {
  return new ApiFault('UNAVAILABLE', 'The service is currently unavailable.');
}

export function rateLimited(service: string): ApiFault {
  return new ApiFault(
    'RESOURCE_EXHAUSTED',
    `Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service '${service}'.`,
    [
      errorInfo('RATE_LIMIT_EXCEEDED', 'googleapis.com', {
        service,
        quota_metric: `${service}/requests`,
        quota_limit: 'RequestsPerMinutePerProject',
      }),
    ],
    'rateLimitExceeded',
  );
}

/** A scripted failure: the next `count` matching requests fail this way. */
export interface ScriptedFailure {
  /**
   * HTTP status to answer (503, 429, 500...); 'drop' closes the socket before the
   * request is handled; 'lost' handles it, then closes the socket instead of answering
   * (the answer was lost: the case where a blind retry of a create meets 409).
   */
  status: number | 'drop' | 'lost';
  count: number;
  method?: string;
  /** Only requests whose path contains this. */
  pathContains?: string;
}

export interface Faults {
  /** Added to every API answer, ms. */
  latencyMs: number;
  /** Share of API requests answered 503 UNAVAILABLE / 429 RESOURCE_EXHAUSTED, 0..1. */
  errorRate503: number;
  errorRate429: number;
  /** Permissions the caller is denied (403 IAM_PERMISSION_DENIED; testIamPermissions leaves them out). */
  deniedPermissions: string[];
  /** Time until a new long-running operation is done, ms. */
  lroDelayMs: number;
  /**
   * How long enabling a service takes, by service name, where it differs from lroDelayMs
   * (on Google some APIs take far longer than others). A batchEnable is done when its
   * slowest service is.
   */
  serviceEnableMs: Record<string, number>;
  /** Latency of the Cloud Run service URLs, ms. */
  runServiceLatencyMs: number;
  /**
   * Answered as every Cloud Run service's `uri` instead of its URL: a broken or hostile API,
   * for tests that the product checks what it records and calls, and shows it as text.
   */
  runServiceUri?: string;
  /**
   * Names answered in place of the real ones (an operation's, an image digest, a service
   * account read back...): a broken or hostile API, or something between the product and
   * Google, for tests that the product shows names as text and refuses to use one that is
   * not a Google resource name.
   */
  answeredNames?: AnsweredName[];
  failures: ScriptedFailure[];
  /** The next `count` operations started by a matching request finish with this error. */
  operationFailures: OperationFailure[];
}

/** One name the emulator answers wrong: the field of matching answers, where it exists, holds `value`. */
export interface AnsweredName {
  /** The field in the JSON answer, dotted, array items by index: 'name', 'response.results.images.0.digest'. */
  field: string;
  value: string;
  method?: string;
  /** Only answers to requests whose path contains this. */
  pathContains?: string;
  /** How many answers get it; absent: every matching answer. */
  count?: number;
}

export interface OperationFailure {
  count: number;
  pathContains?: string;
  /** google.rpc.Code number, e.g. 9 FAILED_PRECONDITION. */
  code: number;
  message: string;
}

export function defaultFaults(partial: Partial<Faults> = {}): Faults {
  return {
    latencyMs: 0,
    errorRate503: 0,
    errorRate429: 0,
    deniedPermissions: [],
    lroDelayMs: 100,
    serviceEnableMs: {},
    runServiceLatencyMs: 0,
    failures: [],
    operationFailures: [],
    ...partial,
  };
}

/** Takes one scripted failure matching this request, if any. */
export function takeScriptedFailure(faults: Faults, method: string, path: string): ScriptedFailure | undefined {
  const match = faults.failures.find(
    (f) =>
      f.count > 0 &&
      (!f.method || f.method.toUpperCase() === method) &&
      (!f.pathContains || path.includes(f.pathContains)),
  );
  if (!match) return undefined;
  match.count--;
  faults.failures = faults.failures.filter((f) => f.count > 0);
  return match;
}

export function takeOperationFailure(faults: Faults, path: string): OperationFailure | undefined {
  const match = faults.operationFailures.find((f) => f.count > 0 && (!f.pathContains || path.includes(f.pathContains)));
  if (!match) return undefined;
  match.count--;
  faults.operationFailures = faults.operationFailures.filter((f) => f.count > 0);
  return match;
}

/**
 * A project that does not exist (or that the caller may not see: Google does not tell
 * the two apart): 403 with ErrorInfo CONSUMER_INVALID, as every googleapis.com front end answers.
 */
export function unknownProject(project: string, service = 'cloudresourcemanager.googleapis.com'): ApiFault {
  const message = `Permission denied on resource project ${project}.`;
  return new ApiFault(
    'PERMISSION_DENIED',
    message,
    [
      errorInfo('CONSUMER_INVALID', 'googleapis.com', {
        service,
        consumer: `projects/${project}`,
        containerInfo: project,
      }),
      { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
      {
        '@type': 'type.googleapis.com/google.rpc.Help',
        links: [{ description: 'Google developers console', url: 'https://console.developers.google.com' }],
      },
    ],
    'forbidden',
  );
}

/** Cloud Storage names a missing project in its own dialect: 400 invalid. */
export function storageUnknownProject(project: string): ApiFault {
  return new ApiFault('INVALID_ARGUMENT', `Unknown project id: ${project}`, [], 'invalid');
}

/** A bearer token the emulator neither issued nor was configured with (expired, revoked, made up). */
export function invalidCredentials(service: string, reason = 'ACCESS_TOKEN_TYPE_UNSUPPORTED'): ApiFault {
  return new ApiFault(
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    [errorInfo(reason, 'googleapis.com', { service })],
    'authError',
  );
}

/** `answeredNames` as `POST /__admin/faults` sent it, checked: throws naming the entry and field at fault. */
export function checkAnsweredNames(value: unknown): AnsweredName[] {
  const fix =
    'answeredNames must be a list of { field, value, method?, pathContains?, count? } with string field and value';
  if (!Array.isArray(value)) throw new Error(`${fix}; got ${JSON.stringify(value)}`);
  return value.map((entry: unknown, i) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const bad = (key: string) => new Error(`answeredNames[${i}].${key} is ${JSON.stringify(e[key])}: ${fix}`);
    if (typeof e.field !== 'string' || !e.field) throw bad('field');
    if (typeof e.value !== 'string') throw bad('value');
    for (const key of ['method', 'pathContains'])
      if (e[key] !== undefined && typeof e[key] !== 'string') throw bad(key);
    if (e.count !== undefined && !(Number.isInteger(e.count) && (e.count as number) >= 0)) throw bad('count');
    return { ...(e as unknown as AnsweredName) };
  });
}

/**
 * The answer as the faults rewrite it: each matching `answeredNames` entry replaces its field
 * where the answer has it as a string. The stored resource is untouched (a copy is changed):
 * the wrong name is in the answer only, as a man in the middle would make it.
 */
export function withAnsweredNames(faults: Faults, method: string, path: string, body: unknown): unknown {
  let answer = body;
  for (const rule of faults.answeredNames ?? []) {
    if (rule.count !== undefined && rule.count <= 0) continue;
    if (rule.method && rule.method.toUpperCase() !== method) continue;
    if (rule.pathContains && !path.includes(rule.pathContains)) continue;
    const rewritten = withField(answer, rule.field.split('.'), rule.value);
    if (rewritten === undefined) continue;
    answer = rewritten;
    if (rule.count !== undefined) rule.count--;
  }
  return answer;
}

function withField(value: unknown, keys: readonly string[], to: string): unknown {
  if (!value || typeof value !== 'object' || Buffer.isBuffer(value)) return undefined;
  const [key, ...rest] = keys;
  if (!Object.hasOwn(value, key)) return undefined;
  const child = (value as Record<string, unknown>)[key];
  const next = rest.length ? withField(child, rest, to) : typeof child === 'string' ? to : undefined;
  if (next === undefined) return undefined;
  const copy = (Array.isArray(value) ? [...(value as unknown[])] : { ...value }) as Record<string, unknown>;
  copy[key] = next;
  return copy;
}
