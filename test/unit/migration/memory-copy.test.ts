import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { ListOptions, MemoryClient, TextListOptions } from '../../../src/core/memory/types';
import { COPY_BATCHES_IN_FLIGHT, READ_AHEAD_PAGES, type CopyCheckpoint } from '../../../src/core/migration/memory-copy';
import { readStateFile, statePath } from '../../../src/core/migration/store';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';
import { spawnExecute } from './child';
import { waitFor } from '../memory/helpers';
import { memorySnapshot } from './snapshot';
import { openEngine, PROJECT, seed, startWorld, type World } from './world';

const RECORDS = Number(process.env.OM_COPY_RECORDS ?? 100_000);
const RESUME_RECORDS = 10_000;
const PHASES = ['core-infrastructure', 'memory-system'];

/** Records every list call (of records or of record texts) the copy makes on the source. */
function spyOnList(client: MemoryClient, calls: { cursor?: string; limit?: number; returned: number }[]): MemoryClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'list') {
        return async (prefix?: string, cursor?: string, options?: ListOptions) => {
          const page = await target.list(prefix, cursor, options);
          calls.push({ cursor, limit: options?.limit, returned: page.keys.length });
          return page;
        };
      }
      if (prop === 'listTexts') {
        return async (prefix: string, cursor: string | undefined, options: TextListOptions) => {
          const page = await target.listTexts!(prefix, cursor, options);
          calls.push({ cursor, limit: options.limit, returned: page?.texts.length ?? 0 });
          return page;
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The copy moves records as texts when both clients can (the default with the local
 * servers), else as parsed records: this source client offers records only.
 */
const recordsOnly = (client: MemoryClient): MemoryClient =>
  Object.assign(Object.create(client) as MemoryClient, { listTexts: undefined });

const PATHS = [
  { path: 'as record texts', source: undefined },
  { path: 'as parsed records (a source without texts)', source: recordsOnly },
] as const;

function versions(server: MemoryServerHandle): { total: number; rewritten: number } {
  let rewritten = 0;
  let total = 0;
  let cursor: string | undefined;
  do {
    const page = server.store.list('', cursor, 1000);
    for (const r of page.records) {
      total++;
      if (r.version > 1) rewritten++;
    }
    cursor = page.next;
  } while (cursor);
  return { total, rewritten };
}

describe(`memory copy of ${RECORDS.toLocaleString('en')} records`, function () {
  this.timeout(180_000);
  let world: World;
  let source: { records: number; checksum: string };

  before(async () => {
    world = await startWorld({ records: RECORDS });
    source = await memorySnapshot(world.source.url);
    assert.equal(source.records, RECORDS);
  });
  after(async () => world?.close());

  /** A seeded source and an empty target of the test's own, and the config that copies between them. */
  async function copyPair(name: string, records: number, targetFaults: { latencyMs?: number } = {}) {
    const source = await startMemoryServer({ dataDir: path.join(world.dir, `source-${name}`), compactIntervalMs: 0 });
    const target = await startMemoryServer({
      dataDir: path.join(world.dir, `target-${name}`),
      compactIntervalMs: 0,
      faults: targetFaults,
    });
    await seed(source.url, records, name);
    const config = structuredClone(world.config);
    config.phases.memorySystem.sourceEndpoint = source.url;
    config.phases.memorySystem.targetEndpoint = target.url;
    return { source, target, config, close: () => Promise.allSettled([target.close(), source.close()]) };
  }

  for (const { path: via, source: sourceClient } of PATHS) {
    it(`copies everything ${via} through 10% injected 503s and a target restart: counts and checksums equal, none lost, none twice`, async () => {
      const dataDir = path.join(world.dir, `target-restart-${sourceClient ? 'records' : 'texts'}`);
      let target = await startMemoryServer({ dataDir, compactIntervalMs: 0, faults: { errorRate: 0.1 } });
      const port = target.port;
      const config = structuredClone(world.config);
      config.phases.memorySystem.targetEndpoint = target.url;
      config.phases.memorySystem.batchSize = 500;
      const h = await openEngine(config, path.join(world.dir, `ws-restart-${sourceClient ? 'records' : 'texts'}`), {
        source: sourceClient,
      });
      let restarted: Promise<void> | undefined;
      h.engine.events.on((e) => {
        if (e.type === 'step-progress' && e.done >= RECORDS * 0.3 && !restarted) {
          restarted = (async () => {
            await target.close();
            await new Promise((r) => setTimeout(r, 300));
            target = await startMemoryServer({ port, dataDir, compactIntervalMs: 0, faults: { errorRate: 0.1 } });
          })();
        }
      });
      try {
        const result = await h.engine.execute(PHASES);
        await restarted;
        assert.equal(result.status, 'completed', JSON.stringify(result.failures));
        assert.ok(restarted, 'the target was restarted mid-copy');
        target.setFaults({ errorRate: 0 });
        assert.deepEqual(await memorySnapshot(target.url), source, 'same keys and the same checksum of every value');
        const v = versions(target);
        assert.equal(v.total, RECORDS, 'none lost, none extra');
        assert.equal(v.rewritten, 0, 'no record was applied twice');
        const outputs = h.engine.state().outputs.memoryCopy as { records: number; checksum: string };
        assert.equal(outputs.records, RECORDS);
        assert.equal(outputs.checksum, source.checksum);
      } finally {
        await h.close();
        await target.close();
      }
    });
  }

  it('killed mid-copy, resumes from the checkpoint cursor, not from zero', async () => {
    // A smaller source of its own keeps this test quick; the copy code is the same.
    const small = await startMemoryServer({ dataDir: path.join(world.dir, 'source-resume'), compactIntervalMs: 0 });
    await seed(small.url, RESUME_RECORDS, 'resume');
    const smallSnapshot = await memorySnapshot(small.url);
    // Slow target writes while the child copies, so the kill lands mid-copy.
    const target = await startMemoryServer({
      dataDir: path.join(world.dir, 'target-resume'),
      compactIntervalMs: 0,
      faults: { latencyMs: 20 },
    });
    const config = structuredClone(world.config);
    config.phases.memorySystem.sourceEndpoint = small.url;
    config.phases.memorySystem.targetEndpoint = target.url;
    config.phases.memorySystem.batchSize = 250;
    const workspace = path.join(world.dir, 'ws-resume');
    const file = statePath(path.join(workspace, '.orchestra'), PROJECT);
    try {
      const child = await spawnExecute(world.dir, { config, workspace, phases: PHASES }, 'copy-kill');
      let copiedAtKill = 0;
      let exited = false;
      void child.exit.then(() => (exited = true));
      for (;;) {
        if (exited) {
          const { stdout, stderr } = await child.exit;
          assert.fail(`the child ended before the copy got far: ${stdout} ${stderr}`);
        }
        const state = await readStateFile(file, PROJECT).catch(() => undefined);
        const checkpoint = state?.steps['memory-system/copy']?.checkpoint as unknown as CopyCheckpoint | undefined;
        if ((checkpoint?.copied ?? 0) >= RESUME_RECORDS * 0.3) {
          child.process.kill('SIGKILL');
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      await child.exit;
      const afterKill = (await readStateFile(file, PROJECT))!;
      const checkpoint = afterKill.steps['memory-system/copy'].checkpoint as unknown as CopyCheckpoint;
      copiedAtKill = checkpoint.copied;
      assert.ok(copiedAtKill > 0 && copiedAtKill < RESUME_RECORDS, `killed mid-copy (${copiedAtKill})`);
      assert.ok(checkpoint.cursor, 'a cursor was saved');

      target.setFaults({ latencyMs: 0 });
      const calls: { cursor?: string; limit?: number; returned: number }[] = [];
      const h = await openEngine(config, workspace, { source: (c) => spyOnList(c, calls) });
      try {
        const result = await h.engine.execute(PHASES);
        assert.equal(result.status, 'completed', JSON.stringify(result.failures));
      } finally {
        await h.close();
      }
      assert.equal(calls[0].cursor, checkpoint.cursor, 'the first source read starts at the checkpoint');
      // Both servers keep a store digest: verification compares those and lists nothing.
      assert.equal(
        calls.findIndex((c, i) => i > 0 && c.cursor === undefined),
        -1,
        'no source list from the start after the resumed copy',
      );
      const reread = calls.reduce((n, c) => n + c.returned, 0);
      assert.equal(reread, RESUME_RECORDS - copiedAtKill, 'only the records after the checkpoint were read again');
      assert.deepEqual(await memorySnapshot(target.url), smallSnapshot);
      console.log(`      killed after ${copiedAtKill} records; resumed and read ${reread} more`);
    } finally {
      await Promise.allSettled([target.close(), small.close()]);
    }
  });

  it('moves records as texts when both servers can: no record parsed or serialized on the way, the same result', async () => {
    const { source: small, target, config, close } = await copyPair('texts', 3000);
    config.phases.memorySystem.batchSize = 500;
    const written: number[] = [];
    const textsOnly = (client: MemoryClient) =>
      Object.assign(Object.create(client) as MemoryClient, {
        async setTexts(texts: string[], ids: string[], options?: { signal?: AbortSignal }) {
          written.push(texts.length);
          assert.ok(
            ids.every((id) => /^copy-[\w-]{22}$/.test(id)),
            'every text carries its copy id',
          );
          return client.setTexts!(texts, ids, options);
        },
        set: () => Promise.reject(new Error('set must not be called when setTexts exists')),
        setMany: () => Promise.reject(new Error('setMany must not be called when setTexts exists')),
      });
    const h = await openEngine(config, path.join(world.dir, 'ws-texts'), { target: textsOnly });
    try {
      const result = await h.engine.execute(PHASES);
      assert.equal(result.status, 'completed', JSON.stringify(result.failures));
      assert.deepEqual(written, [500, 500, 500, 500, 500, 500]);
      assert.deepEqual(await memorySnapshot(target.url), await memorySnapshot(small.url));
    } finally {
      await h.close();
      await close();
    }
  });

  it('without record texts, writes batches through setMany when the target client offers it, with the same result', async () => {
    const { source: small, target, config, close } = await copyPair('batch', 3000);
    const batches: number[] = [];
    const withSetMany = (client: MemoryClient) =>
      Object.assign(Object.create(client) as MemoryClient, {
        async setMany(records: { key: string; content: never; scope?: string; idempotencyKey?: string }[]) {
          batches.push(records.length);
          assert.ok(
            records.every((r) => r.idempotencyKey),
            'every batched record carries its copy id',
          );
          return Promise.all(
            records.map((r) => client.set(r.key, r.content, { scope: r.scope, idempotencyKey: r.idempotencyKey })),
          );
        },
        set: () => Promise.reject(new Error('set must not be called when setMany exists')),
        setTexts: undefined,
      });
    const h = await openEngine(config, path.join(world.dir, 'ws-batch'), { target: withSetMany });
    try {
      const result = await h.engine.execute(PHASES);
      assert.equal(result.status, 'completed', JSON.stringify(result.failures));
      assert.equal(
        batches.reduce((a, b) => a + b, 0),
        3000,
      );
      assert.deepEqual(await memorySnapshot(target.url), await memorySnapshot(small.url));
    } finally {
      await h.close();
      await close();
    }
  });

  it("a target that loses one record and alters another while the copy runs fails verification, naming both (its digest is kept from the copy's first page)", async () => {
    const { target, config, close } = await copyPair('lossy', 3000);
    config.phases.memorySystem.batchSize = 500;
    // The target acknowledges every write but drops one record and stores another changed:
    // the fault a checksum must catch, though the copy itself saw no error.
    const writeMany = target.store.writeMany.bind(target.store);
    target.store.writeMany = (ops) =>
      writeMany(
        ops
          .filter((op) => op.key !== 'lossy/001234')
          .map((op) => (op.key === 'lossy/002345' ? { ...op, content: 'altered' } : op)),
      ).then((outcomes) => ops.map((op, i) => outcomes[i] ?? { key: op.key, op: op.op }));
    const digests: number[] = [];
    const countDigests = (client: MemoryClient) =>
      Object.assign(Object.create(client) as MemoryClient, {
        digest: (options?: { signal?: AbortSignal }) => (digests.push(target.store.size), client.digest!(options)),
      });
    const h = await openEngine(config, path.join(world.dir, 'ws-lossy'), { target: countDigests });
    try {
      const result = await h.engine.execute(PHASES);
      assert.equal(result.status, 'failed');
      assert.equal(digests[0], 0, "the target's digest was first asked for before any record landed");
      const message = JSON.stringify(result.failures);
      assert.match(message, /MEMORY_COPY_MISMATCH|verification failed/);
      assert.match(message, /1 missing on the target: lossy\/001234/);
      assert.match(message, /1 with different content: lossy\/002345/);
    } finally {
      await h.close();
      await close();
    }
  });

  it('cancelled mid-copy (Ctrl-C), stops writing promptly and the next execute finishes the copy', async () => {
    const { source: small, target, config, close } = await copyPair('cancel', 5000, { latencyMs: 10 });
    config.phases.memorySystem.batchSize = 250;
    // The Ctrl-C is pressed from inside the target client, once 1,500 records are
    // acknowledged: the same moment on every run, however slow the machine (a trigger on
    // the progress events fired late on a loaded CI machine, after the copy had finished).
    const controller = new AbortController();
    let acknowledged = 0;
    let startedAfterCancel = 0;
    const cancelAfter1500 = (client: MemoryClient) =>
      new Proxy(client, {
        get(inner, prop, receiver) {
          const value = Reflect.get(inner, prop, receiver);
          if (typeof value !== 'function') return value;
          if (prop !== 'set' && prop !== 'setMany' && prop !== 'setTexts') return value.bind(inner);
          return async (...args: unknown[]) => {
            if (controller.signal.aborted) startedAfterCancel++;
            const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
            acknowledged += prop === 'set' ? 1 : (args[0] as unknown[]).length;
            if (acknowledged >= 1500 && !controller.signal.aborted)
              controller.abort(new Error('cancelled by the user'));
            return result;
          };
        },
      });
    const h = await openEngine(config, path.join(world.dir, 'ws-cancel'), { target: cancelAfter1500 });
    try {
      const cancelled = await h.engine.execute(PHASES, { signal: controller.signal });
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(startedAfterCancel, 0, 'no write started after the cancel');
      const sizeAtCancel = target.store.size;
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(target.store.size - sizeAtCancel <= 64, 'no writes started after the cancel beyond those in flight');
      assert.ok(sizeAtCancel < 5000, `stopped mid-copy (${sizeAtCancel})`);
      const state = h.engine.state();
      assert.equal(state.steps['memory-system/copy'].status, 'cancelled');
      assert.equal(state.phases['memory-system'].status, 'cancelled', 'stopped by the user, not failed');
      assert.match(state.phases['memory-system'].error ?? '', /cancelled with 1 of 2 steps left; run execute again/);
      target.setFaults({ latencyMs: 0 });
      const resumed = await h.engine.execute(PHASES);
      assert.equal(resumed.status, 'completed', JSON.stringify(resumed.failures));
      assert.deepEqual(await memorySnapshot(target.url), await memorySnapshot(small.url));
    } finally {
      await h.close();
      await close();
    }
  });
});

describe('memory copy pipeline', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => (world = await startWorld({ records: 2000 })));
  after(async () => world?.close());

  for (const { path: via, source: sourceClient } of PATHS) {
    it(`reads source pages ahead while the target is slow, one read at a time and a bounded number ahead (${via})`, async () => {
      let listsInFlight = 0;
      let maxListsInFlight = 0;
      let pagesRead = 0;
      const counted = async <T>(read: () => Promise<T>): Promise<T> => {
        maxListsInFlight = Math.max(maxListsInFlight, ++listsInFlight);
        try {
          return await read();
        } finally {
          listsInFlight--;
          pagesRead++;
        }
      };
      const countingSource = (client: MemoryClient): MemoryClient => {
        const inner = sourceClient ? sourceClient(client) : client;
        return Object.assign(Object.create(inner) as MemoryClient, {
          list: (prefix?: string, cursor?: string, options?: ListOptions) =>
            counted(() => inner.list(prefix, cursor, options)),
          ...(inner.listTexts
            ? {
                listTexts: (prefix: string, cursor: string | undefined, options: TextListOptions) =>
                  counted(() => inner.listTexts!(prefix, cursor, options)),
              }
            : {}),
        });
      };
      // The target takes no write until released: a stalled Firestore, say.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const stalledTarget = (client: MemoryClient): MemoryClient =>
        Object.assign(Object.create(client) as MemoryClient, {
          async setMany(...args: Parameters<NonNullable<MemoryClient['setMany']>>) {
            await released;
            return client.setMany!(...args);
          },
          async setTexts(...args: Parameters<NonNullable<MemoryClient['setTexts']>>) {
            await released;
            return client.setTexts!(...args);
          },
        });
      const target = path.join(world.dir, `target-pipeline-${sourceClient ? 'records' : 'texts'}`);
      const targetServer = await startMemoryServer({ dataDir: target, compactIntervalMs: 0 });
      const config = structuredClone(world.config);
      config.phases.memorySystem.targetEndpoint = targetServer.url;
      const h = await openEngine(config, path.join(world.dir, `ws-pipeline-${sourceClient ? 'records' : 'texts'}`), {
        source: countingSource,
        target: stalledTarget,
      });
      try {
        const run = h.engine.execute(PHASES);
        // Pages of 20 records, each one write. Held while writes stall: the pages whose
        // writes are in flight, the one waiting for a free write, the next one the copy
        // holds, and those read ahead. The reader gets there, then reads nothing more.
        const bound = COPY_BATCHES_IN_FLIGHT + 2 + READ_AHEAD_PAGES;
        await waitFor(() => pagesRead >= bound, 20_000, `${bound} pages read while the writes stall`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(pagesRead, bound, `reads stop at ${bound} pages while the writes stall`);
        release();
        const result = await run;
        assert.equal(result.status, 'completed', JSON.stringify(result.failures));
        assert.equal(maxListsInFlight, 1, 'one cursor, one read at a time');
        assert.deepEqual(await memorySnapshot(targetServer.url), await memorySnapshot(world.source.url));
      } finally {
        release();
        await h.close();
        await targetServer.close();
      }
    });
  }
});
