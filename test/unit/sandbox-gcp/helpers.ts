/** Shared by the emulator and client tests: a started emulator and a raw HTTP caller. */
import { startGcpEmulator, type GcpEmulator, type GcpEmulatorOptions } from '../../../src/sandbox/gcp';

export interface RawReply {
  status: number;
  json: Record<string, unknown>;
  text: string;
  headers: Headers;
}

/** The bearer the tests send: the emulator is configured to accept it (any other is 401). */
export const TEST_TOKEN = 'test-token';

/** An emulator that knows `projects` (no other project exists) and accepts TEST_TOKEN. */
export async function withEmulator(options: GcpEmulatorOptions = {}): Promise<GcpEmulator> {
  return startGcpEmulator({ lroDelayMs: 0, accessTokens: [TEST_TOKEN], ...options });
}

export function caller(emulator: () => GcpEmulator) {
  return async (method: string, path: string, body?: unknown, token: string | null = TEST_TOKEN): Promise<RawReply> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(emulator().url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // HTML pages stay in text
    }
    return { status: res.status, json, text, headers: res.headers };
  };
}

/** `docker push` stand-in: registers `uri` in its (existing) Artifact Registry repository. */
export async function pushImage(emulator: GcpEmulator, uri: string): Promise<{ digest: string; uri: string }> {
  const res = await fetch(`${emulator.url}/__admin/images`, { method: 'POST', body: JSON.stringify({ uri }) });
  const json = (await res.json()) as { digest: string; uri: string; error?: { message: string } };
  if (res.status !== 200) throw new Error(`push of ${uri} failed: ${json.error?.message}`);
  return json;
}

/** An ID token the emulator issues for `audience` (its POST /token with target_audience). */
export async function idTokenFor(emulator: GcpEmulator, audience: string): Promise<string> {
  const res = await fetch(`${emulator.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', target_audience: audience }).toString(),
  });
  return ((await res.json()) as { id_token: string }).id_token;
}

/** Enables the services the tests use, as the Core Infrastructure phase would. */
export const ALL_SERVICES = [
  'iam.googleapis.com',
  'artifactregistry.googleapis.com',
  'workstations.googleapis.com',
  'firestore.googleapis.com',
  'secretmanager.googleapis.com',
  'run.googleapis.com',
];

/** Asserts that `obj` has exactly these keys' types (a field-by-field shape check). */
export function shapeOf(obj: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(obj as Record<string, unknown>).map(([k, v]) => [
      k,
      Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v,
    ]),
  );
}

export type FieldType =
  'string' | 'int64' | 'timestamp' | 'boolean' | 'number' | 'object' | 'array' | 'duration' | RegExp;

/**
 * A field-by-field check against a REST reference's JSON representation:
 * `expected` fields must be present with their JSON type (int64 as a decimal
 * string, Timestamp as RFC 3339, Duration as '<n>s', enums by pattern), and no
 * field may appear that the reference does not list in `documented`.
 */
export function assertMatchesReference(
  resource: Record<string, unknown>,
  expected: Record<string, FieldType>,
  documented: readonly string[],
  reference: string,
): void {
  const allowed = new Set([...documented, ...Object.keys(expected)]);
  for (const key of Object.keys(resource)) {
    if (!allowed.has(key)) throw new Error(`field '${key}' is not in ${reference}`);
  }
  for (const [key, type] of Object.entries(expected)) {
    const value = resource[key];
    if (value === undefined) throw new Error(`field '${key}' is missing (${reference})`);
    if (!fits(value, type))
      throw new Error(`field '${key}' = ${JSON.stringify(value)} is not ${String(type)} (${reference})`);
  }
}

function fits(value: unknown, type: FieldType): boolean {
  if (type instanceof RegExp) return typeof value === 'string' && type.test(value);
  switch (type) {
    case 'int64':
      return typeof value === 'string' && /^-?\d+$/.test(value);
    case 'timestamp':
      return typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.test(value);
    case 'duration':
      return typeof value === 'string' && /^\d+(\.\d+)?s$/.test(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return !!value && typeof value === 'object' && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}

/** google.longrunning.Operation: https://cloud.google.com/service-usage/docs/reference/rest/Shared.Types/Operation */
export const OPERATION_FIELDS = ['name', 'metadata', 'done', 'error', 'response'] as const;
