/**
 * The contract of the Google Cloud REST layer used by the migration phases.
 * `request()` takes a path exactly as in Google's REST reference, e.g.
 * service 'run', path '/v2/projects/p/locations/l/services/s'; the layer
 * picks the host (real or overridden), adds auth, parses errors, retries by AIP-194.
 */
export type GcpApi =
  | 'serviceusage'
  | 'iam'
  | 'cloudresourcemanager'
  | 'artifactregistry'
  | 'storage'
  | 'workstations'
  | 'firestore'
  | 'secretmanager'
  | 'run'
  | 'alloydb'
  | 'aiplatform'
  | 'cloudbuild';

/** Real Google hosts, per API. */
export const GCP_API_HOSTS: Readonly<Record<GcpApi, string>> = {
  serviceusage: 'https://serviceusage.googleapis.com',
  iam: 'https://iam.googleapis.com',
  cloudresourcemanager: 'https://cloudresourcemanager.googleapis.com',
  artifactregistry: 'https://artifactregistry.googleapis.com',
  storage: 'https://storage.googleapis.com',
  workstations: 'https://workstations.googleapis.com',
  firestore: 'https://firestore.googleapis.com',
  secretmanager: 'https://secretmanager.googleapis.com',
  run: 'https://run.googleapis.com',
  alloydb: 'https://alloydb.googleapis.com',
  // Vertex AI's global host; prediction goes to the regional host of the path's location (regionalBase).
  aiplatform: 'https://aiplatform.googleapis.com',
  cloudbuild: 'https://cloudbuild.googleapis.com',
};

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface GcpRequest {
  api: GcpApi;
  method: HttpMethod;
  /** Path with version, e.g. '/v1/projects/p/serviceAccounts'. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Bytes sent as they are (a Storage media upload) instead of a JSON body. */
  media?: { data: Buffer; contentType: string };
  signal?: AbortSignal;
  /**
   * A create with a client-chosen ID: safe to retry; a 409 ALREADY_EXISTS after a
   * retry means our first attempt landed, so the layer reads `readBackPath` and returns it.
   */
  createWithId?: {
    readBackPath: string;
    /** The create returns an Operation: the read-back resource then comes wrapped as a done Operation. */
    lro?: boolean;
  };
  /**
   * Safe to send twice (default: GET, PUT, PATCH, DELETE and creates with an ID).
   * Read-only POSTs (getIamPolicy, testIamPermissions) and batchEnable may set it.
   */
  idempotent?: boolean;
}

/** google.longrunning.Operation */
export interface LongRunningOperation<R = unknown> {
  name: string;
  done?: boolean;
  metadata?: unknown;
  error?: { code: number; message: string; details?: unknown[] };
  response?: R;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** API version of the operations route; default per API (run: 'v2', the others: 'v1'). */
  version?: string;
  /** Give up after this many ms (default 10 minutes). */
  deadlineMs?: number;
  /** The request that started the operation ('POST /v1/...'), named when its answer is refused. */
  origin?: string;
}

export interface GcpClient {
  request<T = unknown>(req: GcpRequest): Promise<T>;
  /** GET that returns undefined on 404 instead of throwing. */
  getOrUndefined<T = unknown>(
    api: GcpApi,
    path: string,
    options?: { signal?: AbortSignal; query?: GcpRequest['query'] },
  ): Promise<T | undefined>;
  /** Polls `GET <host>/<version>/<operation.name>` until done; returns `response` or throws the operation's error. */
  waitForOperation<R = unknown>(api: GcpApi, operation: LongRunningOperation<R>, options?: WaitOptions): Promise<R>;
  /** Counters for metrics: requests made and retries taken. */
  readonly stats: { requests: number; retries: number };
}
