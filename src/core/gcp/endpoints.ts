/**
 * Where each API lives: Google's host, or an override (config
 * `gcp.endpointOverrides[api]`, then gcloud's `CLOUDSDK_API_ENDPOINT_OVERRIDES_<API>`).
 * Request paths always carry their version ('/v1/...', '/storage/v1/...'), so an
 * override is reduced to its origin plus any prefix that is not a version path.
 */
import { InputError } from '../errors';
import type { GcpConfig } from '../config/types';
import { GCP_API_HOSTS, type GcpApi } from './types';

export const GCP_APIS = Object.keys(GCP_API_HOSTS) as GcpApi[];

/** The service name Service Usage knows each API by. */
export const GCP_API_SERVICES: Readonly<Record<GcpApi, string>> = {
  serviceusage: 'serviceusage.googleapis.com',
  iam: 'iam.googleapis.com',
  cloudresourcemanager: 'cloudresourcemanager.googleapis.com',
  artifactregistry: 'artifactregistry.googleapis.com',
  storage: 'storage.googleapis.com',
  workstations: 'workstations.googleapis.com',
  firestore: 'firestore.googleapis.com',
  secretmanager: 'secretmanager.googleapis.com',
  run: 'run.googleapis.com',
  alloydb: 'alloydb.googleapis.com',
  aiplatform: 'aiplatform.googleapis.com',
  cloudbuild: 'cloudbuild.googleapis.com',
};

export function overrideEnvName(api: GcpApi): string {
  return `CLOUDSDK_API_ENDPOINT_OVERRIDES_${api.toUpperCase()}`;
}

/**
 * 'http://h:1/', 'http://h:1/v1/', 'http://h:1/storage/v1/' -> 'http://h:1'.
 * Keeps a non-version prefix ('https://proxy/google/v1/' -> 'https://proxy/google').
 */
export function normalizeOverride(value: string, source = 'endpoint override'): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch (cause) {
    throw new InputError(`'${value}' is not a URL`, {
      where: source,
      fix: "Give a base URL such as 'http://127.0.0.1:8085' or 'https://run.googleapis.com/'.",
      cause,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`'${value}' is not an http(s) URL`, { where: source, fix: 'Use http:// or https://.' });
  }
  let path = url.pathname.replace(/\/+$/, '');
  path = path.replace(/\/storage\/v1$/, '').replace(/\/v\d+(?:(?:alpha|beta)\d*)?$/, '');
  return `${url.origin}${path}`;
}

/**
 * Vertex AI serves prediction on regional hosts ('us-central1-aiplatform.googleapis.com'),
 * named by the location in the path; other APIs (and overrides) keep their one base.
 */
export function regionalBase(api: GcpApi, resolved: ResolvedEndpoint, path: string): string {
  if (api !== 'aiplatform' || resolved.source !== 'google') return resolved.base;
  const location = /\/locations\/([a-z0-9-]+)\//.exec(path)?.[1];
  return location && location !== 'global' ? `https://${location}-aiplatform.googleapis.com` : resolved.base;
}

export interface ResolvedEndpoint {
  base: string;
  /** 'google' for the real host, else where the override came from. */
  source: 'google' | 'config' | 'env';
}

export function resolveEndpoint(
  api: GcpApi,
  gcp: Pick<GcpConfig, 'endpointOverrides'>,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedEndpoint {
  const fromConfig = gcp.endpointOverrides?.[api];
  if (fromConfig) return { base: normalizeOverride(fromConfig, `gcp.endpointOverrides.${api}`), source: 'config' };
  const name = overrideEnvName(api);
  const fromEnv = env[name];
  if (fromEnv) return { base: normalizeOverride(fromEnv, name), source: 'env' };
  return { base: GCP_API_HOSTS[api], source: 'google' };
}

/**
 * Every API overridden to the emulator (the sandbox serves them all on one port), each at a
 * base that names it ('/alloydb'), as its own host does on Google: the emulator then answers
 * as that API's host, so a call sent to the wrong API (an operation polled on another API's
 * host) fails in a rehearsal as it would on Google. Storage's paths name it already.
 */
export function emulatorOverrides(baseUrl: string): Record<GcpApi, string> {
  const base = normalizeOverride(baseUrl);
  return Object.fromEntries(GCP_APIS.map((api) => [api, api === 'storage' ? base : `${base}/${api}`])) as Record<
    GcpApi,
    string
  >;
}

/**
 * The same as gcloud environment variables, e.g. for a child `gcloud` process. Each API's
 * base names the API ('/alloydb/'), as its own host does on Google: operations share one
 * path shape across APIs, and `gcloud alloydb operations list` must list AlloyDB's only.
 */
export function emulatorOverrideEnv(baseUrl: string): Record<string, string> {
  const base = normalizeOverride(baseUrl);
  return Object.fromEntries(
    GCP_APIS.map((api) => [overrideEnvName(api), api === 'storage' ? `${base}/storage/v1/` : `${base}/${api}/`]),
  );
}

/**
 * In emulator mode, every API without an override of its own (config or gcloud
 * variable) goes to the emulator's base URL (`endpoints.gcpEmulator`, by default
 * http://localhost:8085): a rehearsal needs `gcp.emulator: true` and nothing more,
 * and a half-configured rehearsal can never fall through to Google's hosts.
 */
export function withEmulatorDefaults(
  gcp: GcpConfig,
  emulatorBaseUrl: string,
  env: NodeJS.ProcessEnv = process.env,
): GcpConfig {
  if (!gcp.emulator) return gcp;
  const overrides: Record<string, string> = { ...gcp.endpointOverrides };
  const each = emulatorOverrides(emulatorBaseUrl);
  for (const api of GCP_APIS) {
    if (!overrides[api] && !env[overrideEnvName(api)]) overrides[api] = each[api];
  }
  return { ...gcp, endpointOverrides: overrides };
}
