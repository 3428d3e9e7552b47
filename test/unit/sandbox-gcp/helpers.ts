/** Shared by the emulator and client tests: a started emulator and a raw HTTP caller. */
import { startGcpEmulator, type GcpEmulator, type GcpEmulatorOptions } from '../../../src/sandbox/gcp';

export interface RawReply {
  status: number;
  json: Record<string, unknown>;
  text: string;
  headers: Headers;
}

export async function withEmulator(options: GcpEmulatorOptions = {}): Promise<GcpEmulator> {
  return startGcpEmulator({ lroDelayMs: 0, ...options });
}

export function caller(emulator: () => GcpEmulator) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    token: string | null = 'test-token',
  ): Promise<RawReply> => {
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
