/** The endpoints the views list are the ones runs call: never the port table's defaults for unset services. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../../src/core/config/load';
import { usedEndpoints } from '../../../src/core/workspace/endpoints-used';

async function resolvedWith(common: unknown) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'used-endpoints-'));
  await mkdir(path.join(dir, 'config'));
  await writeFile(path.join(dir, 'config', 'common.json'), JSON.stringify(common));
  try {
    return await loadConfig({ dir, env: {} });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('endpoints used, as the views list them', () => {
  it('a rehearsal: the memory servers named, every Google API at the emulator, the deployed API from the state', async () => {
    const resolved = await resolvedWith({
      projectId: 'used-endpoints',
      gcp: { emulator: true },
      endpoints: { memory: 'http://127.0.0.1:40001', gcpEmulator: 'http://127.0.0.1:40002' },
      phases: { memorySystem: { targetEndpoint: 'http://127.0.0.1:40003' } },
    });
    assert.deepEqual(usedEndpoints(resolved, {}, 'http://127.0.0.1:40002/run/orchestra-api'), [
      { name: 'Memory server', url: 'http://127.0.0.1:40001', rule: 'endpoints.memory' },
      { name: 'Memory copy target', url: 'http://127.0.0.1:40003', rule: 'phases.memorySystem.targetEndpoint' },
      // Each API at its own base on the emulator, as on Google: one line, the API in the URL.
      { name: 'Google Cloud APIs', url: 'http://127.0.0.1:40002/<api>', rule: 'gcp.emulator' },
      { name: 'Deployed API', url: 'http://127.0.0.1:40002/run/orchestra-api', rule: 'recorded by API Deployment' },
    ]);
  });

  it('on Google: one line for the APIs, no emulator or API default', async () => {
    const resolved = await resolvedWith({
      projectId: 'used-endpoints',
      memory: { endpoint: 'https://memory.example.com' },
    });
    const used = usedEndpoints(resolved, {});
    assert.deepEqual(
      used.map((u) => [u.name, u.url]),
      [
        ['Memory server', 'https://memory.example.com'],
        ['Google Cloud APIs', 'https://*.googleapis.com'],
      ],
    );
  });

  it('a store named per side is listed as its own settings name it', async () => {
    const resolved = await resolvedWith({
      projectId: 'used-endpoints',
      memory: { endpoint: 'http://127.0.0.1:40001', target: { endpoint: 'http://127.0.0.1:40004' } },
    });
    const target = usedEndpoints(resolved, {}).find((u) => u.name === 'Memory copy target');
    assert.deepEqual(target, {
      name: 'Memory copy target',
      url: 'http://127.0.0.1:40004',
      rule: 'memory.target.endpoint',
    });
  });
});
