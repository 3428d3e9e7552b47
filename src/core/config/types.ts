/**
 * The resolved configuration: the shape every layer merges into and the JSON
 * Schema (config/schema/orchestra.schema.json) describes. This file is the
 * contract between the config loader and its readers (memory client, Google
 * Cloud layer, migration phases): add fields freely, rename only everywhere at once.
 */
import type { EnvironmentDetection, EnvironmentKind, EnvironmentProbes } from '../environment';

export { ENVIRONMENT_KINDS, type EnvironmentKind } from '../environment';

/** Services whose endpoint `getEndpoint(service)` resolves. */
export type ServiceName = 'memory' | 'api' | 'gcpEmulator';

export const SERVICE_NAMES: readonly ServiceName[] = ['memory', 'api', 'gcpEmulator'];

export type MemoryTransport = 'http' | 'mcp-stdio' | 'mcp-http';

export interface BreakerConfig {
  /** 'consecutive' (default) or 'sampling'. */
  kind: 'consecutive' | 'sampling';
  /** Consecutive failures that open the breaker (seed default 5). */
  failureThreshold: number;
  /** How long an open breaker waits before a half-open probe, ms (seed default 30 000). */
  recoveryTimeoutMs: number;
  /** Sampling breaker: failure ratio in [0,1] over the window. */
  samplingThreshold: number;
  samplingDurationMs: number;
  samplingMinimumRps: number;
  retry: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number };
  /** Per-call timeout, ms. */
  timeoutMs: number;
  /** Concurrent calls allowed where work fans out (bulkhead). */
  maxConcurrency: number;
}

export interface MemoryConfig {
  transport: MemoryTransport;
  /** Explicit endpoint (http / mcp-http). Empty: resolved per environment by getEndpoint('memory'). */
  endpoint?: string;
  /** mcp-stdio: the server command and its arguments. */
  command?: string;
  args?: string[];
  /** mcp-stdio: extra environment of the server process (e.g. MEMORY_FILE_PATH). */
  env?: Record<string, string>;
  timeoutMs: number;
  /** MCP: how long the server's start (process, handshake, tool list) may take, apart from timeoutMs. */
  startTimeoutMs?: number;
  /** Keep-alive sockets per endpoint. */
  poolSize: number;
  /** Durable outbox folder for writes made while the breaker is open (relative to the workspace). */
  outboxDir: string;
  /** The copy's source and target stores; each key left out comes from the keys above (memory-sides.ts). */
  source?: MemorySideConfig;
  target?: MemorySideConfig;
}

/** One store of the memory copy (memory.source, memory.target), as written in config. */
export interface MemorySideConfig {
  transport?: MemoryTransport;
  endpoint?: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Name of the environment variable holding this store's API key (never the key itself). */
  keyVariable?: string;
}

export interface CoreInfrastructurePhaseConfig {
  enabled: boolean;
  services: string[];
  serviceAccountId: string;
  serviceAccountRoles: string[];
  repositoryId: string;
  bucketName?: string; // default: `${projectId}-orchestra-reports`
}

export interface WorkstationPhaseConfig {
  enabled: boolean;
  clusterId: string;
  configId: string;
  workstationId: string;
  machineType: string;
  containerImage: string;
  network?: string;
  subnetwork?: string;
}

export interface MemorySystemPhaseConfig {
  enabled: boolean;
  databaseId: string; // '(default)'
  /** Source and target memory endpoints of the copy; empty: resolved per environment. */
  sourceEndpoint?: string;
  targetEndpoint?: string;
  batchSize: number;
  vectorStore: VectorStoreConfig;
}

/** AlloyDB for PostgreSQL with pgvector: where the memory's embeddings live and are searched. */
export interface VectorStoreConfig {
  enabled: boolean;
  clusterId: string;
  instanceId: string;
  /** VPC network ID in the project (or a full projects/P/global/networks/N). */
  network: string;
  cpuCount: number;
  /** Secret Manager secret holding the database password (generated once by the migration). */
  passwordSecretId: string;
  database: string;
  user: string;
  /** Dimension of the embedding column: that of the embedding model. */
  dimension: number;
  index: 'hnsw' | 'ivfflat';
  /** host:port to reach PostgreSQL at instead of the instance's ipAddress:5432 (e.g. an AlloyDB Auth Proxy). */
  connect?: string;
  /** Vertex AI text embedding model for records without an embedding, e.g. 'text-embedding-005'; empty: none. */
  embeddingModel?: string;
  /** Vector search latency target (p95, ms) and recall@10 goal, checked by Validation. */
  searchTargetMs: number;
  recallGoal: number;
}

export interface HybridConfigPhaseConfig {
  enabled: boolean;
  secretId: string;
}

export interface AiCodingPhaseConfig {
  enabled: boolean;
  /** IAM members, e.g. 'user:ana@example.com', 'group:team@example.com'. */
  members: string[];
}

export interface ApiDeploymentPhaseConfig {
  enabled: boolean;
  serviceName: string;
  /** The API's source folder (relative to the workspace), built by Cloud Build when `image` is not a full path. */
  source: string;
  /** Image in the phase-1 repository, e.g. 'orchestra-api:latest' (built from source), or a full path (deployed as is). */
  image: string;
  port: number;
  cpu: string;
  memory: string;
}

export interface ValidationPhaseConfig {
  enabled: boolean;
  samples: number;
}

