/**
 * Canonical JSON (object keys sorted, no whitespace) so that equal values hash
 * equally whatever order a server returned their keys in.
 */
import * as crypto from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
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
