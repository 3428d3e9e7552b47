/**
 * The checksum of a memory store, shared by the copy's verification and the memory
 * server's `digest` route: every record hashes to SHA-256 of its key and its value's
 * canonical JSON, and the store's digest is the sum of those hashes modulo 2^256.
 *
 * A sum, not a hash of the sorted list, because it can be kept up to date one write at
 * a time (a server answers it without reading its store) and computed over pages in any
 * order (the copier never holds the key set). It detects accidental differences as well
 * as a hash of the whole: a lost, extra or changed record moves the sum by a SHA-256
 * value. It is not meant to resist someone forging records on purpose.
 */
import { canonicalJson, quickSha256 } from '../util/canonical';

const MODULUS = 1n << 256n;
const HEX_DIGITS = 64;

/** A record's hash: SHA-256 (hex) of `key \t canonical JSON of the value`. */
export function recordHash(key: string, content: unknown): string {
  return quickSha256(`${key}\t${canonicalJson(content)}`);
}

/** A running store digest: records added and removed one at a time, in any order. */
export class StoreDigest {
  private sum = 0n;
  count = 0;

  add(hash: string): void {
    this.sum = (this.sum + BigInt(`0x${hash}`)) % MODULUS;
    this.count++;
  }

  remove(hash: string): void {
    this.sum = (this.sum - BigInt(`0x${hash}`) + MODULUS) % MODULUS;
    this.count--;
  }

  /** 64 hex digits. */
  get value(): string {
    return this.sum.toString(16).padStart(HEX_DIGITS, '0');
  }
}

/** The digest of records given as [key, value] pairs (tests and small stores). */
export function digestOf(records: Iterable<readonly [string, unknown]>): { records: number; digest: string } {
  const digest = new StoreDigest();
  for (const [key, content] of records) digest.add(recordHash(key, content));
  return { records: digest.count, digest: digest.value };
}
