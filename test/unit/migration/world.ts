/**
 * A whole rehearsal world on 127.0.0.1 for the engine tests: the Google Cloud
 * emulator, a source and a target memory server, a workspace folder, and a config
 * pointing at them, as a user's sandbox would.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../../../src/core/util/atomic-write';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultConfig } from '../../../src/core/config/defaults';
import type { OrchestraConfig } from '../../../src/core/config/types';
import { createGcpClient, emulatorOverrides, type GcpApi } from '../../../src/core/gcp';
import type { GcpClient } from '../../../src/core/gcp/types';
import { nullLogger, type Logger } from '../../../src/core/logger';
import type { MemoryClient } from '../../../src/core/memory/types';
import type { MigrationEngine } from '../../../src/core/migration/engine';
import type { PhaseRegistry } from '../../../src/core/migration/registry';
import { openWorkspace, type Workspace } from '../../../src/core/workspace';
import { startGcpEmulator, type GcpEmulator, type GcpEmulatorOptions } from '../../../src/sandbox/gcp';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';

export const PROJECT = 'orchestra-test';
/** The repository's demo API (found upward from here: the benchmarks run this file bundled elsewhere). */
export const DEMO_API_SOURCE = demoApiSource();

function demoApiSource(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'demo', 'api');
    if (existsSync(path.join(candidate, 'Dockerfile'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`no demo/api above ${__dirname}`);
  }
}

export interface World {
  dir: string;
  workspace: string;
  emulator: GcpEmulator;
  source: MemoryServerHandle;
  target: MemoryServerHandle;
  config: OrchestraConfig;
  close(): Promise<void>;
}

