/**
 * ID tokens for calling a private Cloud Run service: its URL is the audience, as Cloud
 * Run requires (https://cloud.google.com/run/docs/authenticating/service-to-service).
 * On Google, google-auth-library's ID token client (`getIdTokenClient(audience)`) makes
 * one from Application Default Credentials (a service account key, the metadata server,
 * or impersonation); in emulator mode a loopback service URL gets one from the emulator's
 * token endpoint, the only ID tokens it accepts.
 */
import { OrchestraError } from '../errors';
import type * as AuthModule from './auth';
import type { GcpConfig } from '../config/types';
import { EmulatorTokens } from './emulator-token';
import { isLoopbackHost } from './token-guard';

let emulatorTokens: EmulatorTokens | undefined;

/** The Authorization header value for `audience` (the service URL: 'https://orchestra-api-xyz.a.run.app'). */
export async function idTokenAuthorization(
  audience: string,
  options: { gcp: Pick<GcpConfig, 'emulator'>; signal?: AbortSignal },
): Promise<string> {
  const url = new URL(audience);
  if (options.gcp.emulator && isLoopbackHost(url.hostname)) {
    emulatorTokens ??= new EmulatorTokens((u, init) => fetch(u, init));
    return `Bearer ${await emulatorTokens.idToken(audience, options.signal)}`;
  }
  if (url.protocol !== 'https:') {
    throw new OrchestraError(
      'ID_TOKEN_GUARD',
      `Refused to make an ID token for ${url.origin}: it is not an https URL.`,
      {
        where: audience,
        fix: 'A Cloud Run service URL is https://...run.app; a loopback URL needs gcp.emulator true.',
      },
    );
  }
  // Imported here, not at the top: every command that lists the phases loads this module (the
  // Validation phase uses it), and only a call on Google needs the auth library's bundle.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require() keeps the chunk unloaded until here
  const { CLOUD_PLATFORM_SCOPE, loadGoogleAuthLibrary } = require('./auth') as typeof AuthModule;
  const { GoogleAuth } = loadGoogleAuthLibrary();
  try {
    const client = await new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] }).getIdTokenClient(url.origin);
    const token = await client.idTokenProvider.fetchIdToken(url.origin);
    return `Bearer ${token}`;
  } catch (cause) {
    throw new OrchestraError('ID_TOKEN', `Could not get an ID token for ${url.origin}: ${(cause as Error).message}`, {
      where: audience,
      cause,
      fix: 'Use Application Default Credentials of a service account (a key file, the metadata server, or gcloud auth application-default login --impersonate-service-account=SA) that holds roles/run.invoker on the service.',
    });
  }
}
