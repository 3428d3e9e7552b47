import assert from 'node:assert/strict';
import {
  rowHash,
  SetChecksum,
  tableChecksum,
  upsertRows,
  vectorBinary,
  type VectorRow,
} from '../../../src/core/vector/rows';
import { applySchema, TABLE } from '../../../src/core/vector/schema';
import { closeVectorStores, openVectorStore } from '../../../src/core/vector/store';
import { startPgServer } from '../../../src/sandbox/pg/server';

describe('vector rows: the binary form pgvector receives', () => {
  it('writes dimensions, a zero and each value as the big-endian float32 nearest to it', () => {
    const values = [0.1, -1 / 3, 1e-40, 3.4e38, Math.PI, -0, 123456789.123];
    const bytes = vectorBinary(values);
    assert.equal(bytes.length, 4 + 4 * values.length);
    assert.equal(bytes.readInt16BE(0), values.length);
    assert.equal(bytes.readInt16BE(2), 0);
    values.forEach((v, i) => {
      const expected = Buffer.alloc(4);
      expected.writeFloatBE(v);
      assert.deepEqual(bytes.subarray(4 + 4 * i, 8 + 4 * i), expected, `value ${i} (${v})`);
    });
  });

  it('upserts ids, vectors and metadata that the table then holds byte-exact, and twice is once', async function () {
    this.timeout(60_000);
    const server = await startPgServer();
    const db = openVectorStore({
      host: server.host,
      port: server.port,
      database: 'postgres',
      user: 'postgres',
      password: 'x',
    });
    try {
      await applySchema(db, { dimension: 3, index: 'hnsw' });
      const rows: VectorRow[] = [
        {
          contentId: 'notes/café ☕',
          embedding: [0.1, -1 / 3, 1e-40],
          metadata: { text: 'naïve "quoted" \\ back', tags: ['a', 'b'] },
        },
        {
          contentId: 'notes/{braces},"commas"',
          embedding: [Math.PI, -0, 7],
          metadata: { nested: { deep: [1, null, true] } },
        },
        { contentId: 'notes/plain', embedding: [1, 2, 3], metadata: {} },
      ];
      await upsertRows(db, rows);
      await upsertRows(db, rows);
      const expected = new SetChecksum();
      for (const r of rows) expected.add(rowHash(r.contentId, Float32Array.from(r.embedding), r.metadata));
      const actual = await tableChecksum(
        db,
        rows.map((r) => r.contentId),
      );
      assert.equal(actual.count, rows.length);
      assert.equal(actual.hex, expected.hex);
      const { rows: all } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${TABLE}`);
      assert.equal(all[0].n, String(rows.length));
    } finally {
      await closeVectorStores();
      await server.close();
    }
  });
});
