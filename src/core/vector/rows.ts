/**
 * Memory records as rows of memory_vectors, written and read back. pgvector stores
 * float32, so a vector is compared as its float32 bytes: the checksum of the copy
 * is over those bytes (plus the id and metadata), computed from the source records
 * and from the table's own text output, which pgvector prints as the shortest
 * decimal that parses back to the same float32, so equal checksums mean
 * byte-exact vectors.
 */
import { createHash } from 'node:crypto';
import { TABLE } from './schema';
import type { Queryable } from './store';

export interface VectorRow {
  contentId: string;
  embedding: number[];
  metadata: Record<string, unknown>;
}

/** Rows per INSERT: a page of the copy, about 1.5 MB of 768-dimension vectors a statement. */
export const ROWS_PER_INSERT = 500;

/** The vector literal pgvector parses: float32 values, shortest form that round-trips. */
export function vectorLiteral(values: readonly number[]): string {
  return `[${values.map((v) => Math.fround(v)).join(',')}]`;
}

/**
 * The vector in pgvector's binary wire form (vector_recv: int16 dimensions, int16
 * zero, float32 values, big-endian). `pg` sends a Buffer parameter as binary, so the
 * server never parses decimal text: in PGlite (WASM) strtof costs about 1.5 us a
 * value, which capped the copy at some 700 rows/s of 768 dimensions.
 */
export function vectorBinary(values: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(4 + 4 * values.length);
  writeVector(values, out, 0, new Float32Array(values.length));
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Writes one vector in vector_recv's form at `offset`. The floats go through a
 * Float32Array and one byte swap (the platform is little-endian, the wire is not):
 * a writeFloatBE per value was a tenth of the copy's time at 768 dimensions.
 */
function writeVector(values: readonly number[], out: Buffer, offset: number, scratch: Float32Array): void {
  out.writeInt16BE(values.length, offset);
  out.writeInt16BE(0, offset + 2);
  scratch.set(values);
  const bytes = Buffer.from(scratch.buffer, scratch.byteOffset, scratch.byteLength);
  if (LITTLE_ENDIAN) bytes.swap32();
  bytes.copy(out, offset + 4);
}

export function parseVector(text: string): Float32Array {
  return Float32Array.from(text.slice(1, -1).split(','), Number);
}

/** pgvector's type OID differs per database: read once per connection pool. */
const vectorOids = new WeakMap<Queryable, Promise<number>>();

function vectorOid(db: Queryable): Promise<number> {
  let oid = vectorOids.get(db);
  if (!oid) {
    oid = db.query<{ oid: string }>(`SELECT 'vector'::regtype::oid::text AS oid`).then((r) => Number(r.rows[0].oid));
    oid.catch(() => vectorOids.delete(db));
    vectorOids.set(db, oid);
  }
  return oid;
}

/** Built-in type OIDs (fixed in every PostgreSQL) of the copy's other two columns. */
const TEXT_OID = 25;
const JSONB_OID = 3802;

/**
 * A one-dimensional array in PostgreSQL's binary array form (array_recv), each
 * element written straight into one buffer: no Buffer an element to concatenate,
 * and no text array for the server to parse.
 */
function binaryArray(oid: number, sizes: number[], write: (i: number, out: Buffer, at: number) => void): Buffer {
  const out = Buffer.allocUnsafe(20 + sizes.reduce((sum, n) => sum + 4 + n, 0));
  out.writeInt32BE(1, 0); // dimensions
  out.writeInt32BE(0, 4); // no nulls
  out.writeUInt32BE(oid, 8);
  out.writeInt32BE(sizes.length, 12);
  out.writeInt32BE(1, 16); // lower bound
  let offset = 20;
  sizes.forEach((size, i) => {
    out.writeInt32BE(size, offset);
    write(i, out, offset + 4);
    offset += 4 + size;
  });
  return out;
}

function vectorArray(oid: number, rows: readonly VectorRow[]): Buffer {
  let scratch = new Float32Array(0);
  return binaryArray(
    oid,
    rows.map((r) => 4 + 4 * r.embedding.length),
    (i, out, at) => {
      const values = rows[i].embedding;
      if (scratch.length !== values.length) scratch = new Float32Array(values.length);
      writeVector(values, out, at, scratch);
    },
  );
}

function textArray(texts: readonly string[]): Buffer {
  return binaryArray(
    TEXT_OID,
    texts.map((t) => Buffer.byteLength(t)),
    (i, out, at) => out.write(texts[i], at),
  );
}

/** jsonb's binary form: a version byte (1), then the JSON text. */
function jsonbArray(values: readonly unknown[]): Buffer {
  const texts = values.map((v) => JSON.stringify(v));
  return binaryArray(
    JSONB_OID,
    texts.map((t) => 1 + Buffer.byteLength(t)),
    (i, out, at) => {
      out[at] = 1;
      out.write(texts[i], at + 1);
    },
  );
}

/**
 * Upserts: a page sent again on resume rewrites the same rows, nothing doubles. Three
 * array parameters through unnest(), each one binary array: the server plans
 * one small statement instead of a VALUES list of 1,500 parameters (1.5x the rows/s of
 * that in the rehearsal database).
 */
export async function upsertRows(db: Queryable, rows: readonly VectorRow[]): Promise<void> {
  if (!rows.length) return;
  const oid = await vectorOid(db);
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const slice = rows.slice(i, i + ROWS_PER_INSERT);
    await db.query(
      `INSERT INTO ${TABLE} (content_id, embedding, metadata)
       SELECT * FROM unnest($1::text[], $2::vector[], $3::jsonb[])
       ON CONFLICT (content_id) DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata,
         updated_at = now()
       WHERE ${TABLE}.embedding IS DISTINCT FROM EXCLUDED.embedding OR ${TABLE}.metadata IS DISTINCT FROM EXCLUDED.metadata`,
      [textArray(slice.map((r) => r.contentId)), vectorArray(oid, slice), jsonbArray(slice.map((r) => r.metadata))],
    );
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** One row's hash: id, float32 bytes of the vector, canonical metadata. */
export function rowHash(contentId: string, embedding: Float32Array, metadata: unknown): Buffer {
  return createHash('sha256')
    .update(contentId)
    .update('\0')
    .update(Buffer.from(embedding.buffer, embedding.byteOffset, embedding.byteLength))
    .update('\0')
    .update(canonical(metadata))
    .digest();
}

/**
 * An order-free checksum of a set of rows: the sum of their hashes modulo 2^256, so
 * the source (in its key order) and the table (in its collation's) agree.
 */
export class SetChecksum {
  private sum = 0n;
  count = 0;

  add(hash: Buffer): void {
    this.sum = (this.sum + BigInt(`0x${hash.toString('hex')}`)) & ((1n << 256n) - 1n);
    this.count++;
  }

  get hex(): string {
    return this.sum.toString(16).padStart(64, '0');
  }
}

/** The checksum of the given ids' rows as the table holds them, read in pages. */
export async function tableChecksum(db: Queryable, ids: readonly string[]): Promise<SetChecksum> {
  const sum = new SetChecksum();
  for (let i = 0; i < ids.length; i += 1000) {
    const { rows } = await db.query<{ content_id: string; embedding: string; metadata: unknown }>(
      `SELECT content_id, embedding::text AS embedding, metadata FROM ${TABLE} WHERE content_id = ANY($1)`,
      [ids.slice(i, i + 1000)],
    );
    for (const row of rows) sum.add(rowHash(row.content_id, parseVector(row.embedding), row.metadata));
  }
  return sum;
}