export interface PhasesConfig {
  coreInfrastructure: CoreInfrastructurePhaseConfig;
  workstationConfiguration: WorkstationPhaseConfig;
  memorySystem: MemorySystemPhaseConfig;
  hybridConfig: HybridConfigPhaseConfig;
  aiCoding: AiCodingPhaseConfig;
  apiDeployment: ApiDeploymentPhaseConfig;
  validation: ValidationPhaseConfig;
}

export interface GcpConfig {
  /**
   * Per-API base URL overrides, keyed by API short name as gcloud names them
   * (serviceusage, iam, cloudresourcemanager, artifactregistry, storage,
   * workstations, firestore, secretmanager, run), e.g. 'http://127.0.0.1:8085'.
   */
  endpointOverrides: Record<string, string>;
  /** Marks loopback overrides as the local emulator, the only non-Google host a token may reach. */
  emulator: boolean;
  /** Service account to impersonate, if any. */
  targetPrincipal?: string;
  quotaProjectId?: string;
}

export interface OrchestraConfig {
  projectId: string;
  /** Region, e.g. 'us-central1'. */
  location: string;
  /** Explicit endpoints per service; win over the per-environment rule. */
  endpoints: Partial<Record<ServiceName, string>>;
  /** Port of each service on the developer's machine (local, Codespaces and Workstation forwarding). */
  ports: Record<ServiceName, number>;
  gcp: GcpConfig;
  memory: MemoryConfig;
  breaker: BreakerConfig;
  phases: PhasesConfig;
  validation: { targets: { memoryReadMs: number; apiMs: number } };
  report: { dir: string };
  log: { dir: string; level: 'trace' | 'debug' | 'info' | 'warn' | 'error' };
  state: { dir: string };
}

export type ConfigLayer = 'defaults' | 'common' | 'environment' | 'settings' | 'env';

export const CONFIG_LAYERS: readonly ConfigLayer[] = ['defaults', 'common', 'environment', 'settings', 'env'];

/** Where one resolved value came from. */
export interface Provenance {
  layer: ConfigLayer;
  /** File path for file layers, setting id for settings, variable name for env. */
  source: string;
}

/** Every field optional, all the way down: the shape of one layer (a file, the settings, the variables). */
export type DeepPartial<T> = T extends readonly (infer _U)[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** Stable kinds of configuration problems, for programs (CLI --json, tests). */
export type ConfigIssueCode =
  | 'syntax' // not JSON (JSONC): a comma, a quote, a brace...
  | 'duplicate-key'
  | 'schema' // wrong type, pattern, range, enum...
  | 'unknown-key'
  | 'secret' // a key or token in a config file or setting
  | 'env-var' // an ORCHESTRA_* variable that names no setting, or a value that does not coerce
  | 'environment' // an unknown environment name (ORCHESTRA_ENV, setting, misnamed file)
  | 'io' // a file or folder that cannot be read
  | 'semantic' // values valid alone but not together (e.g. maxDelayMs < initialDelayMs)
  | 'path'; // a folder the engine writes, set by the workspace, that leads out of it

/**
 * One problem in the configuration. Loading collects all of them and throws them
 * together (ConfigValidationError.issues); nothing is applied while any exists.
 */
export interface ConfigIssue {
  code: ConfigIssueCode;
  layer: ConfigLayer;
  /** Absolute file path for file layers, setting id for settings, variable name for env. */
  source: string;
  /** Absolute path of the file, when the problem is in a file. */
  file?: string;
  /** 1-based line and column (UTF-16 code units, as editors count) in `file`. */
  line?: number;
  column?: number;
  /** JSON path of the value, e.g. 'memory.timeoutMs' or 'phases.aiCoding.members[0]'; '' for the whole document. */
  path: string;
  /** What is wrong. Never contains a secret value (those are masked). */
  message: string;
  /** What the schema expects there, when that says more than the message. */
  expected?: string;
  /** What to do about it. */
  fix: string;
}

/** What `loadConfig` needs. */
export interface LoadConfigOptions {
  /** The workspace folder. Config files are read from `<dir>/config` unless ORCHESTRA_CONFIG_DIR says otherwise (absolute, or relative to `dir`). */
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Forces the environment (a CLI flag, a test); beats ORCHESTRA_ENV. Otherwise detected from `env` and `probes`. */
  kind?: EnvironmentKind;
  /** Editor hints and the orchestra.environment setting, for detection. */
  probes?: EnvironmentProbes;
  /** The editor settings layer (see settingsLayerFrom). */
  settings?: DeepPartial<OrchestraConfig>;
  /** Source shown for settings values no known setting id maps to (default 'editor settings'). */
  settingsSource?: string;
}

/** A value one layer above the config files sets, with the setting id or variable name that set it. */
export interface LayerValue {
  readonly layer: Extract<ConfigLayer, 'settings' | 'env'>;
  readonly source: string;
  readonly value: unknown;
}

/** The loaded configuration: values, where each came from, and the environment it was resolved for. */
export interface ResolvedConfig {
  /** Deeply frozen. */
  config: OrchestraConfig;
  environment: EnvironmentDetection;
  /** Layer and source of a value by dotted path ('memory.endpoint'); undefined for unset optional keys. */
  provenance: (path: string) => Provenance | undefined;
  /**
   * Every layer above the config files that sets the dotted path, lowest first (an editor
   * setting, then an ORCHESTRA_* variable): the winner is last, the others still outlive an
   * edit of the files once the winner is gone.
   */
  aboveFiles: (path: string) => readonly LayerValue[];
  /** Config files read, lowest layer first (absolute paths). */
  files: string[];
  /** The workspace folder and the config folder actually used. */
  root: string;
  configDir: string;
  /** getEndpoint with the variables loadConfig was given. */
  endpoint(service: ServiceName): string;
}
