/**
 * Canonical JSON (object keys sorted, no whitespace) so that equal values hash equally
 * whatever order a server returned their keys in, and the hashes built on it. Shared by
 * the memory store's digest, the copy and sync, and the config secret's payload.
 */
import * as crypto from 'node:crypto';

/** JSON with every object's keys sorted, so equal values give equal text whatever order a server kept. */
export function canonicalJson(value: unknown): string {
  // Most values are already in canonical order (objects written by the same code): no copy then.
  return isCanonical(value) ? JSON.stringify(value) : JSON.stringify(sortKeys(value));
}

function isCanonical(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    for (const item of value) if (!isCanonical(item)) return false;
    return true;
  }
  let previous: string | undefined;
  for (const key in value) {
    if (previous !== undefined && key < previous) return false;
    previous = key;
    if (!isCanonical((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function sha256(text: string | Buffer): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

type Encoding = 'hex' | 'base64url';

/** One-shot `crypto.hash` where the runtime has it (Node 20.12+): no Hash object per call. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: Encoding) => string }).hash;

/** sha256 (hex unless asked otherwise), for hot paths (one per copied record). */
export function quickSha256(text: string, encoding: Encoding = 'hex'): string {
  return oneShot ? oneShot('sha256', text, encoding) : crypto.createHash('sha256').update(text).digest(encoding);
}

export function valueHash(value: unknown): string {
  return quickSha256(canonicalJson(value));
}
