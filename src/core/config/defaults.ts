/**
 * The built-in layer (the lowest): a complete, valid configuration, so a workspace
 * with no config files at all still loads. `projectId` is the one value with no
 * sensible default: it stays '' here and `requireProject` demands it when a
 * migration is about to talk to Google Cloud (verify, execute), not when loading.
 */
import type { BreakerConfig, EnvironmentKind, OrchestraConfig, ServiceName } from './types';

/**
 * Ports on the developer's machine. 8765: the Orchestra Memory API (sandbox server
 * included); 8080: the API (Cloud Run's default container port); 8085: the Google
 * Cloud REST emulator (the sandbox; the port gcloud's emulators conventionally use).
 */
export const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = Object.freeze({
  memory: 8765,
  api: 8080,
  gcpEmulator: 8085,
});

/** The APIs the seven phases call, enabled by phase 1. */
export const DEFAULT_SERVICES: readonly string[] = [
  'iam.googleapis.com',
  'cloudresourcemanager.googleapis.com',
  'serviceusage.googleapis.com',
  'artifactregistry.googleapis.com',
  'storage.googleapis.com',
  'workstations.googleapis.com',
  'firestore.googleapis.com',
  'secretmanager.googleapis.com',
  'run.googleapis.com',
  'cloudbuild.googleapis.com',
  'cloudaicompanion.googleapis.com',
];

/** Least privilege for the runtime service account: read secrets and images, use Firestore, write logs. */
export const DEFAULT_RUNTIME_ROLES: readonly string[] = [
  'roles/secretmanager.secretAccessor',
  'roles/datastore.user',
  'roles/logging.logWriter',
  'roles/artifactregistry.reader',
];

/**
 * The breaker settings every caller falls back to (the resilience layer's policy
 * defaults derive from this, so a caller that omits config gets what the schema documents).
 */
export const DEFAULT_BREAKER: Readonly<BreakerConfig> = Object.freeze({
  kind: 'consecutive',
  failureThreshold: 5,
  recoveryTimeoutMs: 30_000,
  samplingThreshold: 0.5,
  samplingDurationMs: 30_000,
  samplingMinimumRps: 5,
  retry: Object.freeze({ maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 2000 }),
  timeoutMs: 5000,
  maxConcurrency: 8,
});

/** A fresh copy each call: callers may mutate what they get. */
export function defaultConfig(): OrchestraConfig {
  return {
    projectId: '',
    location: 'us-central1',
    endpoints: {},
    ports: { ...DEFAULT_PORTS },
    gcp: { endpointOverrides: {}, emulator: false },
    memory: {
      transport: 'http',
      timeoutMs: 2000,
      poolSize: 16,
      outboxDir: '.orchestra/outbox',
    },
    breaker: { ...DEFAULT_BREAKER, retry: { ...DEFAULT_BREAKER.retry } },
    phases: {
      coreInfrastructure: {
        enabled: true,
        services: [...DEFAULT_SERVICES],
        serviceAccountId: 'orchestra-runtime',
        serviceAccountRoles: [...DEFAULT_RUNTIME_ROLES],
        repositoryId: 'orchestra',
      },
      workstationConfiguration: {
        enabled: true,
        clusterId: 'orchestra-cluster',
        configId: 'orchestra-config',
        workstationId: 'orchestra-dev',
        machineType: 'e2-standard-4',
        containerImage: 'us-central1-docker.pkg.dev/cloud-workstations-images/predefined/code-oss:latest',
      },
      memorySystem: {
        enabled: true,
        databaseId: '(default)',
        batchSize: 500,
        vectorStore: {
          enabled: false,
          clusterId: 'orchestra-memory',
          instanceId: 'orchestra-memory-primary',
          network: 'default',
          cpuCount: 2,
          passwordSecretId: 'orchestra-alloydb-password',
          database: 'postgres',
          user: 'postgres',
          dimension: 768,
          index: 'hnsw',
          searchTargetMs: 30,
          recallGoal: 0.95,
        },
      },
      hybridConfig: { enabled: true, secretId: 'orchestra-config' },
      aiCoding: { enabled: true, members: [] },
      apiDeployment: {
        enabled: true,
        serviceName: 'orchestra-api',
        source: 'api',
        image: 'orchestra-api:latest',
        port: 8080,
        cpu: '1',
        memory: '512Mi',
      },
      validation: { enabled: true, samples: 60 },
    },
    validation: { targets: { memoryReadMs: 50, apiMs: 100 } },
    report: { dir: '.orchestra/reports' },
    log: { dir: './logs/migration', level: 'info' },
    state: { dir: '.orchestra' },
  };
}

export const SCHEMA_REF = './schema/orchestra.schema.json';

/**
 * What `init` writes: the values people change first, so they see where they
 * live; every other key is documented by the schema (hover, completion).
 * Environment files repeat the ports because that is where they differ.
 */
export function initialFiles(): Record<'common' | EnvironmentKind, Record<string, unknown>> {
  const ports = { ...DEFAULT_PORTS };
  const enabled = { enabled: true };
  return {
    common: {
      $schema: SCHEMA_REF,
      projectId: '',
      location: 'us-central1',
      phases: {
        coreInfrastructure: enabled,
        workstationConfiguration: enabled,
        memorySystem: enabled,
        hybridConfig: enabled,
        aiCoding: { enabled: true, members: [] },
        apiDeployment: enabled,
        validation: enabled,
      },
      validation: { targets: { memoryReadMs: 50, apiMs: 100 } },
      log: { level: 'info' },
    },
    local: { $schema: SCHEMA_REF, ports, memory: { transport: 'http' } },
    codespaces: { $schema: SCHEMA_REF, ports, memory: { transport: 'http' } },
    workstation: { $schema: SCHEMA_REF, ports, memory: { transport: 'http' } },
    // The API Deployment phase records the Cloud Run URLs under endpoints.
    cloud_run: { $schema: SCHEMA_REF, endpoints: {}, memory: { transport: 'http' } },
  };
}
