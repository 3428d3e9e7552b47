/** Helpers shared by the API modules. */
import { randomBytes } from 'node:crypto';
import { invalid, notFound } from '../faults';
import type { EmuContext, EmuRequest } from '../router';
import type { ResourceEntry } from '../store';

/** Google's resource ID rule used by Run, AR, Workstations: RFC 1035 label. */
export const RFC1035_ID = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function requireId(req: EmuRequest, param: string, rule = RFC1035_ID): string {
  const id = req.query.get(param);
  if (!id) throw invalid(`The request is missing the required parameter '${param}'.`, param);
  if (!rule.test(id)) throw invalid(`Invalid ${param} '${id}': it must match ${rule.source}.`, param);
  return id;
}

/** The project ID behind a path segment that may hold an ID or a number. */
export function projectId(ctx: EmuContext, segment: string): string {
  return ctx.store.project(segment).projectId;
}

export function mustGet(ctx: EmuContext, name: string, shownName = name): ResourceEntry {
  const entry = ctx.store.get(name);
  if (!entry) throw notFound(shownName);
  return entry;
}

export function view(ctx: EmuContext, name: string, entry: ResourceEntry): Record<string, unknown> {
  const render = ctx.views[entry.kind];
  return render ? render(name, entry, ctx) : entry.body;
}

export function listOf(ctx: EmuContext, kind: string, prefix: string): Array<Record<string, unknown>> {
  return ctx.store.list(kind, prefix).map(([name, entry]) => view(ctx, name, entry));
}

/** pageSize/pageToken over an in-memory list; the token is the next offset. */
export function page<T>(items: T[], req: EmuRequest): { items: T[]; nextPageToken?: string } {
  const size = Math.max(1, Math.min(Number(req.query.get('pageSize') ?? 50) || 50, 1000));
  const start = Number(req.query.get('pageToken') ?? 0) || 0;
  const slice = items.slice(start, start + size);
  return start + size < items.length ? { items: slice, nextPageToken: String(start + size) } : { items: slice };
}

export function uid(): string {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function nowIso(ctx: EmuContext): string {
  return new Date(ctx.now()).toISOString();
}

/** Quoted etag as Run and Secret Manager return it. */
export function quotedEtag(): string {
  return `"${randomBytes(10).toString('base64url')}"`;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
