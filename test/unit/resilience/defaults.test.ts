import * as assert from 'node:assert/strict';
import { defaultConfig } from '../../../src/core/config/defaults';
import { schemaAt } from '../../../src/core/config/schema';
import { BreakerRegistry, circuitBreak, DEFAULT_BREAKER_CONFIG } from '../../../src/core/resilience';

/** The schema's documented default of every breaker leaf, e.g. { timeoutMs: 5000, retry: { ... } }. */
function schemaDefaults(path: string[]): unknown {
  const node = schemaAt(path);
  assert.ok(node, `the schema declares ${path.join('.')}`);
  if (node.type === 'object' && node.properties) {
    return Object.fromEntries(Object.keys(node.properties).map((key) => [key, schemaDefaults([...path, key])]));
  }
  return node.default;
}

describe('breaker defaults: one source of truth', () => {
  it('the policy defaults, the built-in config and the schema say the same', () => {
    const documented = schemaDefaults(['breaker']);
    assert.deepEqual({ ...DEFAULT_BREAKER_CONFIG }, defaultConfig().breaker);
    assert.deepEqual(defaultConfig().breaker, documented);
    // The values users read in the settings docs (they once differed: 10000, 16, 5000).
    assert.equal(DEFAULT_BREAKER_CONFIG.timeoutMs, 5000);
    assert.equal(DEFAULT_BREAKER_CONFIG.maxConcurrency, 8);
    assert.equal(DEFAULT_BREAKER_CONFIG.retry.maxDelayMs, 2000);
  });

  it('a helper wrapped without config bounds each call by the documented timeout', async () => {
    const registry = new BreakerRegistry();
    try {
      // Delegated mode hands the attempt its time budget, so no clock is needed to read it.
      const wrapped = circuitBreak(async (_signal: AbortSignal) => 'ok', {
        name: 't:defaults',
        registry,
        timeout: 'delegated',
      });
      assert.equal(await wrapped.policy.execute(async ({ timeoutMs }) => timeoutMs), 5000);
    } finally {
      registry.dispose();
    }
  });

  it('a caller cannot change the shared defaults by accident', () => {
    assert.throws(() => {
      (DEFAULT_BREAKER_CONFIG as { timeoutMs: number }).timeoutMs = 1;
    }, TypeError);
    assert.equal(defaultConfig().breaker.timeoutMs, 5000);
  });
});
