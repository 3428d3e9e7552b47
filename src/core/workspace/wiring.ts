/**
 * The clients' wiring: the Google Cloud client (the emulator's placeholder token, or
 * Application Default Credentials), the two memory clients of the copy (opened on first
 * use) and the engine over them. Loaded on first use by the workspace, so a command
 * that only reads the state never loads a cloud or network module.
 */
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { loadConfig } from '../config/load';
import { memorySides, sameStoreReason, SAME_STORE_FIX, type MemorySide } from '../config/memory-sides';
import type { OrchestraConfig, ResolvedConfig } from '../config/types';
import { InputError } from '../errors';
import { createGcpClient } from '../gcp/client';
import { withEmulatorDefaults } from '../gcp/endpoints';
import { assertOverridesAllowed } from '../gcp/token-guard';
import type { GcpClient } from '../gcp/types';
import type { Logger } from '../logger';
import { configFingerprint } from '../migration/saved-plan';
import { createMemoryClient, type ResilientMemoryClient } from '../memory';
import type { JsonValue, MemoryClient } from '../memory/types';
import { MigrationEngine } from '../migration/engine';
import { COPY_CONCURRENCY } from '../migration/memory-copy';
import type { PhaseRegistry } from '../migration/registry';
import type { MemoryPair } from '../migration/types';
import { keyFor, type KeyConsent } from './key-guard';
import type { WorkspacePaths } from './paths';
import type { ConfigInput, WorkspaceTuning } from './types';

/** An engine with its clients, open until close(). */
export interface WorkspaceSession {
  readonly engine: MigrationEngine;
  readonly config: OrchestraConfig;
  readonly gcp: GcpClient;
  /** The copy's source and target memory clients (opened on first call). */
  memory(): Promise<MemoryPair>;
  /** The key guard's answer for both stores of the copy (see checkCopyKeys). */
  checkCopyKeys(): Promise<void>;
  close(): Promise<void>;
}

export interface SessionInput {
  readonly resolved: ResolvedConfig;
  readonly paths: WorkspacePaths;
  readonly configInput: ConfigInput;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  readonly apiKey: () => Promise<string | undefined>;
  readonly keyConsent: KeyConsent;
  readonly tuning: WorkspaceTuning;
  /** `reset <phase>`: that phase's records may be dropped on load, so a damaged phase can be reset. */
  readonly resetPhase?: string;
  /** This run's log file, recorded with each run (the report links it). */
  readonly logFile?: () => string | undefined;
  readonly registry: PhaseRegistry;
}

export async function openSession(input: SessionInput): Promise<WorkspaceSession> {
  const { resolved, env, logger, tuning } = input;
  // The loader's config is frozen; the engine only reads it, but clients may normalize in place.
  const config = structuredClone(resolved.config) as OrchestraConfig;
  config.gcp = withEmulatorDefaults(config.gcp, resolved.endpoint('gcpEmulator'), env);
  // The memory endpoint this environment resolves to, written down: the engine's steps (the
  // copy's same-store check at verify) see the source the copy will really read.
  const memoryEndpoint = environmentMemoryEndpoint(resolved);
  if (!config.memory.endpoint && memoryEndpoint) config.memory.endpoint = memoryEndpoint;
  // Decided by the configuration alone: refused now (exit 2), before any client or request.
  assertOverridesAllowed(config.gcp, env, (_api, setting) => {
    const source = resolved.provenance(setting)?.source ?? setting;
    return source === setting ? setting : `${setting} in ${source}`;
  });
  const gcp =
    tuning.gcp?.client ??
    createGcpClient({
      gcp: config.gcp,
      // ADC: real Google gets Application Default Credentials; the loopback emulator, a token
      // from its own token endpoint (it accepts no other).
      credentials: 'adc',
      logger,
      env,
      retry: tuning.gcp?.retry,
      poll: tuning.gcp?.poll,
    });
  const clients: MemoryClient[] = [];
  let memory: Promise<MemoryPair> | undefined;
  const openMemory = () => (memory ??= memoryPair(input, config, clients));
  const engine = await MigrationEngine.open({
    config,
    // The configuration as loaded (what the editor's views hash too), not as completed above.
    configHash: configFingerprint(resolved.config),
    gcp,
    workspaceDir: resolved.root,
    configDir: resolved.configDir,
    aboveFiles: resolved.aboveFiles,
    registry: input.registry,
    logger,
    memory: openMemory,
    concurrency: tuning.concurrency,
    lock: tuning.lock,
    resetPhase: input.resetPhase,
    logFile: input.logFile,
    // A rehearsal's URL points at the local emulator: it stays in the state, out of the config.
    recordEndpoint: config.gcp.emulator
      ? undefined
      : async (service, url) => {
          if (await recordCloudRunEndpoint(resolved.configDir, service, url)) {
            logger.info(`${service} endpoint ${url} recorded in ${path.join(resolved.configDir, 'cloud_run.json')}`);
          }
        },
    cloudRunConfig: async () => {
      const cloudRun = await loadConfig({ ...input.configInput, kind: 'cloud_run' });
      return JSON.parse(JSON.stringify(cloudRun.config)) as JsonValue;
    },
  });
  return {
    engine,
    config,
    gcp,
    memory: openMemory,
    checkCopyKeys: () => checkCopyKeys(input),
    async close() {
      engine.monitor.dispose();
      await Promise.allSettled(clients.map((c) => c.close()));
    },
  };
}

