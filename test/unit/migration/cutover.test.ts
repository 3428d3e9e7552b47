/**
 * Cutover faults through the application layer (the object the CLI and the editor open):
 * a failure while the endpoints are being switched, and the rerun that finishes it, must
 * keep the values from before the first attempt (not the half-switched files'), so the
 * rollback restores what the user had. The source here is named only by memory.endpoint:
 * the cutover pins it, so the rollback still reaches it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { OrchestraError } from '../../../src/core/errors';
import type { OrchestraConfig } from '../../../src/core/config/types';
import type { GcpClient } from '../../../src/core/gcp/types';
import type { MemoryClient } from '../../../src/core/memory/types';
import { formatCutoverPlan } from '../../../src/core/workspace';
import { openEngine, startWorld, testGcpClient, type EngineHandle, type World } from './world';

/** A client whose next secret-version write fails, as a Secret Manager outage would. */
function failingAddVersion(inner: GcpClient): GcpClient & { failNext: boolean } {
  const client = {
    failNext: false,
    request<T>(req: Parameters<GcpClient['request']>[0]): Promise<T> {
      if (client.failNext && req.method === 'POST' && req.path.endsWith(':addVersion')) {
        client.failNext = false;
        return Promise.reject(
          Object.assign(new Error('Secret Manager is unavailable (injected)'), { status: 'PERMISSION_DENIED' }),
        );
      }
      return inner.request<T>(req);
    },
    getOrUndefined: inner.getOrUndefined.bind(inner),
    waitForOperation: inner.waitForOperation.bind(inner),
    get stats() {
      return inner.stats;
    },
  };
  return client;
}

describe('cutover: a fault while switching endpoints, then resume and rollback (application layer)', function () {
  this.timeout(120_000);
  let world: World;
  let handle: EngineHandle;
  let gcp: ReturnType<typeof failingAddVersion>;
  let config: OrchestraConfig;
  const folder = () => path.join(world.dir, 'workspace');
  const json = async (name: string) =>
    JSON.parse(await readFile(path.join(folder(), 'config', name), 'utf8')) as {
      memory?: { endpoint?: string; source?: { endpoint?: string } };
      endpoints?: { api?: string };
    };
  const write = (url: string, key: string) =>
    fetch(`${url}/api/memory`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key, content: { key } }),
    });

  before(async () => {
    world = await startWorld({ records: 40 });
    config = structuredClone(world.config);
    // The source as most teams name it: the memory server of this environment.
    config.memory.endpoint = world.source.url;
    delete config.phases.memorySystem.sourceEndpoint;
    for (const phase of ['workstationConfiguration', 'aiCoding', 'apiDeployment', 'validation'] as const)
      config.phases[phase].enabled = false;
    await mkdir(folder(), { recursive: true });
    gcp = failingAddVersion(testGcpClient(config));
    handle = await openEngine(config, folder(), { gcp });
    const run = await handle.engine.execute();
    assert.equal(run.status, 'completed', JSON.stringify(run.failures));
  });
  after(async () => {
    await handle?.close();
    await world?.close();
  });

  it('a failed switch leaves the source read-only and says how to go on; the rerun keeps the values from before', async () => {
    const { workspace } = handle;
    gcp.failNext = true;
    const error = (await workspace.cutover().then(
      () => assert.fail('the cutover should have stopped'),
      (e: unknown) => e,
    )) as OrchestraError;
    assert.equal(error.code, 'CUTOVER_SWITCH_FAILED');
    assert.match(error.message, /Secret Manager is unavailable/);
    assert.match(error.fix ?? '', /stays read-only, so no write is lost[\s\S]*cutover again[\s\S]*rollback-cutover/);
    assert.equal((await write(world.source.url, 'during/stop')).status, 409, 'refused, not accepted and lost');
    assert.equal((await json('local.json')).memory?.endpoint, world.target.url, 'the files were switched already');

    const plan = await workspace.cutoverPlan();
    assert.equal(plan.state, 'resume');
    const done = await workspace.cutover();
    assert.equal(done.record.status, 'done');
    const local = done.record.switched.find((s) => s.file === 'config/local.json' && s.setting === 'memory.endpoint');
    assert.ok(local, 'local.json memory.endpoint was switched');
    assert.equal(local.from, undefined, 'its value from before the first attempt (unset), not the cloud URL');
    assert.equal((await json('common.json')).memory?.source?.endpoint, world.source.url, 'the source pinned');

    const rolledBack = await workspace.rollbackCutover();
    assert.equal(rolledBack.record.status, 'rolled-back');
    // This workspace had no environment files: the cutover created them, the rollback removes them.
    assert.equal(existsSync(path.join(folder(), 'config', 'local.json')), false, 'local.json as before: none');
    const common = await json('common.json');
    assert.equal(common.memory?.source?.endpoint, undefined, 'the pin removed');
    assert.equal(common.memory?.endpoint, world.source.url, 'common.json as before');
    assert.equal((await write(world.source.url, 'after/rollback')).status, 201);
  });

  it('a source without read-only mode: the plan says so, and the cutover still checks and switches', async () => {
    // The same server, reached through a client that offers no read-only calls (an older server).
    const plain = (client: MemoryClient): MemoryClient =>
      new Proxy(client, {
        get(target, property) {
          if (property === 'setReadOnly' || property === 'readOnlyMode') return undefined;
          const value: unknown = Reflect.get(target, property);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
    const older = await openEngine(config, folder(), { gcp, source: plain });
    try {
      const plan = await older.workspace.cutoverPlan();
      assert.equal(plan.state, 'ready', 'a rolled-back cutover can be made again');
      assert.equal(plan.source.readOnly, 'unsupported');
      assert.match(formatCutoverPlan(plan), /no read-only mode: stop every writer yourself/);
      const done = await older.workspace.cutover();
      assert.equal(done.record.status, 'done');
      assert.deepEqual(done.record.source, { endpoint: world.source.url, readOnlySupported: false, readOnly: false });
      assert.equal((await write(world.source.url, 'unprotected')).status, 201, 'nothing made it read-only');
      assert.equal((await older.workspace.rollbackCutover()).record.status, 'rolled-back');
    } finally {
      await older.close();
    }
  });
});
