/**
 * A Google access token is a bearer credential: whoever receives it acts as the
 * user. It may only travel to Google's own hosts over TLS, or to the local
 * emulator on a loopback address when the configuration says it is one.
 */
import type { GcpConfig } from '../config/types';
import { InputError, OrchestraError } from '../errors';
import { GCP_APIS, overrideEnvName, resolveEndpoint } from './endpoints';
import { GCP_API_HOSTS, type GcpApi } from './types';

/**
 * Every spelling of loopback: localhost, 127/8, ::1, and IPv4-mapped 127/8
 * (`::ffff:127.0.0.1`, which URL serializes as `::ffff:7f00:1`).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  const mapped = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:(.+)$/.exec(host)?.[1];
  if (!mapped) return false;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(mapped)) return true;
  // Hex form: the first 16 bits hold the first two octets, 0x7fXX is 127.XX.
  return /^7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(mapped);
}

export function isGoogleApiHost(url: URL): boolean {
  return url.protocol === 'https:' && url.hostname.toLowerCase().endsWith('.googleapis.com') && url.username === '';
}

/** Throws before any connection is made when `url` may not receive a token. */
export function assertTokenDestination(url: URL, options: { emulator: boolean }): void {
  if (isGoogleApiHost(url)) return;
  if (options.emulator && isLoopbackHost(url.hostname)) return;
  const why = isLoopbackHost(url.hostname)
    ? 'it is a loopback address, but gcp.emulator is not true'
    : 'it is neither a Google API host (https://*.googleapis.com) nor the local emulator';
  throw new OrchestraError('GCP_TOKEN_GUARD', `Refused to send a Google access token to ${url.origin}: ${why}.`, {
    where: url.origin,
    fix: 'Point gcp.endpointOverrides at https://*.googleapis.com, or at the local emulator (127.0.0.1) with gcp.emulator set to true.',
  });
}

/**
 * Every endpoint override that could never receive a token, found at config time: the
 * same rule as assertTokenDestination, applied before any client is built, so bad
 * config is exit 2 with the setting named instead of a refusal mid-run.
 * `sourceOf(api)`: where the override was set (a file, a variable) for the message.
 */
export function assertOverridesAllowed(
  gcp: Pick<GcpConfig, 'endpointOverrides' | 'emulator'>,
  env: NodeJS.ProcessEnv,
  sourceOf: (api: GcpApi, setting: string) => string,
): void {
  for (const api of GCP_APIS) {
    const { base, source } = resolveEndpoint(api, gcp, env);
    if (source === 'google') continue;
    const url = new URL(base);
    if (isGoogleApiHost(url) || (gcp.emulator && isLoopbackHost(url.hostname))) continue;
    const setting = source === 'env' ? overrideEnvName(api) : `gcp.endpointOverrides.${api}`;
    const why = isLoopbackHost(url.hostname)
      ? 'a local address is the emulator only when gcp.emulator is true'
      : url.protocol === 'http:'
        ? 'an http:// address would carry the Google access token in clear text'
        : 'it is not a Google API host (https://*.googleapis.com)';
    throw new InputError(`The Google endpoint override ${setting} = ${base} cannot be used: ${why}.`, {
      where: sourceOf(api, setting),
      fix: isLoopbackHost(url.hostname)
        ? 'Set gcp.emulator to true for a rehearsal against the local emulator, or remove the override.'
        : `Remove the override, or point it at https://${GCP_API_HOSTS[api].replace(/^https:\/\//, '')}.`,
    });
  }
}
