/**
 * The memory API key's guard, as the Google token has one: the key is a bearer secret,
 * and a cloned repository's config files may name any memory endpoint. It is sent only
 * over https, or over http to loopback; any other endpoint needs the user's consent for
 * its host, given outside the workspace: `--allow-endpoint HOST` on the command line
 * (remembered), ORCHESTRA_ALLOW_ENDPOINTS, the editor's modal, or the remembered list in
 * the user's config folder. An untrusted workspace never sends the key at all.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../errors';
import { isLoopbackHost } from '../gcp/token-guard';

export const ALLOW_ENDPOINTS_VARIABLE = 'ORCHESTRA_ALLOW_ENDPOINTS';

export interface KeyConsent {
  /** False in an untrusted workspace (asked at each use: trust can change): the key is never sent. Default true. */
  readonly trusted?: () => boolean;
  /** Hosts the user allowed for this run (the CLI's --allow-endpoint); remembered when `remember` is set. */
  readonly allowHosts?: readonly string[];
  /** Asks the user about one host (the editor's modal); true: allowed and remembered. */
  readonly ask?: (host: string, endpoint: string) => Promise<boolean>;
}

/** True when the key may go to `endpoint` without asking: https, or http to loopback. */
export function keySafeWithoutConsent(endpoint: string): boolean {
  const url = new URL(endpoint);
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** host[:port] as users write it in --allow-endpoint, lower case, brackets kept for IPv6. */
export function endpointHost(endpoint: string): string {
  return new URL(endpoint).host.toLowerCase();
}

/** The user's remembered hosts: <XDG_CONFIG_HOME or ~/.config>/orchestra-migrate/allowed-endpoints.json. */
export function allowedHostsFile(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'orchestra-migrate', 'allowed-endpoints.json');
}

async function rememberedHosts(env: NodeJS.ProcessEnv): Promise<string[]> {
  try {
    const doc = JSON.parse(await fs.readFile(allowedHostsFile(env), 'utf8')) as { hosts?: unknown };
    return Array.isArray(doc.hosts) ? doc.hosts.filter((h): h is string => typeof h === 'string') : [];
  } catch {
    // No file (or an unreadable one) means no consent: the safe reading.
    return [];
  }
}

export async function rememberHost(env: NodeJS.ProcessEnv, host: string): Promise<void> {
  const file = allowedHostsFile(env);
  const hosts = new Set(await rememberedHosts(env));
  if (hosts.has(host)) return;
  hosts.add(host);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await fs.writeFile(file, JSON.stringify({ hosts: [...hosts].sort() }, null, 2) + '\n', { mode: 0o600 });
}

function matches(host: string, allowed: string): boolean {
  const a = allowed.trim().toLowerCase();
  // "example.com" allows every port of that host; "example.com:8080" only that one.
  return a === host || (!/:\d+$/.test(a) && host.replace(/:\d+$/, '') === a);
}

/**
 * The key to send to `endpoint`: `key` when allowed, undefined when there is no key or
 * the workspace is untrusted. Throws (bad input) when the user has not allowed the host.
 * `where`: the setting that named the endpoint, for the message.
 */
export async function keyFor(
  endpoint: string | undefined,
  key: string | undefined,
  consent: KeyConsent,
  env: NodeJS.ProcessEnv,
  where: string,
): Promise<string | undefined> {
  if (!key) return undefined;
  if (consent.trusted && !consent.trusted()) return undefined;
  if (!endpoint || keySafeWithoutConsent(endpoint)) return key;
  const host = endpointHost(endpoint);
  const fromFlag = (consent.allowHosts ?? []).some((h) => matches(host, h));
  if (fromFlag) {
    await rememberHost(env, host);
    return key;
  }
  const fromVariable = (env[ALLOW_ENDPOINTS_VARIABLE] ?? '').split(',').some((h) => h.trim() && matches(host, h));
  if (fromVariable || (await rememberedHosts(env)).some((h) => matches(host, h))) return key;
  if (consent.ask && (await consent.ask(host, endpoint))) {
    await rememberHost(env, host);
    return key;
  }
  throw new InputError(
    `Refused to send the memory API key to ${new URL(endpoint).origin}: plain http to a host that is not this machine would carry it in clear text, and the workspace, not you, chose that address.`,
    {
      where,
      fix: `Use an https:// endpoint; or, if you trust ${host}, allow it once with --allow-endpoint ${host} (remembered in ${allowedHostsFile(env)}) or ${ALLOW_ENDPOINTS_VARIABLE}=${host}.`,
    },
  );
}
