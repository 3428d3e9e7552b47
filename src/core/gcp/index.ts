/** The Google Cloud layer: one import for the engine, the CLI and the extension. */
export * from './types';
export { GcpApiError, isGcpError, parseGcpError, errorFromStatus, roleForPermission, type GcpStatus } from './errors';
export { createGcpClient, type GcpClientOptions, type FetchLike } from './client';
export { EmulatorTokens } from './emulator-token';
export {
  resolveEndpoint,
  emulatorOverrides,
  emulatorOverrideEnv,
  normalizeOverride,
  overrideEnvName,
  GCP_APIS,
  GCP_API_SERVICES,
} from './endpoints';
export { assertTokenDestination, isLoopbackHost, isGoogleApiHost } from './token-guard';
export { DEFAULT_RETRY, type RetryOptions } from './retry';
export { DEFAULT_POLL, type PollOptions } from './operations';
export {
  CLOUD_PLATFORM_SCOPE,
  createAdc,
  adcSource,
  type CredentialsOption,
  type CredentialSource,
  type AuthClientLike,
} from './auth';
export {
  describeIdentity,
  preflightPermissions,
  resolveProjectId,
  type Identity,
  type PermissionCheck,
  type ProjectResolution,
} from './identity';
export {
  loopbackLogin,
  createPkce,
  GOOGLE_AUTH_ENDPOINT,
  GOOGLE_TOKEN_ENDPOINT,
  type LoopbackLoginOptions,
  type LoopbackTokens,
} from './loopback-login';
