/**
 * "Who am I, in which project, and what may I do?" Project ID in the order
 * config, ORCHESTRA_PROJECT_ID / GOOGLE_CLOUD_PROJECT, then what ADC knows (the
 * credentials file, gcloud's active configuration, the metadata server). Files are
 * read directly and the metadata server is asked with a short bound, so this
 * never hangs for seconds on a laptop with no Google Cloud around it.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { GcpConfig } from '../config/types';
import { adcSource, gcloudConfigDir, projectFromCredentials, readCredentialsFile, type CredentialSource } from './auth';

export { projectFromCredentials };
import type { GcpClient } from './types';

export type ProjectSource =
  | 'config'
  | 'ORCHESTRA_PROJECT_ID'
  | 'GOOGLE_CLOUD_PROJECT'
  | 'credentials-file'
  | 'gcloud-config'
  | 'metadata-server'
  | 'none';

export interface ProjectResolution {
  projectId?: string;
  source: ProjectSource;
}

export interface IdentityOptions {
  configProjectId?: string;
  env?: NodeJS.ProcessEnv;
  /** Bound on the metadata server probe, ms (default 500). */
  metadataTimeoutMs?: number;
}

const METADATA_IP = '169.254.169.254';

export async function resolveProjectId(options: IdentityOptions = {}): Promise<ProjectResolution> {
  const env = options.env ?? process.env;
  if (options.configProjectId) return { projectId: options.configProjectId, source: 'config' };
  if (env.ORCHESTRA_PROJECT_ID) return { projectId: env.ORCHESTRA_PROJECT_ID, source: 'ORCHESTRA_PROJECT_ID' };
  const fromEnv = env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT;
  if (fromEnv) return { projectId: fromEnv, source: 'GOOGLE_CLOUD_PROJECT' };
  const { file } = adcSource(env);
  const fromFile = file ? projectFromCredentials(readCredentialsFile(file)) : undefined;
  if (fromFile) return { projectId: fromFile, source: 'credentials-file' };
  const fromGcloud = gcloudConfigProject(env);
  if (fromGcloud) return { projectId: fromGcloud, source: 'gcloud-config' };
  const fromMetadata = await metadataGet('project/project-id', env, options.metadataTimeoutMs ?? 500);
  if (fromMetadata) return { projectId: fromMetadata, source: 'metadata-server' };
  return { source: 'none' };
}

/** gcloud's `core/project` from the active configuration's INI file (no gcloud process). */
export function gcloudConfigProject(env: NodeJS.ProcessEnv): string | undefined {
  if (env.CLOUDSDK_CORE_PROJECT) return env.CLOUDSDK_CORE_PROJECT;
  const dir = gcloudConfigDir(env);
  try {
    const active = env.CLOUDSDK_ACTIVE_CONFIG_NAME ?? fs.readFileSync(path.join(dir, 'active_config'), 'utf8').trim();
    const ini = fs.readFileSync(path.join(dir, 'configurations', `config_${active || 'default'}`), 'utf8');
    let section = '';
    for (const line of ini.split(/\r?\n/)) {
      const header = /^\s*\[([^\]]+)\]/.exec(line);
      if (header) section = header[1].trim();
      const entry = /^\s*project\s*=\s*(\S+)/.exec(line);
      if (section === 'core' && entry) return entry[1];
    }
  } catch {
    // No gcloud configuration: not an error, just no answer from this source.
  }
  return undefined;
}

