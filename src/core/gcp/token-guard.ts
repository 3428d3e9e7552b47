/**
 * A Google access token is a bearer credential: whoever receives it acts as the
 * user. It may only travel to Google's own hosts over TLS, or to the local
 * emulator on a loopback address when the configuration says it is one.
 */
import { OrchestraError } from '../errors';

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
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
