/**
 * Routes by path, as on Google's hosts: every API shares one port, and their path
 * shapes do not collide ('/v1/projects/p/services/...' is Service Usage,
 * '/v2/...' Cloud Run, '/storage/v1/...' Storage). Templates use Google's
 * `{var}` (one segment) and `{var=**}` (the rest); a custom verb follows ':'.
 */
import type { GcpApi } from '../../core/gcp/types';
import type { Faults } from './faults';
import type { Store, ResourceEntry } from './store';

export interface EmuRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  /** The body as sent (media uploads). */
  bytes: Buffer;
  contentType: string;
  /** The Host header: gcloud reaches Cloud Run v1 on a regional host ('us-central1-...'). */
  host: string;
  /**
   * The API the request was addressed to, when its path named one ('/alloydb/v1/...', as
   * an override base of http://emulator/alloydb/ makes gcloud send it): the host it would
   * have reached on Google. Operations are listed and found per API, as on Google's hosts.
   */
  api?: GcpApi;
}

export interface Reply {
  status: number;
  /** JSON, or a string sent as an HTML page. */
  body: unknown;
  headers?: Record<string, string>;
}

export type View = (name: string, entry: ResourceEntry, ctx: EmuContext) => Record<string, unknown>;

export interface EmuContext {
  store: Store;
  faults: Faults;
  /** The emulator's own base URL, e.g. 'http://127.0.0.1:8085'. */
  baseUrl: string;
  views: Record<string, View>;
  /** The emulator's data folder (databases of AlloyDB clusters live below it); none: in memory. */
  dataDir?: string;
  /** Path of the request being handled (operation failures match on it). */
  requestPath: string;
  now(): number;
}

export interface Route {
  api: GcpApi;
  method: string;
  template: string;
  /** IAM permission checked against the denied list. */
  permission?: string;
  /** Project the API-enabled check applies to (default: the {project} parameter). */
  project?: (req: EmuRequest, ctx: EmuContext) => string | undefined;
  /** The body is media (bytes), not JSON. */
  media?: boolean;
  /** Operation polls are marked so tests can tell them from mutations. */
  kind?: 'api' | 'operation';
  handle(req: EmuRequest, ctx: EmuContext): Reply | Promise<Reply>;
}

interface Compiled {
  route: Route;
  regex: RegExp;
  names: string[];
}

export class Router {
  private readonly compiled: Compiled[] = [];

  add(routes: Route[]): void {
    for (const route of routes) this.compiled.push({ route, ...compile(route.template) });
  }

  /** With `api`, only that API's routes and the operations routes every API serves. */
  match(
    method: string,
    path: string,
    api?: GcpApi,
  ): { route: Route; params: Record<string, string> } | { allowed: string[] } | undefined {
    const allowed: string[] = [];
    for (const c of this.compiled) {
      if (api && c.route.api !== api && c.route.kind !== 'operation') continue;
      const m = c.regex.exec(path);
      if (!m) continue;
      if (c.route.method !== method) {
        allowed.push(c.route.method);
        continue;
      }
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
      return { route: c.route, params };
    }
    return allowed.length ? { allowed } : undefined;
  }
}

function compile(template: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template.replace(
    /[.*+?^$()|[\]\\]|\{(\w+)(=\*\*)?\}/g,
    (token, name: string | undefined, rest: string | undefined) => {
      if (!name) return `\\${token}`;
      names.push(name);
      return rest ? '(.+?)' : '([^/:]+)';
    },
  );
  return { regex: new RegExp(`^${source}$`), names };
}

export function ok(body: unknown, status = 200): Reply {
  return { status, body };
}
