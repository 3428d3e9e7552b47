/**
 * The local memory server's changes feed, store digest and read-only mode
 * (docs/memory-api.md, extensions `changes`, `digest`, `read-only`).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'mocha';
import { digestOf } from '../../../src/core/memory/digest';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';

interface Change {
  op: string;
  key: string;
  seq: number;
  createdSeq: number;
  record?: { content: unknown };
}

async function call(url: string, method = 'GET', body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('memory server: changes feed, digest, read-only mode', () => {
  let dir: string;
  const handles: MemoryServerHandle[] = [];
  before(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'orchestra-changes-'))));
  afterEach(async () => {
    await Promise.allSettled(handles.splice(0).map((h) => h.close()));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  async function start(name: string): Promise<MemoryServerHandle> {
    const handle = await startMemoryServer({ dataDir: path.join(dir, name), compactIntervalMs: 0 });
    handles.push(handle);
    return handle;
  }

  const set = (url: string, ops: unknown[]) => call(`${url}/api/memory/batch`, 'POST', { ops });

  it('lists each changed key once, at its latest change, after a mark; survives a restart and a compaction', async () => {
    let server = await start('feed');
    await set(server.url, [
      { op: 'set', key: 'a', content: 1 },
      { op: 'set', key: 'b', content: 2 },
    ]);
    const status = await call(`${server.url}/api/status`);
    const mark = status.body.changes as { epoch: string; seq: number };
    assert.equal(mark.seq, 2);
    await set(server.url, [
      { op: 'set', key: 'a', content: 10 },
      { op: 'set', key: 'c', content: 3 },
      { op: 'set', key: 'a', content: 11 },
      { op: 'delete', key: 'b' },
      { op: 'set', key: 'd', content: 4 },
      { op: 'delete', key: 'd' },
    ]);
    const read = async (url: string, since: number, limit = 100) =>
      (await call(`${url}/api/memory/changes?since=${since}&epoch=${mark.epoch}&limit=${limit}`)).body as {
        changes: Change[];
        next: number;
        more: boolean;
      };
    const page = await read(server.url, mark.seq);
    const seen = page.changes.map((c) => [c.op, c.key, c.createdSeq > mark.seq ? 'new' : 'old']);
    assert.deepEqual(seen, [
      ['set', 'c', 'new'],
      ['set', 'a', 'old'],
      ['delete', 'b', 'old'],
      ['delete', 'd', 'new'],
    ]);
    assert.deepEqual(page.changes[1].record?.content, 11, 'a set carries the latest record');
    assert.equal(page.more, false);
    assert.equal(page.next, 8);

    // Paged: two changes a page, then the rest.
    const first = await read(server.url, mark.seq, 2);
    assert.equal(first.more, true);
    const rest = await read(server.url, first.next, 100);
    assert.deepEqual(
      [...first.changes, ...rest.changes].map((c) => c.key),
      ['c', 'a', 'b', 'd'],
    );

    await call(`${server.url}/__admin/compact`, 'POST', {});
    await server.close();
    handles.pop();
    server = await start('feed');
    assert.deepEqual(
      (await read(server.url, mark.seq)).changes.map((c) => [c.op, c.key]),
      seen.map((s) => [s[0], s[1]]),
    );
    assert.equal((await read(server.url, 8)).changes.length, 0);
  });

  it('answers 410 for a mark of another epoch or past its last change, and 400 for a bad one', async () => {
    const server = await start('epoch');
    await set(server.url, [{ op: 'set', key: 'a', content: 1 }]);
    const gone = await call(`${server.url}/api/memory/changes?since=0&epoch=not-this-store`);
    assert.equal(gone.status, 410);
    assert.match(JSON.stringify(gone.body), /changes_expired.*read the whole store again/);
    assert.equal((await call(`${server.url}/api/memory/changes?since=-1`)).status, 400);
    // A mark from a damaged state, beyond anything this store numbered: not an empty feed.
    const future = await call(`${server.url}/api/memory/changes?since=123456789`);
    assert.equal(future.status, 410);
    assert.match(JSON.stringify(future.body), /past this store's last/);
  });

  it('keeps a digest equal to one computed from the records, up to date after sets and deletes', async () => {
    const server = await start('digest');
    const records = new Map<string, unknown>();
    const ops = Array.from({ length: 300 }, (_, i) => ({ op: 'set', key: `k/${i}`, content: { i, b: [i], a: 'x' } }));
    await set(server.url, ops);
    for (const o of ops) records.set(o.key, o.content);
    const expected = () => ({ records: records.size, digest: digestOf(records).digest });
    const digest = async () => {
      const body = (await call(`${server.url}/api/memory/digest`)).body;
      return { records: body.records, digest: body.digest };
    };
    assert.deepEqual(await digest(), expected());
    await set(server.url, [
      { op: 'set', key: 'k/1', content: 'changed' },
      { op: 'delete', key: 'k/2' },
      { op: 'set', key: 'new', content: null },
    ]);
    records.set('k/1', 'changed');
    records.delete('k/2');
    records.set('new', null);
    assert.deepEqual(await digest(), expected());
    // Key order inside a value does not change its hash.
    await set(server.url, [{ op: 'set', key: 'k/3', content: { a: 'x', b: [3], i: 3 } }]);
    assert.deepEqual(await digest(), expected());
  });

  it('refuses writes with 409 while read-only, across a restart, and takes them again once writable', async () => {
    let server = await start('mode');
    await set(server.url, [{ op: 'set', key: 'a', content: 1 }]);
    assert.deepEqual((await call(`${server.url}/api/mode`, 'PUT', { readOnly: true })).body, { readOnly: true });
    const refused = await call(`${server.url}/api/memory`, 'POST', { key: 'a', content: 2 });
    assert.equal(refused.status, 409);
    assert.match(JSON.stringify(refused.body), /read_only.*read-only/);
    assert.equal((await set(server.url, [{ op: 'delete', key: 'a' }])).status, 409);
    assert.equal((await call(`${server.url}/api/memory?key=a`)).body.content, 1, 'reads still served');
    await server.close();
    handles.pop();
    server = await start('mode');
    assert.equal((await call(`${server.url}/api/status`)).body.readOnly, true);
    assert.equal((await call(`${server.url}/api/memory`, 'POST', { key: 'a', content: 2 })).status, 409);
    await call(`${server.url}/api/mode`, 'PUT', { readOnly: false });
    assert.equal((await call(`${server.url}/api/memory`, 'POST', { key: 'a', content: 2 })).status, 200);
    assert.equal((await call(`${server.url}/api/mode`, 'PUT', { readOnly: 'yes' })).status, 400);
  });
});
