/**
 * A migration session: the engine built from a folder's layered configuration, with
 * its Google Cloud client and memory clients. The command line and the editor open
 * it the same way, so a run from either behaves the same.
 */
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { loadConfig, requireProject, type ResolvedConfig } from '../config';
import { MEMORY_API_KEY_VARIABLE } from '../config/secrets';
import type { DeepPartial, OrchestraConfig } from '../config/types';
import { InputError } from '../errors';
import { createGcpClient, EMULATOR_PLACEHOLDER_TOKEN } from '../gcp';
import { withEmulatorDefaults } from '../gcp/endpoints';
import type { EnvironmentProbes } from '../environment';
import type { Logger } from '../logger';
import { createMemoryClient } from '../memory';
import type { JsonValue, MemoryClient } from '../memory/types';
import { MigrationEngine } from './engine';
import { COPY_CONCURRENCY } from './memory-copy';
import { builtInPhases } from './phases';
import type { MemoryPair } from './types';

export interface MigrationSession {
  engine: MigrationEngine;
  resolved: ResolvedConfig;
  config: OrchestraConfig;
  close(): Promise<void>;
}

export interface SessionInput {
  /** The project folder (the CLI's working folder, the editor's first workspace folder). */
  dir: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** The editor's settings layer (the command line has none). */
  settings?: DeepPartial<OrchestraConfig>;
  /** The editor's hints for environment detection. */
  probes?: EnvironmentProbes;
  /** The memory API key from the editor's secret storage; else ORCHESTRA_MEMORY_API_KEY is used. */
  apiKey?: string;
}

/**
 * The engine for a project folder: the layered config, the Google Cloud client (the
 * emulator's placeholder token, or Application Default Credentials) and the two memory
 * clients of the copy, created on first use.
 */
export async function openMigrationSession(input: SessionInput): Promise<MigrationSession> {
  const ctx = input;
  const resolved = await loadConfig({ dir: input.dir, env: input.env, settings: input.settings, probes: input.probes });
  // The loader's config is frozen; the engine only reads it, but clients may normalize in place.
  const config = structuredClone(resolved.config) as OrchestraConfig;
  requireProject(config, ctx.env);
  config.gcp = withEmulatorDefaults(config.gcp, resolved.endpoint('gcpEmulator'), ctx.env);
  const gcp = createGcpClient({
    gcp: config.gcp,
    // The emulator accepts any bearer; real Google gets Application Default Credentials.
    credentials: config.gcp.emulator ? { accessToken: EMULATOR_PLACEHOLDER_TOKEN } : 'adc',
    logger: ctx.logger,
    env: ctx.env,
  });
  const clients: MemoryClient[] = [];
  let memory: Promise<MemoryPair> | undefined;
  const openMemory = () => (memory ??= memoryPair(ctx, resolved, config, clients));
  const engine = await MigrationEngine.open({
    config,
    gcp,
    workspaceDir: resolved.root,
    registry: builtInPhases(),
    logger: ctx.logger,
    memory: openMemory,
    // A rehearsal's URL points at the local emulator: it stays in the state, out of the config.
    recordEndpoint: config.gcp.emulator
      ? undefined
      : async (service, url) => {
          if (await recordCloudRunEndpoint(resolved.configDir, service, url)) {
            ctx.logger.info(
              `${service} endpoint ${url} recorded in ${path.join(resolved.configDir, 'cloud_run.json')}`,
            );
          }
        },
    cloudRunConfig: async () => {
      const cloudRun = await loadConfig({
        dir: input.dir,
        env: input.env,
        settings: input.settings,
        probes: input.probes,
        kind: 'cloud_run',
      });
      return JSON.parse(JSON.stringify(cloudRun.config)) as JsonValue;
    },
  });
  return {
    engine,
    resolved,
    config,
    async close() {
      engine.monitor.dispose();
      await Promise.allSettled(clients.map((c) => c.close()));
    },
  };
}

async function memoryPair(
  ctx: SessionInput,
  resolved: ResolvedConfig,
  config: OrchestraConfig,
  clients: MemoryClient[],
): Promise<MemoryPair> {
  const settings = config.phases.memorySystem;
  const sourceEndpoint = settings.sourceEndpoint || resolved.endpoint('memory');
  const targetEndpoint = settings.targetEndpoint;
  if (!targetEndpoint) {
    throw new InputError('The memory copy has no target memory server.', {
      where: 'phases.memorySystem.targetEndpoint',
      fix: 'Set phases.memorySystem.targetEndpoint to the cloud memory server (or skip the Memory System phase).',
    });
  }
  const outbox = (name: string) => path.resolve(resolved.root, config.memory.outboxDir, name);
  const source = await createMemoryClient({
    config: config.memory,
    endpoint: sourceEndpoint,
    breaker: config.breaker,
    apiKey: ctx.apiKey || ctx.env[MEMORY_API_KEY_VARIABLE],
    logger: ctx.logger,
    outboxDir: outbox('copy-source'),
  });
  clients.push(source);
  const target = await createMemoryClient({
    config: { ...config.memory, poolSize: Math.max(config.memory.poolSize, COPY_CONCURRENCY) },
    endpoint: targetEndpoint,
    breaker: { ...config.breaker, maxConcurrency: Math.max(config.breaker.maxConcurrency, COPY_CONCURRENCY) },
    // One key for both servers: the team's memory API key (never in config files).
    apiKey: ctx.apiKey || ctx.env[MEMORY_API_KEY_VARIABLE],
    logger: ctx.logger,
    outboxDir: outbox('copy-target'),
  });
  clients.push(target);
  return { source, target };
}

/**
 * Sets `endpoints.<service>` in <configDir>/cloud_run.json, so getEndpoint resolves the
 * deployed service on Cloud Run. Edits in place (comments and layout kept) and only
 * when the value changes; creates the file when there is none.
 */
export async function recordCloudRunEndpoint(configDir: string, service: string, url: string): Promise<boolean> {
  const file = path.join(configDir, 'cloud_run.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    text = '{}\n';
  }
  const edits = modify(text, ['endpoints', service], url, { formattingOptions: { insertSpaces: true, tabSize: 2 } });
  const next = applyEdits(text, edits);
  if (next === text) return false;
  await writeFile(file, next);
  return true;
}
