/** `orchestra-migrate health` on a folder whose config points at real loopback servers. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { HealthReport } from '../../../src/core/health';
import { StateStore } from '../../../src/core/migration/store';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';
import { tempDir } from '../memory/helpers';
import { runCli as cli } from '../cli-run';

const KEY = 'cli-health-key-5be18f0a3c';

describe('orchestra-migrate health', function () {
  this.timeout(20_000);
  let temp: Awaited<ReturnType<typeof tempDir>>;
  let memory: MemoryServerHandle;
  let target: MemoryServerHandle;

  beforeEach(async () => {
    temp = await tempDir('cli-health');
    memory = await startMemoryServer({ dataDir: path.join(temp.dir, 'memory'), apiKey: KEY });
    target = await startMemoryServer({ dataDir: path.join(temp.dir, 'target'), apiKey: KEY });
    await fs.mkdir(path.join(temp.dir, 'config'));
    await fs.writeFile(
      path.join(temp.dir, 'config', 'common.json'),
      JSON.stringify({
        projectId: 'health-project',
        endpoints: { memory: memory.url },
        phases: { memorySystem: { targetEndpoint: target.url } },
        breaker: { retry: { maxAttempts: 1 } },
        validation: { targets: { memoryReadMs: 1_000 } },
      }),
    );
  });

  afterEach(async () => {
    await memory.close();
    await target.close().catch(() => undefined);
    await temp.cleanup();
  });

  it('exits 0 and lists each server as ok when all answer', async () => {
    const { code, out } = await cli(['health'], temp.dir, { ORCHESTRA_MEMORY_API_KEY: KEY });
    assert.equal(code, 0, out);
    assert.match(out, new RegExp(`Memory server\\s+ok\\s+${memory.url.replace(/\./g, '\\.')}`));
    assert.match(out, new RegExp(`Memory copy target\\s+ok\\s+${target.url.replace(/\./g, '\\.')}`));
    assert.ok(!out.includes(KEY), 'the key is not printed');
  });

  it('exits 1 naming the server that is down; --json gives the same as a document', async () => {
    await target.close();
    const { code, out } = await cli(['health', '--json'], temp.dir, { ORCHESTRA_MEMORY_API_KEY: KEY });
    assert.equal(code, 1, out);
    const doc = JSON.parse(out) as HealthReport & { healthVersion: number };
    assert.equal(doc.healthVersion, 1);
    assert.equal(doc.level, 'down');
    const down = doc.checks.find((c) => c.level === 'down');
    assert.equal(down?.endpoint, target.url);
    assert.equal(doc.checks.find((c) => c.service === 'memory')?.level, 'ok');
  });

  it('without the key: down with the fix that names the variable', async () => {
    const { code, out } = await cli(['health'], temp.dir);
    assert.equal(code, 1);
    assert.match(out, /401/);
    assert.match(out, /Fix: Give the memory API key: the variable ORCHESTRA_MEMORY_API_KEY/);
  });

  it('once the state records the API URL, checks the deployed API too', async () => {
    const stateDir = path.join(temp.dir, '.orchestra');
    const store = await StateStore.open(stateDir, 'health-project');
    // An address nothing listens on: the deployed API is down, and health says so.
    await store.update((s) => {
      s.outputs.apiUrl = 'http://127.0.0.1:9/';
    });
    await store.flush();
    const { code, out } = await cli(['health'], temp.dir, { ORCHESTRA_MEMORY_API_KEY: KEY });
    assert.equal(code, 1, out);
    assert.match(out, /Deployed API\s+DOWN\s+http:\/\/127\.0\.0\.1:9\//);
  });

  it('rejects an unknown flag, saying how to call it', async () => {
    const { code, err } = await cli(['health', '--fast'], temp.dir);
    assert.equal(code, 2);
    assert.match(err, /Unknown option --fast/);
    assert.match(err, /orchestra-migrate health \[--json\]/);
  });
});
