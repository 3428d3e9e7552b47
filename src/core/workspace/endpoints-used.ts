/**
 * The endpoints a run and the health check call with this configuration, as the views
 * show them: the memory servers the copy reads and writes, where each Google API goes
 * (the emulator, an override, or Google), and the API the migration deployed. Services
 * nobody set (the local port table's defaults) are not shown: they are not used.
 */
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { resolveEndpoint as resolveServiceEndpoint } from '../config/endpoints';
import { describeSide, memorySides, type MemorySide } from '../config/memory-sides';
import type { ResolvedConfig } from '../config/types';
import {
  emulatorOverrides,
  GCP_APIS,
  normalizeOverride,
  resolveEndpoint,
  withEmulatorDefaults,
} from '../gcp/endpoints';
import type { WorkspacePaths } from './paths';

export interface UsedEndpoint {
  /** What calls it, in words: "Memory server", "Google Cloud APIs", "Deployed API". */
  readonly name: string;
  readonly url: string;
  /** Where the address comes from: the config key, the environment rule, or the state. */
  readonly rule: string;
}

export function usedEndpoints(resolved: ResolvedConfig, env: NodeJS.ProcessEnv, apiUrl?: string): UsedEndpoint[] {
  const { config } = resolved;
  const used: UsedEndpoint[] = [];
  const memory = memoryEndpoint(resolved, env);
  if (memory) used.push({ name: 'Memory server', ...memory });
  // The copy's stores, each as its own side resolves it (memory.source/target over the shared keys).
  const { source, target } = memorySides(config);
  const sourceAt = storeAddress(source);
  const sourceNamed = Boolean(config.memory.source) || Boolean(config.phases.memorySystem.sourceEndpoint);
  if (sourceNamed && sourceAt && sourceAt !== memory?.url) {
    used.push({ name: 'Memory copy source', url: sourceAt, rule: storeRule(source) });
  }
  const targetAt = storeAddress(target);
  if (targetAt) used.push({ name: 'Memory copy target', url: targetAt, rule: storeRule(target) });
  used.push(...googleEndpoints(resolved, env));
  if (apiUrl) used.push({ name: 'Deployed API', url: apiUrl, rule: 'recorded by API Deployment' });
  return used;
}

function storeAddress(side: MemorySide): string | undefined {
  if (side.transport !== 'mcp-stdio') return side.endpoint;
  return side.command ? describeSide(side) : undefined;
}

function storeRule(side: MemorySide): string {
  const how = side.transport === 'mcp-stdio' ? ' (MCP over stdio)' : side.transport === 'mcp-http' ? ' (MCP)' : '';
  return `${side.setting}${how}`;
}

function memoryEndpoint(resolved: ResolvedConfig, env: NodeJS.ProcessEnv): { url: string; rule: string } | undefined {
  const { memory } = resolved.config;
  if (memory.transport === 'mcp-stdio') {
    return memory.command ? { url: memory.command, rule: 'memory.command (MCP over stdio)' } : undefined;
  }
  try {
    const { url, rule } = resolveServiceEndpoint(resolved.config, resolved.environment.kind, 'memory', env);
    return { url, rule };
  } catch {
    // The environment cannot build the address (a codespace variable missing): health says why.
    return undefined;
  }
}

/** Each distinct base the Google APIs go to, naming the APIs when they do not all go to one. */
function googleEndpoints(resolved: ResolvedConfig, env: NodeJS.ProcessEnv): UsedEndpoint[] {
  let gcp = resolved.config.gcp;
  // The emulator's base per API ('http://h:8085/alloydb'): all of them one line, '<api>' in the URL.
  let perApi: { each: Record<string, string>; shown: string } | undefined;
  if (gcp.emulator) {
    try {
      const emulator = resolved.endpoint('gcpEmulator');
      gcp = withEmulatorDefaults(gcp, emulator, env);
      perApi = { each: emulatorOverrides(emulator), shown: `${normalizeOverride(emulator)}/<api>` };
    } catch {
      // No emulator address in this environment: the APIs without an override show where they would go.
    }
  }
  const groups = new Map<string, { apis: string[]; rule: string }>();
  for (const api of GCP_APIS) {
    let base: string;
    let rule: string;
    try {
      const resolvedApi = resolveEndpoint(api, gcp, env);
      const google = resolvedApi.source === 'google';
      base = google
        ? 'https://*.googleapis.com'
        : perApi && resolvedApi.base === perApi.each[api]
          ? perApi.shown
          : resolvedApi.base;
      rule = google
        ? 'Google'
        : resolvedApi.source === 'env'
          ? 'CLOUDSDK_API_ENDPOINT_OVERRIDES_*'
          : gcp.emulator
            ? 'gcp.emulator'
            : 'gcp.endpointOverrides';
    } catch (error) {
      base = `unusable override: ${(error as Error).message}`;
      rule = 'gcp.endpointOverrides';
    }
    const group = groups.get(base) ?? { apis: [], rule };
    group.apis.push(api);
    groups.set(base, group);
  }
  const one = groups.size === 1;
  return [...groups].map(([url, { apis, rule }]) => ({
    name: one ? 'Google Cloud APIs' : `Google Cloud: ${apis.join(', ')}`,
    url,
    rule,
  }));
}

/**
 * The state file a view shows while the configuration does not load: the last good load's,
 * else the only `state-<project>.json` in the default state folder (none, or several, and
 * the views cannot know which project is meant).
 */
export async function lastKnownState(
  paths: WorkspacePaths | undefined,
  folder: string,
): Promise<{ stateFile?: string; projectId?: string }> {
  if (paths?.stateFile) {
    const projectId = /^state-(.+)\.json$/.exec(path.basename(paths.stateFile))?.[1];
    if (projectId) return { stateFile: paths.stateFile, projectId };
  }
  const dir = path.join(folder, '.orchestra');
  const names = await readdir(dir).catch(() => [] as string[]);
  const states = names.map((name) => /^state-(.+)\.json$/.exec(name)).filter((m) => m !== null);
  if (states.length !== 1) return {};
  return { stateFile: path.join(dir, states[0][0]), projectId: states[0][1] };
}
