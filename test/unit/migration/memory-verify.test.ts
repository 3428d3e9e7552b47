/**
 * Verification of a memory copy: by the servers' digests where both keep one, else by
 * an ordered, paged comparison of both stores that finds each difference by key.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { defaultConfig } from '../../../src/core/config/defaults';
import { nullLogger } from '../../../src/core/logger';
import { createMemoryClient } from '../../../src/core/memory';
import type { ListOptions, MemoryClient } from '../../../src/core/memory/types';
import { SCAN_PAGE, verifyCopy } from '../../../src/core/migration/memory-verify';
import type { StepContext } from '../../../src/core/migration/types';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';
import { memorySnapshot } from './snapshot';
import { seed } from './world';

const RECORDS = 5_000;

function stepContext(metrics: Record<string, number> = {}): StepContext {
  return {
    logger: nullLogger,
    signal: new AbortController().signal,
    metric: (name: string, value: number) => (metrics[name] = (metrics[name] ?? 0) + value),
    progress: () => undefined,
  } as unknown as StepContext;
}

/** A client without the digest extension, whose list calls are counted. */
function scanning(client: MemoryClient, lists: { count: number; largest: number }): MemoryClient {
  return Object.assign(Object.create(client) as MemoryClient, {
    digest: undefined,
    list: async (prefix?: string, cursor?: string, options?: ListOptions) => {
      const page = await client.list(prefix, cursor, options);
      lists.count++;
      lists.largest = Math.max(lists.largest, page.keys.length);
      return page;
    },
  });
}

describe('memory copy verification', function () {
  this.timeout(60_000);
  let dir: string;
  let source: MemoryServerHandle;
  let target: MemoryServerHandle;
  const clients: MemoryClient[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchestra-verify-'));
    source = await startMemoryServer({ dataDir: path.join(dir, 'source'), compactIntervalMs: 0 });
    target = await startMemoryServer({ dataDir: path.join(dir, 'target'), compactIntervalMs: 0 });
    await Promise.all([seed(source.url, RECORDS, 'v'), seed(target.url, RECORDS, 'v')]);
  });
  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([source.close(), target.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  async function client(url: string): Promise<MemoryClient> {
    const c = await createMemoryClient({
      config: { ...defaultConfig().memory, transport: 'http' },
      endpoint: url,
      outboxDir: path.join(dir, `outbox-${clients.length}`),
      logger: nullLogger,
    });
    clients.push(c);
    return c;
  }

  it('equal stores: the digests agree and nothing is listed; the checksum is the source store', async () => {
    const lists = { count: 0, largest: 0 };
    const spy = (c: MemoryClient) => Object.assign(Object.create(c) as MemoryClient, { list: () => lists.count++ });
    const report = await verifyCopy(stepContext(), spy(await client(source.url)), spy(await client(target.url)));
    assert.equal(lists.count, 0);
    assert.deepEqual(
      { records: report.sourceRecords, checksum: report.checksum },
      await memorySnapshot(source.url).then((s) => ({ records: s.records, checksum: s.checksum })),
    );
    assert.equal(report.method, 'digest');
  });

  it('without digests, compares both stores page by page and reaches the same checksum', async () => {
    const lists = { count: 0, largest: 0 };
    const report = await verifyCopy(
      stepContext(),
      scanning(await client(source.url), lists),
      scanning(await client(target.url), lists),
    );
    assert.equal(report.method, 'scan');
    assert.equal(report.checksum, (await memorySnapshot(source.url)).checksum);
    assert.equal(lists.count, 2 * Math.ceil(RECORDS / SCAN_PAGE), 'each store read once, a page at a time');
    assert.ok(lists.largest <= SCAN_PAGE);
  });

  it('names the keys missing on the target and those with other content, and counts extra ones', async () => {
    await fetch(`${target.url}/api/memory/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ops: [
          { op: 'delete', key: 'v/000010' },
          { op: 'delete', key: 'v/004999' },
          { op: 'set', key: 'v/000020', content: 'other' },
          { op: 'set', key: 'v/zzz', content: 'extra' },
        ],
      }),
    });
    for (const digests of [true, false]) {
      const lists = { count: 0, largest: 0 };
      const wrap = (c: MemoryClient) => (digests ? c : scanning(c, lists));
      const metrics: Record<string, number> = {};
      await assert.rejects(
        verifyCopy(stepContext(metrics), wrap(await client(source.url)), wrap(await client(target.url))),
        (error: Error) => {
          assert.match(error.message, /2 missing on the target: v\/000010, v\/004999/);
          assert.match(error.message, /1 with different content: v\/000020/);
          return true;
        },
      );
      assert.equal(metrics.memory_target_extra_records, 1);
    }
  });
});
