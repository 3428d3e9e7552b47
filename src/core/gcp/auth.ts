/**
 * Credentials. google-auth-library is loaded on first use only, so that loading
 * the engine (and activating the extension) stays cheap.
 * Application Default Credentials come in Google's order: GOOGLE_APPLICATION_CREDENTIALS
 * (a service account key, an authorized user or an external_account file for
 * Workload Identity Federation), gcloud's ADC file, then the metadata server.
 * `targetPrincipal` wraps the result in an Impersonated client.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as GalModule from 'google-auth-library';
import type { GoogleAuth } from 'google-auth-library';
import { OrchestraError } from '../errors';
import type { GcpConfig } from '../config/types';
import type { Logger } from '../logger';
import { nullLogger } from '../logger';
import { isGoogleApiHost, isLoopbackHost } from './token-guard';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** Anything that can give an access token: google-auth-library's clients fit. */
export interface AuthClientLike {
  getAccessToken(): Promise<string | null | undefined | { token?: string | null }>;
}

export type CredentialsOption = 'adc' | { accessToken: string } | AuthClientLike;

export type CredentialSource =
  | 'access-token'
  | 'auth-client'
  | 'GOOGLE_APPLICATION_CREDENTIALS'
  | 'gcloud-adc'
  | 'orchestra-login'
  | 'metadata-server'
  | 'none';

export interface TokenSource {
  getAccessToken(): Promise<string>;
}

type Gal = typeof GalModule;
let gal: Gal | undefined;
/** Lazy require: esbuild bundles it, but it is evaluated only when a token is first needed. */
export function loadGoogleAuthLibrary(): Gal {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  gal ??= require('google-auth-library') as Gal;
  return gal;
}

export function gcloudConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLOUDSDK_CONFIG) return env.CLOUDSDK_CONFIG;
  if (process.platform === 'win32' && env.APPDATA) return path.join(env.APPDATA, 'gcloud');
  return path.join(env.HOME ?? os.homedir(), '.config', 'gcloud');
}

export function gcloudAdcFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(gcloudConfigDir(env), 'application_default_credentials.json');
}

/** Where `orchestra-migrate login` keeps its authorized_user credentials. */
export function orchestraLoginFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME ?? path.join(env.HOME ?? os.homedir(), '.config');
  return path.join(base, 'orchestra-migrate', 'application_default_credentials.json');
}

/** Which ADC step will answer, without any network call. */
export function adcSource(env: NodeJS.ProcessEnv = process.env): { source: CredentialSource; file?: string } {
  if (env.GOOGLE_APPLICATION_CREDENTIALS)
    return { source: 'GOOGLE_APPLICATION_CREDENTIALS', file: env.GOOGLE_APPLICATION_CREDENTIALS };
  const gcloudFile = gcloudAdcFile(env);
  if (fs.existsSync(gcloudFile)) return { source: 'gcloud-adc', file: gcloudFile };
  const loginFile = orchestraLoginFile(env);
  if (fs.existsSync(loginFile)) return { source: 'orchestra-login', file: loginFile };
  return { source: 'metadata-server' };
}

