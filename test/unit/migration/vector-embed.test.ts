import assert from 'node:assert/strict';
import { embeddingBatches, MAX_INSTANCES, MAX_TOKENS } from '../../../src/core/migration/vector/embed';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { caller, withEmulator } from '../sandbox-gcp/helpers';

describe('Vertex AI text embeddings: batches and the emulator', () => {
  it('batches at most 250 texts and about 20,000 tokens a request, in order', () => {
    const many = Array.from({ length: 600 }, (_, i) => `t${i}`);
    const byCount = embeddingBatches(many);
    assert.deepEqual(
      byCount.map((b) => b.length),
      [250, 250, 100],
    );
    assert.deepEqual(byCount.flat(), many);
    const long = Array.from({ length: 10 }, () => 'x'.repeat(4 * 6000));
    const byTokens = embeddingBatches(long);
    assert.ok(byTokens.every((b) => b.length * 6000 <= MAX_TOKENS || b.length === 1));
    assert.equal(byTokens.flat().length, 10);
    assert.ok(byCount.every((b) => b.length <= MAX_INSTANCES));
  });

  describe('emulator predict', () => {
    let emu: GcpEmulator;
    const call = caller(() => emu);
    const path = '/v1/projects/vx-p/locations/us-central1/publishers/google/models/text-embedding-005:predict';
    before(async () => {
      emu = await withEmulator({ projects: ['vx-p'] });
      await call('POST', '/v1/projects/vx-p/services:batchEnable', { serviceIds: ['aiplatform.googleapis.com'] });
    });
    after(() => emu.close());

    it('answers the same unit vector for the same text, of the asked dimension', async () => {
      const body = {
        instances: [{ content: 'hello' }, { content: 'hello' }, { content: 'other' }],
        parameters: { outputDimensionality: 16 },
      };
      const res = await call('POST', path, body);
      assert.equal(res.status, 200, res.text);
      const values = (res.json.predictions as Array<{ embeddings: { values: number[] } }>).map(
        (p) => p.embeddings.values,
      );
      assert.equal(values[0].length, 16);
      assert.deepEqual(values[0], values[1]);
      assert.notDeepEqual(values[0], values[2]);
      assert.ok(Math.abs(Math.hypot(...values[0]) - 1) < 1e-5);
    });

    it('refuses what Vertex AI refuses: 251 texts, too many tokens, an unknown model, too large a dimension', async () => {
      const texts = (n: number, size = 1) => Array.from({ length: n }, () => ({ content: 'x'.repeat(size) }));
      assert.equal((await call('POST', path, { instances: texts(251) })).status, 400);
      assert.equal((await call('POST', path, { instances: texts(5, 4 * 5000) })).status, 400);
      assert.equal(
        (await call('POST', path.replace('text-embedding-005', 'no-such-model'), { instances: texts(1) })).status,
        404,
      );
      assert.equal(
        (await call('POST', path, { instances: texts(1), parameters: { outputDimensionality: 769 } })).status,
        400,
      );
    });
  });
});
