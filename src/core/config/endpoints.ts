/**
 * `getEndpoint(service)`: an explicit endpoint in the configuration wins;
 * otherwise the environment decides:
 *   local       http://localhost:<port>
 *   codespaces  https://<CODESPACE_NAME>-<port>.<GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN>
 *   workstation https://<port>-<WEB_HOST>
 *   cloud_run   only explicit endpoints (the API Deployment phase records them)
 * For 'memory', `memory.endpoint` wins over `endpoints.memory` (it is the more
 * specific key, and the one the editor setting orchestra.memory.endpoint feeds).
 */
import { InputError } from '../errors';
import type { EnvironmentKind } from '../environment';
import { SERVICE_NAMES, type OrchestraConfig, type ResolvedConfig, type ServiceName } from './types';

/** GitHub's documented default when the variable is missing. */
export const DEFAULT_CODESPACES_DOMAIN = 'app.github.dev';

export interface EndpointResolution {
  service: ServiceName;
  url: string;
  /** How it was chosen: the config key that set it, or the environment rule. */
  rule: string;
}

function isService(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}

function explicit(config: OrchestraConfig, service: ServiceName): { url: string; rule: string } | undefined {
  if (service === 'memory' && config.memory.endpoint) return { url: config.memory.endpoint, rule: 'memory.endpoint' };
  const url = config.endpoints[service];
  return url ? { url, rule: `endpoints.${service}` } : undefined;
}

export function resolveEndpoint(
  config: OrchestraConfig,
  kind: EnvironmentKind,
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): EndpointResolution {
  if (!isService(service)) {
    throw new InputError(`Unknown service '${service}'. Known services: ${SERVICE_NAMES.join(', ')}.`, {
      fix: `Ask for one of: ${SERVICE_NAMES.join(', ')}.`,
    });
  }
  const set = explicit(config, service);
  if (set) return { service, ...set };
  const port = config.ports[service];
  switch (kind) {
    case 'local':
      return { service, url: `http://localhost:${port}`, rule: `local: http://localhost:<ports.${service}>` };
    case 'codespaces': {
      const name = env.CODESPACE_NAME;
      if (!name) {
        throw new InputError(`Cannot build the Codespaces URL of '${service}': CODESPACE_NAME is not set.`, {
          where: 'environment codespaces',
          fix: `Run inside a codespace, or set endpoints.${service} in config/codespaces.json.`,
        });
      }
      const domain = env.GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN || DEFAULT_CODESPACES_DOMAIN;
      return {
        service,
        url: `https://${name}-${port}.${domain}`,
        rule: `codespaces: https://<CODESPACE_NAME>-<ports.${service}>.<GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN>`,
      };
    }
    case 'workstation': {
      const host = env.WEB_HOST;
      if (!host) {
        throw new InputError(`Cannot build the Workstation URL of '${service}': WEB_HOST is not set.`, {
          where: 'environment workstation',
          fix: `Run inside a Cloud Workstation, or set endpoints.${service} in config/workstation.json.`,
        });
      }
      return { service, url: `https://${port}-${host}`, rule: `workstation: https://<ports.${service}>-<WEB_HOST>` };
    }
    case 'cloud_run':
      throw new InputError(`No endpoint for '${service}' in cloud_run.`, {
        where: 'config/cloud_run.json',
        fix:
          service === 'memory'
            ? 'Set memory.endpoint (or endpoints.memory) in config/cloud_run.json to the memory service URL.'
            : `Set endpoints.${service} in config/cloud_run.json; the API Deployment phase records endpoints.api when it deploys.`,
      });
  }
}

/** The URL of a service for a resolved configuration; throws an InputError naming the fix. */
export function getEndpoint(
  resolved: ResolvedConfig,
  service: ServiceName | string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return resolveEndpoint(resolved.config, resolved.environment.kind, service, env).url;
}
