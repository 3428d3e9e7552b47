/**
 * The resolved configuration: the shape every layer merges into and the JSON
 * Schema (config/schema/orchestra.schema.json) describes. This file is the
 * contract between the config loader and its readers (memory client, Google
 * Cloud layer, migration phases): add fields freely, rename only everywhere at once.
 */
export type EnvironmentKind = 'local' | 'codespaces' | 'workstation' | 'cloud_run';

export const ENVIRONMENT_KINDS: readonly EnvironmentKind[] = ['local', 'codespaces', 'workstation', 'cloud_run'];

/** Services whose endpoint `getEndpoint(service)` resolves. */
export type ServiceName = 'memory' | 'api' | 'gcpEmulator';

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
  timeoutMs: number;
  /** Keep-alive sockets per endpoint. */
  poolSize: number;
  /** Durable outbox folder for writes made while the breaker is open (relative to the workspace). */
  outboxDir: string;
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
  /** Image in the phase-1 repository, e.g. 'orchestra-api:latest' or a full path. */
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

/** Where one resolved value came from. */
export interface Provenance {
  layer: ConfigLayer;
  /** File path for file layers, setting id for settings, variable name for env. */
  source: string;
}
