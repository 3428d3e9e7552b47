/**
 * What a user would compare after a migration: the emulator's resources (minus
 * fields that differ on every creation: times, etags, unique ids, URLs), the enabled
 * services, the IAM policy, the secret's versions, and the target memory's content.
 */
import type { OrchestraConfig } from '../../../src/core/config/types';
import type { GcpClient } from '../../../src/core/gcp/types';
import { digestOf } from '../../../src/core/memory/digest';
import { apiOfPath, expectedResourcePaths } from './world';

const VOLATILE =
  /(time|Time)$|^etag$|^uid$|^uniqueId$|^oauth2ClientId$|^uri$|^urls$|[gG]eneration$|Revision$|^updated$|^timeCreated$|^selfLink$|^id$|^projectNumber$|^host$/;

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!VOLATILE.test(k)) out[k] = strip(v);
    return out;
  }
  return value;
}

export async function emulatorSnapshot(gcp: GcpClient, config: OrchestraConfig): Promise<Record<string, unknown>> {
  const p = config.projectId;
  const out: Record<string, unknown> = {};
  for (const path of expectedResourcePaths(config)) {
    out[path] = strip(await gcp.getOrUndefined(apiOfPath(path), path));
  }
  const services = await gcp.request<{ services?: { config: { name: string } }[] }>({
    api: 'serviceusage',
    method: 'GET',
    path: `/v1/projects/${p}/services`,
    query: { filter: 'state:ENABLED', pageSize: 200 },
  });
  out.enabledServices = (services.services ?? []).map((s) => s.config.name).sort();
  const policy = await gcp.request<{ bindings?: { role: string; members: string[] }[] }>({
    api: 'cloudresourcemanager',
    method: 'POST',
    path: `/v3/projects/${p}:getIamPolicy`,
    body: {},
  });
  out.bindings = (policy.bindings ?? []).map((b) => `${b.role}=${[...b.members].sort().join(',')}`).sort();
  const versions = await gcp.request<{ versions?: { state: string }[] }>({
    api: 'secretmanager',
    method: 'GET',
    path: `/v1/projects/${p}/secrets/${config.phases.hybridConfig.secretId}/versions`,
  });
  out.secretVersions = (versions.versions ?? []).map((v) => v.state);
  return out;
}

export async function memorySnapshot(url: string): Promise<{ records: number; checksum: string }> {
  const records = new Map<string, unknown>();
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '1000', include: 'content', ...(cursor ? { cursor } : {}) });
    const page = (await (await fetch(`${url}/api/memory/keys?${query}`)).json()) as {
      records: { key: string; content: unknown }[];
      cursor?: string;
    };
    for (const r of page.records) records.set(r.key, r.content);
    cursor = page.cursor;
  } while (cursor);
  const { records: count, digest } = digestOf(records);
  return { records: count, checksum: digest };
}
