/**
 * Which layers above the config files the cutover plan names: an editor setting or an
 * ORCHESTRA_* variable that sets a switched key to another value (it would win over the
 * switched files); never one from the files, nor one already naming the cloud.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../../src/core/config/load';
import type { LayerValue } from '../../../src/core/config/types';
import { isInputError } from '../../../src/core/errors';
import { cutoverOverrides, refuseOverrides } from '../../../src/core/migration/cutover-overrides';
import { formatCutoverPlan } from '../../../src/core/migration/cutover-text';
import type { CutoverPlan } from '../../../src/core/migration/cutover';

const CLOUD = 'https://memory.example.run.app';
const API = 'https://api.example.run.app';
const SWITCHES = ['local', 'codespaces'].flatMap((env) => [
  { file: `config/${env}.json`, setting: 'memory.endpoint', to: CLOUD },
  { file: `config/${env}.json`, setting: 'endpoints.api', to: API },
]);

function lookup(layers: Record<string, LayerValue[]>) {
  return (path: string) => layers[path] ?? [];
}

describe('cutover overrides: layers above the config files', () => {
  it('names an editor setting and a variable that set a switched key to another value, once each', () => {
    const found = cutoverOverrides(
      lookup({
        'memory.endpoint': [{ layer: 'settings', source: 'orchestra.memory.endpoint', value: 'http://127.0.0.1:8765' }],
        'endpoints.api': [{ layer: 'env', source: 'ORCHESTRA_ENDPOINTS__API', value: 'http://127.0.0.1:8080' }],
      }),
      SWITCHES,
    );
    assert.deepEqual(
      found.map((o) => [o.setting, o.layer, o.source, o.value, o.to]),
      [
        ['memory.endpoint', 'settings', 'orchestra.memory.endpoint', 'http://127.0.0.1:8765', CLOUD],
        ['endpoints.api', 'env', 'ORCHESTRA_ENDPOINTS__API', 'http://127.0.0.1:8080', API],
      ],
    );
    assert.match(found[0].fix, /Remove the editor setting orchestra\.memory\.endpoint/);
    assert.match(found[1].fix, /Unset ORCHESTRA_ENDPOINTS__API/);

    const plan = {
      projectId: 'p',
      state: 'ready',
      source: { endpoint: 'http://127.0.0.1:8765', readOnly: 'supported', note: 'read-only' },
      target: { endpoint: CLOUD },
      switches: SWITCHES,
      overrides: found,
      notes: [],
    } satisfies CutoverPlan;
    assert.match(
      formatCutoverPlan(plan),
      /REFUSED while set: editor setting orchestra\.memory\.endpoint sets memory\.endpoint to http:\/\/127\.0\.0\.1:8765/,
    );
    assert.throws(
      () => refuseOverrides(found),
      (e: unknown) => isInputError(e) && /ORCHESTRA_ENDPOINTS__API/.test(String((e as Error).message)),
    );
  });

  it('names nothing set by the files or defaults, nor an override that already names the cloud', () => {
    const found = cutoverOverrides(
      lookup({ 'memory.endpoint': [{ layer: 'env', source: 'ORCHESTRA_MEMORY__ENDPOINT', value: CLOUD }] }),
      SWITCHES,
    );
    assert.deepEqual(found, []);
    assert.doesNotThrow(() => refuseOverrides(found));
  });

  it('a setting and a variable both set memory.endpoint: both are named, not only the one that wins now', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'om-overrides-'));
    try {
      await mkdir(path.join(dir, 'config'));
      await writeFile(path.join(dir, 'config', 'common.json'), '{ "memory": { "endpoint": "http://127.0.0.1:1" } }');
      const resolved = await loadConfig({
        dir,
        kind: 'local',
        env: { ORCHESTRA_MEMORY__ENDPOINT: 'http://127.0.0.1:3' },
        settings: { memory: { endpoint: 'http://127.0.0.1:2' } },
      });
      assert.equal(resolved.config.memory.endpoint, 'http://127.0.0.1:3', 'the variable wins');
      const found = cutoverOverrides(resolved.aboveFiles, SWITCHES);
      assert.deepEqual(
        found.map((o) => [o.layer, o.source, o.value]),
        [
          ['settings', 'orchestra.memory.endpoint', 'http://127.0.0.1:2'],
          ['env', 'ORCHESTRA_MEMORY__ENDPOINT', 'http://127.0.0.1:3'],
        ],
      );
      assert.deepEqual(resolved.aboveFiles('endpoints.api'), [], 'the files set it, or nothing does');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
