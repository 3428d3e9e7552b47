import * as assert from 'node:assert/strict';
import { appendFile, readFile, stat } from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import fetch from 'node-fetch';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';
import { ManualClock } from '../clock';
import { tempDir } from '../memory/helpers';
import { startServerProcess, type Child } from '../memory/processes';

async function call(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method, body: body === undefined ? undefined : JSON.stringify(body), headers });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('local Orchestra Memory API server', function () {
  this.timeout(60_000);
  let temp: Awaited<ReturnType<typeof tempDir>>;
  const handles: MemoryServerHandle[] = [];
  const children: Child[] = [];
  before(async () => (temp = await tempDir('sandbox-memory')));
  after(async () => {
    for (const handle of handles) await handle.close().catch(() => undefined);
    for (const child of children) await child.kill9();
    await temp.cleanup();
  });

  async function start(name: string, options: Partial<Parameters<typeof startMemoryServer>[0]> = {}) {
    const handle = await startMemoryServer({ dataDir: path.join(temp.dir, name), ...options });
    handles.push(handle);
    return handle;
  }

  it('serves the documented routes: status with features, get, post, delete, paged keys', async () => {
    const { url } = await start('routes');
    const status = await call(`${url}/api/status`);
    assert.equal(status.status, 200);
    assert.deepEqual(status.body.features, [
      'keys',
      'include-content',
      'batch',
      'idempotency-key',
      'ttl',
      'scope',
      'fields',
      'return-minimal',
      'ndjson',
      'changes',
      'digest',
      'read-only',
      'search',
      'stats',
    ]);
    assert.deepEqual(status.body.stats, { requests: 1 }, 'its own figures: the API requests it answered');
    assert.equal((await call(`${url}/api/memory`, 'POST', { key: 'k/1', content: { a: 1 }, scope: 's' })).status, 201);
    assert.equal((await call(`${url}/api/memory`, 'POST', { key: 'k/1', content: { a: 2 } })).status, 200);
    const got = await call(`${url}/api/memory?key=k%2F1`);
    assert.deepEqual([got.body.content, got.body.version], [{ a: 2 }, 2]);
    assert.equal((await call(`${url}/api/memory?key=nope`)).status, 404);
    assert.equal((await call(`${url}/api/memory?key=k%2F1`, 'DELETE')).status, 200);
    assert.equal((await call(`${url}/api/memory?key=k%2F1`, 'DELETE')).status, 404);
    const bad = await call(`${url}/api/memory`, 'POST', { key: 'x' });
    assert.equal(bad.status, 400);
    assert.match(String((bad.body.error as { message: string }).message), /no "content"/);
    const batch = await call(`${url}/api/memory/batch`, 'POST', {
      ops: Array.from({ length: 7 }, (_, i) => ({ op: 'set', key: `p/${i}`, content: i })),
    });
    assert.equal((batch.body.results as unknown[]).length, 7);
    const page1 = await call(`${url}/api/memory/keys?prefix=p/&limit=4`);
    assert.deepEqual(page1.body.keys, ['p/0', 'p/1', 'p/2', 'p/3']);
    const page2 = await call(
      `${url}/api/memory/keys?prefix=p/&limit=4&include=content&cursor=${page1.body.cursor as string}`,
    );
    assert.deepEqual(page2.body.keys, ['p/4', 'p/5', 'p/6']);
    assert.deepEqual(
      (page2.body.records as { content: number }[]).map((r) => r.content),
      [4, 5, 6],
    );
    assert.equal(page2.body.cursor, undefined);
  });

  it('lists records with content exactly as a get shows them, before and after a restart', async () => {
    const dataDir = path.join(temp.dir, 'list-texts');
    let server = await startMemoryServer({ dataDir });
    const keys = ['l/a', 'l/b', 'l/c'];
    await call(`${server.url}/api/memory`, 'POST', { key: 'l/a', content: { x: 1 }, scope: 's' });
    await call(`${server.url}/api/memory`, 'POST', { key: 'l/b', content: [1, 'two'], ttl: 60 });
    await call(`${server.url}/api/memory/batch`, 'POST', {
      ops: [
        { op: 'set', key: 'l/a', content: { x: 2, nested: { q: 'a "quoted" \\ line\nbreak', u: 'é✓' } } },
        { op: 'set', key: 'l/c', content: null },
        { op: 'set', key: 'l/gone', content: 1 },
        { op: 'delete', key: 'l/gone' },
      ],
    });
    for (const round of ['live', 'after restart']) {
      const listed = await call(`${server.url}/api/memory/keys?prefix=l/&include=content`);
      assert.deepEqual(listed.body.keys, keys, round);
      const gets = await Promise.all(keys.map(async (k) => (await call(`${server.url}/api/memory?key=${k}`)).body));
      assert.deepEqual(listed.body.records, gets, round);
      const [a, b] = listed.body.records as Record<string, unknown>[];
      assert.deepEqual([a.version, a.scope, (a.content as { x: number }).x], [2, undefined, 2], round);
      assert.equal(b.ttl, 60, round);
      assert.ok(!('expiresAt' in b), `${round}: the server's expiry instant is not part of the API`);
      if (round === 'live') {
        await server.close();
        server = await startMemoryServer({ dataDir });
      }
    }
    await server.close();
  });

  it('keeps lists current when records are updated, added and deleted between lists', async () => {
    const { url } = await start('list-current');
    const list = async () =>
      ((await call(`${url}/api/memory/keys?prefix=c/&include=content`)).body.records as Record<string, unknown>[]).map(
        (r) => `${r.key as string}=${JSON.stringify(r.content)}@${r.version as number}`,
      );
    await call(`${url}/api/memory/batch`, 'POST', {
      ops: ['c/b', 'c/d', 'c/f'].map((key) => ({ op: 'set', key, content: 1 })),
    });
    assert.deepEqual(await list(), ['c/b=1@1', 'c/d=1@1', 'c/f=1@1']);
    await call(`${url}/api/memory`, 'POST', { key: 'c/d', content: 2 });
    assert.deepEqual(await list(), ['c/b=1@1', 'c/d=2@2', 'c/f=1@1'], 'an update shows in the next list');
    await call(`${url}/api/memory`, 'POST', { key: 'c/a', content: 3 });
    await call(`${url}/api/memory?key=c%2Ff`, 'DELETE');
    await call(`${url}/api/memory`, 'POST', { key: 'c/b', content: 4 });
    assert.deepEqual(await list(), ['c/a=3@1', 'c/b=4@2', 'c/d=2@2'], 'inserts in key order, deletes gone');
  });

  it('trims a list to the fields asked for, and names a bad selector', async () => {
    const { url } = await start('fields');
    await call(`${url}/api/memory/batch`, 'POST', {
      ops: [
        { op: 'set', key: 'f/a', content: { x: 1 }, scope: 's', ttl: 60 },
        { op: 'set', key: 'f/b', content: [2] },
        { op: 'set', key: 'f/c', content: null },
      ],
    });
    const list = (query: string) => call(`${url}/api/memory/keys?prefix=f/&include=content&limit=2&${query}`);
    const full = await list('');
    const trimmed = await list('fields=cursor,records(ttl,key,content,scope)');
    assert.deepEqual(Object.keys(trimmed.body), ['records', 'cursor'], 'no keys array, the cursor kept');
    assert.deepEqual(trimmed.body.records, [
      { key: 'f/a', content: { x: 1 }, scope: 's', ttl: 60 },
      { key: 'f/b', content: [2] },
    ]);
    assert.equal(trimmed.body.cursor, full.body.cursor);
    const next = await list(`fields=cursor,records(key,content)&cursor=${trimmed.body.cursor as string}`);
    assert.deepEqual(next.body, { records: [{ key: 'f/c', content: null }] }, 'the last page has no cursor');
    const whole = await list('fields=keys,records');
    assert.deepEqual(whole.body, { keys: full.body.keys, records: full.body.records }, 'records without (...): all');
    for (const [selector, message] of [
      ['records(key,expiresAt)', /unknown field 'expiresAt' in records\(\.\.\.\) \(known: key, content/],
      ['pages', /unknown field 'pages' \(known: keys, records, cursor\)/],
      ['keys(key)', /'keys' has no sub-fields/],
      ['records(key', /expected '\)' at character 12/],
      ['keys,,cursor', /expected a field name at character 6 of 'keys,,cursor', found ','/],
      ['', /expected a field name at character 1/],
    ] as const) {
      const bad = await list(`fields=${encodeURIComponent(selector)}`);
      assert.equal(bad.status, 400, selector);
      assert.match((bad.body.error as { message: string }).message, message);
    }
  });

  it('serves a list page as NDJSON when asked: one record per line, as the JSON page has it, the cursor in a header', async () => {
    const { url } = await start('ndjson');
    await call(`${url}/api/memory/batch`, 'POST', {
      ops: [
        { op: 'set', key: 'n/a', content: { text: 'line\nbreak "quoted"', u: 'é✓' }, scope: 's', ttl: 60 },
        { op: 'set', key: 'n/b', content: [1, 2] },
        { op: 'set', key: 'n/c', content: null },
      ],
    });
    const ndjson = { accept: 'application/x-ndjson' };
    const query = 'prefix=n/&include=content&limit=2&fields=cursor,records(key,content,scope,ttl)';
    const json = await call(`${url}/api/memory/keys?${query}`);
    const first = await fetch(`${url}/api/memory/keys?${query}`, { headers: ndjson });
    assert.equal(first.headers.get('content-type'), 'application/x-ndjson; charset=utf-8');
    const cursor = first.headers.get('orchestra-next-cursor');
    assert.equal(cursor, json.body.cursor, 'the same cursor as the JSON page');
    const body = await first.text();
    assert.ok(body.endsWith('}\n'), 'every line ends with a newline');
    const lines = body.slice(0, -1).split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as unknown),
      json.body.records,
      'a raw newline in a value is escaped: one line per record',
    );
    const last = await fetch(`${url}/api/memory/keys?${query}&cursor=${cursor}`, { headers: ndjson });
    assert.equal(last.headers.get('orchestra-next-cursor'), null, 'no cursor on the last page');
    assert.deepEqual(await last.text(), '{"key":"n/c","content":null}\n');
    const empty = await fetch(`${url}/api/memory/keys?prefix=none/&include=content`, { headers: ndjson });
    assert.deepEqual([empty.status, await empty.text()], [200, ''], 'an empty page has no lines');
    const keysOnly = await fetch(`${url}/api/memory/keys?prefix=n/`, { headers: ndjson });
    assert.match(keysOnly.headers.get('content-type') ?? '', /^application\/json/, 'keys only: JSON, as without');
  });

  it('answers a batch with a count when asked for a minimal answer (Prefer: return=minimal)', async () => {
    const { url } = await start('minimal');
    const ops = [
      { op: 'set', key: 'm/a', content: 1, id: 'w-1' },
      { op: 'set', key: 'm/b', content: 2, id: 'w-2' },
      { op: 'delete', key: 'm/a', id: 'w-3' },
    ];
    const post = (body: unknown, prefer?: string) =>
      fetch(`${url}/api/memory/batch`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: prefer ? { prefer } : {},
      });
    const first = await post({ ops: ops.slice(0, 2) }, 'return=minimal');
    assert.equal(first.headers.get('preference-applied'), 'return=minimal');
    assert.deepEqual(await first.json(), { count: 2, duplicates: 0 });
    const again = await post({ ops }, 'respond-async, Return = minimal; x=1');
    assert.deepEqual(await again.json(), { count: 3, duplicates: 2 }, 'the two replayed ids are counted');
    const full = await post({ ops: [{ op: 'set', key: 'm/c', content: 3 }] });
    assert.equal(full.headers.get('preference-applied'), null);
    assert.deepEqual(((await full.json()) as { results: { key: string }[] }).results[0].key, 'm/c');
    const listed = await call(`${url}/api/memory/keys?prefix=m/`);
    assert.deepEqual(listed.body.keys, ['m/b', 'm/c'], 'a minimal answer still applies every operation');
  });

  it('applies a write with a known Idempotency-Key once', async () => {
    const { url } = await start('idempotent');
    const headers = { 'idempotency-key': 'write-1' };
    await call(`${url}/api/memory`, 'POST', { key: 'i', content: 1 }, headers);
    const again = await call(`${url}/api/memory`, 'POST', { key: 'i', content: 1 }, headers);
    assert.equal(again.body.duplicate, true);
    assert.equal((await call(`${url}/api/memory?key=i`)).body.version, 1);
  });

  it('expires records after their ttl', async () => {
    const clock = new ManualClock();
    const { url } = await start('ttl', { now: clock.now });
    await call(`${url}/api/memory`, 'POST', { key: 't', content: 1, ttl: 0.2 });
    clock.advance(199);
    assert.equal((await call(`${url}/api/memory?key=t`)).status, 200);
    assert.deepEqual((await call(`${url}/api/memory/keys`)).body.keys, ['t']);
    clock.advance(1);
    assert.equal((await call(`${url}/api/memory?key=t`)).status, 404);
    assert.deepEqual((await call(`${url}/api/memory/keys`)).body.keys, [], 'a list skips it too');
  });

  it('asks for the API key with a clear 401', async () => {
    const { url } = await start('auth', { apiKey: 'server-key-0123456789' });
    const denied = await call(`${url}/api/status`);
    assert.equal(denied.status, 401);
    assert.deepEqual(denied.body, {
      error: { code: 'unauthorized', message: 'missing or wrong API key: send "Authorization: Bearer <key>"' },
    });
    assert.equal((await call(`${url}/api/status`, 'GET', undefined, { authorization: 'Bearer wrong' })).status, 401);
    const ok = await call(`${url}/api/status`, 'GET', undefined, { authorization: 'Bearer server-key-0123456789' });
    assert.equal(ok.status, 200);
  });

  it('injects faults: 503s, dropped connections, latency, and a pause', async () => {
    const server = await start('faults');
    const { url } = server;
    server.setFaults({ errorRate: 1 });
    const unavailable = await call(`${url}/api/status`);
    assert.equal(unavailable.status, 503);
    server.setFaults({ errorRate: 0, dropRate: 1 });
    await assert.rejects(fetch(`${url}/api/status`), /socket hang up|ECONNRESET/);
    // The admin route itself is never faulted: it is how faults get lifted.
    assert.deepEqual((await call(`${url}/__admin/faults`, 'POST', { dropRate: 0, latencyMs: 150 })).body, {
      latencyMs: 150,
      errorRate: 0,
      dropRate: 0,
      paused: false,
      extraStats: {},
    });
    let started = Date.now();
    await call(`${url}/api/status`);
    assert.ok(Date.now() - started >= 140);
    await call(`${url}/__admin/faults`, 'POST', { latencyMs: 0, paused: true });
    started = Date.now();
    const held = call(`${url}/api/status`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await call(`${url}/__admin/faults`, 'POST', { paused: false });
    assert.equal((await held).status, 200);
    assert.ok(Date.now() - started >= 190);
    assert.equal((await call(`${url}/__admin/faults`, 'POST', { errorRate: 2 })).status, 400);
  });

  it('answers admin routes on loopback only', async function () {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!external) this.skip();
    const server = await start('admin', { host: '0.0.0.0' });
    const response = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: external!.address,
          port: server.port,
          path: '/__admin/faults',
          method: 'POST',
          localAddress: external!.address,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('{"errorRate":1}');
    });
    assert.equal(response, 403);
    assert.equal(server.faults.errorRate, 0);
  });

  it('compacts its log to one line per record and reloads the same data', async () => {
    const dataDir = path.join(temp.dir, 'compact');
    let server = await startMemoryServer({ dataDir });
    for (let round = 0; round < 5; round++) {
      await call(`${server.url}/api/memory/batch`, 'POST', {
        ops: Array.from({ length: 100 }, (_, i) => ({ op: 'set', key: `c/${i}`, content: { round, i } })),
      });
    }
    const file = path.join(dataDir, 'memory.log.jsonl');
    const before = (await stat(file)).size;
    // One line per record, one for the idempotency ids, one for the changes feed's position.
    assert.equal((await call(`${server.url}/__admin/compact`, 'POST', {})).body.logLines, 102);
    assert.ok((await stat(file)).size < before / 3);
    await server.close();
    server = await startMemoryServer({ dataDir });
    handles.push(server);
    const got = await call(`${server.url}/api/memory?key=c%2F42`);
    assert.deepEqual([got.body.content, got.body.version], [{ round: 4, i: 42 }, 5]);
  });

  it('survives kill -9 without losing an acknowledged write, and a torn last line', async () => {
    const dataDir = path.join(temp.dir, 'kill9');
    const first = await startServerProcess(dataDir);
    children.push(first.child);
    const acknowledged = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const response = await call(`${first.url}/api/memory`, 'POST', { key: `k9/${i}`, content: i });
        return response.status === 201 ? i : -1;
      }),
    );
    await first.child.kill9();
    // A crash mid-append leaves a partial line: the server must start anyway.
    await appendFile(path.join(dataDir, 'memory.log.jsonl'), '{"t":"set","r":{"key":"torn');
    const second = await startServerProcess(dataDir);
    children.push(second.child);
    for (const i of acknowledged) {
      assert.ok(i >= 0);
      const got = await call(`${second.url}/api/memory?key=k9%2F${i}`);
      assert.equal(got.body.content, i);
    }
    assert.equal((await call(`${second.url}/api/status`)).body.records, 300);
    // Writes after the torn line land on lines of their own and survive the next crash.
    assert.equal((await call(`${second.url}/api/memory`, 'POST', { key: 'after-torn', content: 1 })).status, 201);
    await second.child.kill9();
    assert.doesNotMatch(await readFile(path.join(dataDir, 'memory.log.jsonl'), 'utf8'), /"torn/);
    const third = await startServerProcess(dataDir);
    children.push(third.child);
    assert.equal((await call(`${third.url}/api/memory?key=after-torn`)).body.content, 1);
    assert.equal((await call(`${third.url}/api/status`)).body.records, 301);
  });
});
