/**
 * The resolved configuration as lines (path, value, layer, source): what the
 * `config` command prints and the status bar / UI can reuse.
 */
import * as path from 'node:path';
import { resolveEndpoint } from './endpoints';
import { isPlainObject } from './paths';
import { SERVICE_NAMES, type ConfigLayer, type ResolvedConfig, type ServiceName } from './types';

export interface ConfigLine {
  /** Dotted path, e.g. 'memory.timeoutMs'. */
  path: string;
  value: unknown;
  /** The value as JSON text, for display. */
  display: string;
  layer: ConfigLayer;
  /** File (relative to the workspace folder), setting id, variable name or 'built-in defaults'. */
  source: string;
}

export interface EndpointLine {
  service: ServiceName;
  url?: string;
  rule?: string;
  /** Why it cannot be resolved in this environment. */
  error?: string;
}

function displaySource(source: string, root: string): string {
  return path.isAbsolute(source) ? path.relative(root, source).split(path.sep).join('/') : source;
}

/** One line per leaf value (scalars, lists, empty objects), in configuration order. */
export function describeConfig(resolved: ResolvedConfig): ConfigLine[] {
  const lines: ConfigLine[] = [];
  const walk = (value: unknown, prefix: string) => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) walk(child, prefix ? `${prefix}.${key}` : key);
      return;
    }
    const provenance = resolved.provenance(prefix);
    lines.push({
      path: prefix,
      value,
      display: JSON.stringify(value),
      layer: provenance?.layer ?? 'defaults',
      source: provenance ? displaySource(provenance.source, resolved.root) : 'built-in defaults',
    });
  };
  walk(resolved.config, '');
  return lines;
}

/** Each service's endpoint in this environment, or why there is none. */
export function describeEndpoints(resolved: ResolvedConfig, env: NodeJS.ProcessEnv = process.env): EndpointLine[] {
  return SERVICE_NAMES.map((service) => {
    try {
      const { url, rule } = resolveEndpoint(resolved.config, resolved.environment.kind, service, env);
      return { service, url, rule };
    } catch (error) {
      return { service, error: (error as Error).message };
    }
  });
}