/** GET a metadata value, or undefined after `timeoutMs`; GCE_METADATA_HOST is honoured as by Google's libraries. */
export function metadataGet(item: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string | undefined> {
  if (env.METADATA_SERVER_DETECTION === 'none') return Promise.resolve(undefined);
  const host = env.GCE_METADATA_HOST ?? env.GCE_METADATA_IP ?? METADATA_IP;
  return new Promise((resolve) => {
    const req = http.get(
      {
        host: host.split(':')[0],
        port: Number(host.split(':')[1] ?? 80),
        path: `/computeMetadata/v1/${item}`,
        headers: { 'Metadata-Flavor': 'Google' },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve(
            res.statusCode === 200 && res.headers['metadata-flavor'] === 'Google'
              ? text.trim() || undefined
              : undefined,
          ),
        );
      },
    );
    const timer = setTimeout(() => req.destroy(), timeoutMs);
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.on('close', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

export interface Identity {
  /** The account requests act as (service account email), when it can be known without a network call. */
  account?: string;
  /** Who signs in to impersonate `account`, when impersonating. */
  via?: string;
  credentialSource: CredentialSource | 'emulator';
  credentialType?: string;
  credentialsFile?: string;
  projectId?: string;
  projectSource: ProjectSource;
  /** A line for people. */
  summary: string;
}

/** Who the engine acts as, from local evidence only (files, config, a bounded metadata probe). */
export async function describeIdentity(
  gcp: Pick<GcpConfig, 'targetPrincipal' | 'emulator'>,
  options: IdentityOptions = {},
): Promise<Identity> {
  const env = options.env ?? process.env;
  const project = await resolveProjectId(options);
  const { source, file } = adcSource(env);
  const json = file ? readCredentialsFile(file) : undefined;
  const type = typeof json?.type === 'string' ? json.type : source === 'metadata-server' ? 'gce_metadata' : undefined;
  let account = accountFromCredentials(json);
  if (!account && source === 'metadata-server' && !gcp.emulator) {
    account = await metadataGet('instance/service-accounts/default/email', env, options.metadataTimeoutMs ?? 500);
  }
  const identity: Identity = {
    account,
    credentialSource: gcp.emulator && source === 'metadata-server' && !account ? 'emulator' : source,
    credentialType: type,
    credentialsFile: file,
    projectId: project.projectId,
    projectSource: project.source,
    summary: '',
  };
  if (gcp.targetPrincipal) {
    identity.via = account ?? describeType(type);
    identity.account = gcp.targetPrincipal;
  }
  identity.summary = summarize(identity);
  return identity;
}

function accountFromCredentials(json: Record<string, unknown> | undefined): string | undefined {
  if (!json) return undefined;
  if (typeof json.client_email === 'string') return json.client_email;
  const url = typeof json.service_account_impersonation_url === 'string' ? json.service_account_impersonation_url : '';
  return /serviceAccounts\/([^:/]+):generateAccessToken/.exec(url)?.[1];
}

function describeType(type: string | undefined): string {
  switch (type) {
    case 'authorized_user':
      return 'your user credentials';
    case 'external_account':
      return 'a federated identity (Workload Identity Federation)';
    case 'service_account':
      return 'a service account key';
    case 'gce_metadata':
      return "the machine's service account";
    default:
      return 'unknown credentials';
  }
}

function summarize(i: Identity): string {
  const who = i.account ? i.account : describeType(i.credentialType);
  const via = i.via ? ` (impersonated by ${i.via})` : '';
  const from = i.credentialsFile
    ? ` from ${i.credentialsFile}`
    : i.credentialSource === 'metadata-server'
      ? ' from the metadata server'
      : '';
  const project = i.projectId
    ? `project ${i.projectId} (from ${i.projectSource})`
    : 'no project found: set projectId in config or ORCHESTRA_PROJECT_ID';
  return `${who}${via}${from}; ${project}`;
}

export interface PermissionCheck {
  granted: string[];
  missing: string[];
}

/** Which of `permissions` the caller lacks on the project (projects.testIamPermissions, 100 per call). */
export async function preflightPermissions(
  client: GcpClient,
  projectId: string,
  permissions: string[],
  signal?: AbortSignal,
): Promise<PermissionCheck> {
  const unique = [...new Set(permissions)];
  const granted = new Set<string>();
  for (let i = 0; i < unique.length; i += 100) {
    const chunk = unique.slice(i, i + 100);
    const answer = await client.request<{ permissions?: string[] }>({
      api: 'cloudresourcemanager',
      method: 'POST',
      path: `/v3/projects/${encodeURIComponent(projectId)}:testIamPermissions`,
      body: { permissions: chunk },
      idempotent: true,
      signal,
    });
    for (const p of answer.permissions ?? []) granted.add(p);
  }
  return { granted: unique.filter((p) => granted.has(p)), missing: unique.filter((p) => !granted.has(p)) };
}
