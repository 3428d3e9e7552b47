/**
 * What verify, execute, status, monitor, skip and reset share: flag parsing, and
 * building the engine from the layered config with the Google Cloud client and the
 * two memory clients of the copy (created on first use).
 */
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { loadConfig, requireProject, type ResolvedConfig } from '../../core/config';
import { MEMORY_API_KEY_VARIABLE } from '../../core/config/secrets';
import type { OrchestraConfig } from '../../core/config/types';
import { InputError } from '../../core/errors';
import { createGcpClient, EMULATOR_PLACEHOLDER_TOKEN } from '../../core/gcp';
import { withEmulatorDefaults } from '../../core/gcp/endpoints';
import { createMemoryClient } from '../../core/memory';
import type { JsonValue, MemoryClient } from '../../core/memory/types';
import { MigrationEngine } from '../../core/migration/engine';
import { COPY_CONCURRENCY } from '../../core/migration/memory-copy';
import { builtInPhases } from '../../core/migration/phases';
import type { MemoryPair } from '../../core/migration/types';
import type { CliContext } from '../command';

export interface Flags {
  booleans: Set<string>;
  /** Repeatable values (`--phase a --phase b` or `--phase a,b`). */
  values: Map<string, string[]>;
  positional: string[];
}

export function parseFlags(argv: string[], spec: { booleans: string[]; values: string[]; usage: string }): Flags {
  const flags: Flags = { booleans: new Set(), values: new Map(), positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    if (spec.booleans.includes(name)) {
      flags.booleans.add(name);
    } else if (spec.values.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('--'))
        throw new InputError(`${name} needs a value.`, { fix: `Usage: ${spec.usage}` });
      flags.values.set(name, [...(flags.values.get(name) ?? []), ...value.split(',').filter(Boolean)]);
    } else if (arg.startsWith('-')) {
      throw new InputError(`Unknown option ${arg}.`, { fix: `Usage: ${spec.usage}` });
    } else {
      flags.positional.push(arg);
    }
  }
  return flags;
}

export interface MigrationSession {
  engine: MigrationEngine;
  resolved: ResolvedConfig;
  config: OrchestraConfig;
  close(): Promise<void>;
}

export async function openMigration(ctx: CliContext): Promise<MigrationSession> {
  const resolved = await loadConfig({ dir: ctx.cwd, env: ctx.env });
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
      const cloudRun = await loadConfig({ dir: ctx.cwd, env: ctx.env, kind: 'cloud_run' });
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
  ctx: CliContext,
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
    apiKey: ctx.env[MEMORY_API_KEY_VARIABLE],
    logger: ctx.logger,
    outboxDir: outbox('copy-source'),
  });
  clients.push(source);
  const target = await createMemoryClient({
    config: { ...config.memory, poolSize: Math.max(config.memory.poolSize, COPY_CONCURRENCY) },
    endpoint: targetEndpoint,
    breaker: { ...config.breaker, maxConcurrency: Math.max(config.breaker.maxConcurrency, COPY_CONCURRENCY) },
    // One key for both servers: the team's memory API key (never in config files).
    apiKey: ctx.env[MEMORY_API_KEY_VARIABLE],
    logger: ctx.logger,
    outboxDir: outbox('copy-target'),
  });
  clients.push(target);
  return { source, target };
}

export function phasesFlag(flags: Flags): string[] | undefined {
  const phases = flags.values.get('--phase');
  return phases && phases.length ? phases : undefined;
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