export async function startWorld(options: { emulator?: GcpEmulatorOptions; records?: number } = {}): Promise<World> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchestra-engine-'));
  // The emulator knows the world's project and the tests' fixed token, nothing else.
  const emulator = await startGcpEmulator({
    lroDelayMs: 20,
    projects: [PROJECT],
    accessTokens: ['test-token'],
    ...options.emulator,
  });
  const source = await startMemoryServer({ dataDir: path.join(dir, 'source-data'), compactIntervalMs: 0 });
  const target = await startMemoryServer({ dataDir: path.join(dir, 'target-data'), compactIntervalMs: 0 });
  await seed(source.url, options.records ?? 50);
  const workspace = path.join(dir, 'workspace');
  const config = worldConfig(emulator.url, source.url, target.url);
  return {
    dir,
    workspace,
    emulator,
    source,
    target,
    config,
    async close() {
      await Promise.allSettled([emulator.close(), source.close(), target.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function worldConfig(emulatorUrl: string, sourceUrl: string, targetUrl: string): OrchestraConfig {
  const config = defaultConfig();
  config.projectId = PROJECT;
  config.gcp = { endpointOverrides: emulatorOverrides(emulatorUrl), emulator: true };
  config.phases.aiCoding.members = ['user:ana@example.com', 'group:orchestra-team@example.com'];
  config.phases.memorySystem.sourceEndpoint = sourceUrl;
  config.phases.memorySystem.targetEndpoint = targetUrl;
  config.phases.memorySystem.batchSize = 20;
  // The API's source is the default 'api' folder of the workspace: writeWorldConfig puts the
  // demo's there (the engine uploads no folder from outside the workspace).
  config.phases.apiDeployment.source = 'api';
  config.phases.validation.samples = 5;
  // Generous targets: these tests check the flow; latency verdicts have their own tests.
  config.validation.targets = { memoryReadMs: 500, apiMs: 500 };
  config.breaker.retry = { maxAttempts: 6, initialDelayMs: 5, maxDelayMs: 50 };
  config.breaker.recoveryTimeoutMs = 200;
  return config;
}

/** Writes n records through the batch route (1000 per request). */
export async function seed(url: string, n: number, prefix = 'mem'): Promise<void> {
  for (let start = 0; start < n; start += 1000) {
    const ops = [];
    for (let i = start; i < Math.min(n, start + 1000); i++) {
      const key = `${prefix}/${String(i).padStart(6, '0')}`;
      ops.push({
        op: 'set',
        key,
        content: { i, text: `record ${i}`, tags: ['a', i % 7], nested: { z: 1, a: [i] } },
        scope: 'team',
      });
    }
    const response = await fetch(`${url}/api/memory/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ops }),
    });
    if (!response.ok) throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
  }
}

export function testGcpClient(config: OrchestraConfig, logger: Logger = nullLogger): GcpClient {
  return createGcpClient({
    gcp: config.gcp,
    credentials: { accessToken: 'test-token' },
    logger,
    retry: TEST_RETRY,
    poll: TEST_POLL,
  });
}

export interface EngineHandle {
  engine: MigrationEngine;
  gcp: GcpClient;
  /** The workspace the engine was opened through, as the CLI and the editor open it. */
  workspace: Workspace;
  memory(): Promise<{ source: MemoryClient; target: MemoryClient }>;
  close(): Promise<void>;
}

/** The engine tests' fast clocks: retries and polls in milliseconds, a short lock heartbeat. */
export const TEST_RETRY = {
  initialDelayMs: 5,
  maxDelayMs: 40,
  exhaustedInitialDelayMs: 5,
  exhaustedMaxDelayMs: 40,
  maxAttempts: 8,
  exhaustedMaxAttempts: 8,
};
export const TEST_POLL = { initialDelayMs: 10, maxDelayMs: 250 };

/**
 * Writes `config` as the folder's config/common.json, then opens the engine through the
 * application layer (openWorkspace), as the command line and the editor do: the same
 * config loader, paths, key rule and client wiring. Only clocks and wrappers are tuned.
 */
export async function openEngine(
  config: OrchestraConfig,
  folder: string,
  extra: {
    source?: (client: MemoryClient) => MemoryClient;
    target?: (client: MemoryClient) => MemoryClient;
    concurrency?: number;
    gcp?: GcpClient;
    registry?: () => PhaseRegistry;
    logger?: Logger;
  } = {},
): Promise<EngineHandle> {
  await writeWorldConfig(folder, config);
  const workspace = openWorkspace({
    folder,
    env: {},
    logger: extra.logger,
    tuning: {
      gcp: extra.gcp ? { client: extra.gcp } : { retry: TEST_RETRY, poll: TEST_POLL },
      memory: { source: extra.source, target: extra.target },
      registry: extra.registry,
      concurrency: extra.concurrency,
      lock: { heartbeatMs: 500 },
    },
  });
  const session = await workspace.open();
  return {
    engine: session.engine,
    gcp: session.gcp,
    workspace,
    memory: () => session.memory(),
    async close() {
      await session.close();
      await workspace.close();
    },
  };
}

/** A world whose migration has run once to completion, through the engine, in its workspace. */
export async function migratedWorld(options: { records: number }): Promise<World> {
  const world = await startWorld(options);
  try {
    const h = await openEngine(world.config, world.workspace);
    const result = await h.engine.execute().finally(() => h.close());
    if (result.status !== 'completed') {
      throw new Error(`the world's first execute ended ${result.status}: ${JSON.stringify(result.failures)}`);
    }
    return world;
  } catch (error) {
    await world.close();
    throw error;
  }
}

/** The config as the folder's only config file (the loader validates it as it would a user's). */
export async function writeWorldConfig(folder: string, config: OrchestraConfig): Promise<void> {
  await mkdir(path.join(folder, 'config'), { recursive: true });
  await placeDemoApi(folder, config.phases.apiDeployment.source);
  // Atomic: two test processes opening one workspace at once (the lock tests) each write it,
  // and a plain write let one read the other's half-written file (a config error, once in a run).
  await writeFileAtomic(path.join(folder, 'config', 'common.json'), JSON.stringify(config, null, 2) + '\n', {
    durable: false,
  });
}

/**
 * A folder as a user's command line finds it after `init`: config/common.json naming the
 * world's project, emulator and memory servers (3 latency samples, targets of `targetMs`),
 * and the demo API source where the default config looks for it ('api'). `extra` adds or
 * replaces top-level config keys. Returns the folder (the world's workspace by default).
 */
export async function cliWorkspace(
  world: World,
  options: { dir?: string; targetMs?: number; apiSource?: boolean; extra?: Record<string, unknown> } = {},
): Promise<string> {
  const dir = options.dir ?? world.workspace;
  const c = world.config;
  const targetMs = options.targetMs ?? 500;
  await mkdir(path.join(dir, 'config'), { recursive: true });
  if (options.apiSource ?? true) await placeDemoApi(dir);
  return emulatorWorkspace(world, dir, {
    phases: {
      aiCoding: { members: c.phases.aiCoding.members },
      memorySystem: {
        sourceEndpoint: c.phases.memorySystem.sourceEndpoint,
        targetEndpoint: c.phases.memorySystem.targetEndpoint,
      },
      validation: { samples: 3 },
    },
    validation: { targets: { memoryReadMs: targetMs, apiMs: targetMs } },
    ...options.extra,
  });
}

/**
 * A workspace whose config/common.json names the world's project on its emulator and nothing
 * else the defaults do not say; `extra` adds top-level keys (a test's own memory stores, breaker,
 * phases). Written atomically: a child process may read it at once.
 */
export async function emulatorWorkspace(
  world: World,
  dir: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const c = world.config;
  await mkdir(path.join(dir, 'config'), { recursive: true });
  const common = {
    projectId: c.projectId,
    gcp: { endpointOverrides: c.gcp.endpointOverrides, emulator: true },
    ...extra,
  };
  await writeFileAtomic(path.join(dir, 'config', 'common.json'), JSON.stringify(common), { durable: false });
  return dir;
}

/** The Hybrid Config secret's versions in the world's emulator: how many, and the latest's JSON. */
export async function secretVersions(world: World): Promise<{ count: number; latest: Record<string, unknown> }> {
  const gcp = testGcpClient(world.config);
  const secret = `projects/${world.config.projectId}/secrets/${world.config.phases.hybridConfig.secretId}`;
  const list = await gcp.request<{ versions?: unknown[] }>({
    api: 'secretmanager',
    method: 'GET',
    path: `/v1/${secret}/versions`,
  });
  const latest = await gcp.request<{ payload: { data: string } }>({
    api: 'secretmanager',
    method: 'GET',
    path: `/v1/${secret}/versions/latest:access`,
  });
  return {
    count: list.versions?.length ?? 0,
    latest: JSON.parse(Buffer.from(latest.payload.data, 'base64').toString('utf8')) as Record<string, unknown>,
  };
}

/**
 * The demo API's source as the workspace's `source` folder (default 'api'), as a user keeps it:
 * the engine uploads no folder from outside the workspace. Copied once, atomically (a copy
 * beside it renamed into place), since two test processes may open one workspace at once.
 */
export async function placeDemoApi(folder: string, source = 'api'): Promise<void> {
  if (path.isAbsolute(source)) return;
  const target = path.resolve(folder, source);
  const temp = `${target}.${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await cp(DEMO_API_SOURCE, temp, { recursive: true, errorOnExist: true, force: false });
    await rename(temp, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Already there (this test's earlier write, or the other process won the race).
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

export const MUTATING = (r: { method: string; kind?: string }) => r.method !== 'GET' && r.kind !== 'service-url';

/** Read-only POSTs Google defines: getIamPolicy and testIamPermissions. */
export const READ_ONLY_POST = /:(getIamPolicy|testIamPermissions)$/;

/** Every resource the seven phases create, by its emulator GET path. */
/**
 * The API whose host answers one of expectedResourcePaths: the emulator, as Google, answers
 * each API's paths at that API's own base only.
 */
export function apiOfPath(p: string): GcpApi {
  if (p.startsWith('/storage/')) return 'storage';
  if (p.includes('/serviceAccounts/')) return 'iam';
  if (p.includes('/repositories/')) return 'artifactregistry';
  if (p.includes('/workstationClusters/')) return 'workstations';
  if (p.includes('/databases/')) return 'firestore';
  if (p.includes('/secrets/')) return 'secretmanager';
  if (p.startsWith('/v2/') && p.includes('/services/')) return 'run';
  throw new Error(`no API known for ${p}`);
}

export function expectedResourcePaths(config: OrchestraConfig): string[] {
  const p = config.projectId;
  const l = config.location;
  const c = config.phases;
  const ws = `/v1/projects/${p}/locations/${l}/workstationClusters/${c.workstationConfiguration.clusterId}`;
  return [
    `/v1/projects/${p}/serviceAccounts/${c.coreInfrastructure.serviceAccountId}@${p}.iam.gserviceaccount.com`,
    `/v1/projects/${p}/locations/${l}/repositories/${c.coreInfrastructure.repositoryId}`,
    `/storage/v1/b/${p}-orchestra-reports`,
    ws,
    `${ws}/workstationConfigs/${c.workstationConfiguration.configId}`,
    `${ws}/workstationConfigs/${c.workstationConfiguration.configId}/workstations/${c.workstationConfiguration.workstationId}`,
    `/v1/projects/${p}/databases/${c.memorySystem.databaseId}`,
    `/v1/projects/${p}/secrets/${c.hybridConfig.secretId}`,
    `/v1/projects/${p}/secrets/${c.hybridConfig.secretId}/versions/latest`,
    `/v2/projects/${p}/locations/${l}/services/${c.apiDeployment.serviceName}`,
  ];
}