async function memoryPair(input: SessionInput, config: OrchestraConfig, clients: MemoryClient[]): Promise<MemoryPair> {
  const { resolved, tuning } = input;
  const { source: sourceSide, target: targetSide } = resolvedSides(input);
  refuseSameStore(sourceSide, targetSide, resolved);
  const source = await openMemorySide(input, config, sourceSide, 'copy-source');
  clients.push(source);
  // The copy fans out COPY_CONCURRENCY writes: the target's pool and bulkhead must allow them.
  const target = await openMemorySide(
    input,
    {
      ...config,
      memory: { ...config.memory, poolSize: Math.max(config.memory.poolSize, COPY_CONCURRENCY) },
      breaker: { ...config.breaker, maxConcurrency: Math.max(config.breaker.maxConcurrency, COPY_CONCURRENCY) },
    },
    targetSide,
    'copy-target',
  );
  clients.push(target);
  return {
    source: tuning.memory?.source?.(source) ?? source,
    target: tuning.memory?.target?.(target) ?? target,
  };
}

/**
 * The key guard's answer for both stores of the copy, taken before a run that copies: a
 * refusal is bad input known at the start (exit 2), not a copy step failing after earlier
 * steps changed the cloud. The editor asks at most once per host: a yes is remembered.
 */
async function checkCopyKeys(input: MemorySideInput): Promise<void> {
  const { source, target } = resolvedSides(input);
  for (const side of [source, target]) {
    if (side.transport === 'mcp-stdio' || !side.endpoint) continue;
    const key = side.keyVariable ? input.env[side.keyVariable] : await input.apiKey();
    await keyFor(side.endpoint, key, input.keyConsent, input.env, where(input.resolved, side.setting));
  }
}

/** What opening one memory store needs (a session, or the `memory` command's one-off use). */
export type MemorySideInput = Pick<SessionInput, 'resolved' | 'paths' | 'env' | 'logger' | 'apiKey' | 'keyConsent'>;

/** Both stores as the config names them; the source falls back to this environment's memory endpoint. */
export function resolvedSides(input: Pick<SessionInput, 'resolved'>): { source: MemorySide; target: MemorySide } {
  return memorySides(input.resolved.config, environmentMemoryEndpoint(input.resolved));
}

function environmentMemoryEndpoint(resolved: ResolvedConfig): string | undefined {
  try {
    return resolved.endpoint('memory');
  } catch {
    // No endpoint for this environment: the source then needs one of its own (reported on open).
    return undefined;
  }
}

/** Copying a store onto itself is bad input, refused before any client is opened. */
export function refuseSameStore(source: MemorySide, target: MemorySide, resolved: ResolvedConfig): void {
  const reason = sameStoreReason(source, target, resolved.root);
  if (reason)
    throw new InputError(`The memory copy is refused: ${reason}.`, {
      where: where(resolved, target.setting),
      fix: SAME_STORE_FIX,
    });
}

/**
 * A memory client for one store, over that store's own transport: its URL, or its server
 * process started in the workspace folder with that side's environment. The API key goes
 * only where the key guard allows, and only to stores reached over the network.
 */
export async function openMemorySide(
  input: MemorySideInput,
  config: OrchestraConfig,
  side: MemorySide,
  outbox: string,
): Promise<ResilientMemoryClient> {
  const { resolved, paths, logger } = input;
  const setting = where(resolved, side.setting);
  if (side.transport !== 'mcp-stdio' && !side.endpoint) {
    throw new InputError(`The memory ${side.side} has no ${side.transport} endpoint.`, {
      where: setting,
      fix:
        side.side === 'target'
          ? 'Set memory.target.endpoint (or phases.memorySystem.targetEndpoint) to the cloud memory server, or skip the Memory System phase.'
          : 'Set memory.source.endpoint (or memory.endpoint) to the memory server to copy from.',
    });
  }
  if (side.transport === 'mcp-stdio' && !side.command) {
    throw new InputError(`The memory ${side.side} is reached over mcp-stdio, but no command starts its server.`, {
      where: setting,
      fix: `Set memory.${side.side}.command (and args, env with its MEMORY_FILE_PATH) to the MCP memory server.`,
    });
  }
  let key: string | undefined;
  if (side.transport !== 'mcp-stdio') {
    const named = side.keyVariable;
    if (named && !input.env[named]) {
      throw new InputError(`memory.${side.side}.keyVariable names ${named}, which is not set.`, {
        where: where(resolved, `memory.${side.side}.keyVariable`),
        fix: `Set the environment variable ${named} to the ${side.side} store's API key, or remove memory.${side.side}.keyVariable to use the team's key.`,
      });
    }
    key = await keyFor(
      side.endpoint,
      named ? input.env[named] : await input.apiKey(),
      input.keyConsent,
      input.env,
      setting,
    );
  }
  return createMemoryClient({
    config: {
      ...config.memory,
      transport: side.transport,
      endpoint: side.endpoint,
      command: side.command,
      args: side.args,
    },
    endpoint: side.endpoint,
    env: side.env,
    cwd: resolved.root,
    breaker: config.breaker,
    apiKey: key,
    logger,
    outboxDir: path.join(paths.outboxDir, outbox),
  });
}

/** A setting and the file (or variable) that set it, for messages. */
function where(resolved: ResolvedConfig, setting: string): string {
  const source = resolved.provenance(setting)?.source;
  return source && source !== setting ? `${setting} in ${source}` : setting;
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