export function readCredentialsFile(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** project_id of a key, quota_project_id of user credentials, the pool's project number of an external_account. */
export function projectFromCredentials(json: Record<string, unknown> | undefined): string | undefined {
  if (!json) return undefined;
  for (const key of ['project_id', 'quota_project_id', 'workforce_pool_user_project']) {
    if (typeof json[key] === 'string' && json[key]) return json[key] as string;
  }
  const audience = typeof json.audience === 'string' ? json.audience : '';
  return /\/projects\/(\d+)\/locations\//.exec(audience)?.[1];
}

export interface AdcOptions {
  gcp?: Pick<GcpConfig, 'targetPrincipal' | 'quotaProjectId'>;
  env?: NodeJS.ProcessEnv;
  scopes?: string[];
  logger?: Logger;
  /**
   * The project, when known. google-auth-library otherwise looks it up while
   * building the client (for external_account, by a token exchange and an API call).
   */
  projectId?: string;
}

export interface Adc {
  /** google-auth-library's GoogleAuth (source credentials). */
  auth: GoogleAuth;
  /** The client that signs requests: the ADC client, or an Impersonated one. */
  client(): Promise<AuthClientLike>;
  source: CredentialSource;
  file?: string;
}

export function createAdc(options: AdcOptions = {}): Adc {
  const env = options.env ?? process.env;
  const { GoogleAuth, Impersonated } = loadGoogleAuthLibrary();
  const scopes = options.scopes ?? [CLOUD_PLATFORM_SCOPE];
  const { source, file } = adcSource(env);
  // Our own login file is not on Google's search path: name it explicitly.
  const projectId = options.projectId ?? (file ? projectFromCredentials(readCredentialsFile(file)) : undefined);
  const auth = new GoogleAuth({
    scopes,
    projectId,
    keyFilename: source === 'orchestra-login' ? file : undefined,
    clientOptions: options.gcp?.quotaProjectId ? { quotaProjectId: options.gcp.quotaProjectId } : undefined,
  });
  let cached: Promise<AuthClientLike> | undefined;
  const client = () => {
    cached ??= (async () => {
      const base = await auth.getClient();
      const target = options.gcp?.targetPrincipal;
      if (!target) return base as AuthClientLike;
      (options.logger ?? nullLogger).debug(`gcp: impersonating ${target}`);
      return new Impersonated({
        sourceClient: base,
        targetPrincipal: target,
        targetScopes: scopes,
        lifetime: 3600,
        delegates: [],
      });
    })();
    return cached;
  };
  return { auth, client, source, file };
}

export interface UserCredentials {
  clientId: string;
  clientSecret?: string;
  refreshToken: string;
  /** Google's token endpoint unless a test points it at a loopback fake. */
  tokenEndpoint?: string;
}

/**
 * A client for the refresh token the editor's loopback sign-in keeps in
 * SecretStorage: pass it as `credentials` to createGcpClient.
 */
export function userCredentials(c: UserCredentials): AuthClientLike {
  const { UserRefreshClient } = loadGoogleAuthLibrary();
  if (c.tokenEndpoint) {
    const url = new URL(c.tokenEndpoint);
    if (!isLoopbackHost(url.hostname) && !isGoogleApiHost(url)) {
      throw new OrchestraError('GCP_TOKEN_GUARD', `Refused to send a refresh token to ${url.origin}`, {
        where: url.origin,
        fix: 'Leave tokenEndpoint unset.',
      });
    }
  }
  return new UserRefreshClient({
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    refreshToken: c.refreshToken,
    ...(c.tokenEndpoint ? { endpoints: { oauth2TokenUrl: c.tokenEndpoint } } : {}),
  });
}

export function tokenSourceFor(credentials: CredentialsOption, adc: () => Adc): TokenSource {
  if (credentials !== 'adc' && 'accessToken' in credentials) {
    const token = credentials.accessToken;
    return { getAccessToken: async () => token };
  }
  const clientPromise = () => (credentials === 'adc' ? adc().client() : Promise.resolve(credentials));
  return {
    async getAccessToken() {
      let raw: Awaited<ReturnType<AuthClientLike['getAccessToken']>>;
      try {
        raw = await (await clientPromise()).getAccessToken();
      } catch (cause) {
        throw noCredentials(cause);
      }
      const token = typeof raw === 'string' ? raw : raw?.token;
      if (!token) throw noCredentials(undefined);
      return token;
    },
  };
}

function noCredentials(cause: unknown): OrchestraError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new OrchestraError('GCP_NO_CREDENTIALS', `No Google credentials could give an access token${detail}`, {
    where: 'Application Default Credentials',
    fix: 'Run `gcloud auth application-default login` or `orchestra-migrate login`, or set GOOGLE_APPLICATION_CREDENTIALS to a key or external_account file.',
    cause,
  });
}
