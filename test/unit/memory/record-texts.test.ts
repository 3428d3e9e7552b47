/**
 * Records as JSON texts (listTexts, setTexts): the bulk path of the memory copy, where
 * each record's text goes from the source's NDJSON page into the target's batch without
 * being parsed. The same guarantees as setMany: each record once, the outbox while the
 * server is away, no stale cached value; and a clear error for an answer it cannot use.
 */
import * as assert from 'node:assert/strict';
import type { MemoryFaults, MemoryServerHandle } from '../../../src/sandbox/memory';
import { waitFor } from './helpers';
import type { ProxyHooks } from './proxy';
import { openBreaker, useTestbed } from './testbed';

const LIST = 'GET /api/memory/keys';

describe('memory client: records as texts', function () {
  this.timeout(30_000);
  const bed = useTestbed('texts');
  const server = (folder = 'data', faults: Partial<MemoryFaults> = {}) => bed.server(folder, faults);
  const proxy = (target: string, hooks: ProxyHooks = {}) => bed.proxy(target, hooks);
  const client = (endpoint: string, extra: Parameters<typeof bed.client>[1] = {}) => bed.client(endpoint, extra);

  async function seeded(): Promise<MemoryServerHandle> {
    const s = await server('source');
    await s.store.writeMany([
      { op: 'set', key: 't/a', content: { text: 'two\nlines "quoted"', n: 1.5 }, scope: 'team', ttl: 600 },
      { op: 'set', key: 't/b', content: [1, 'two'] },
      { op: 'set', key: 't/c', content: null, scope: 'me' },
      { op: 'set', key: 't/d', content: 'text' },
      { op: 'set', key: 'u/other', content: 0 },
    ]);
    return s;
  }

  /** Every page of texts under a prefix, two records a page. */
  async function allTexts(c: Awaited<ReturnType<typeof client>>, prefix = 't/') {
    const texts: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await c.listTexts(prefix, cursor, { limit: 2 });
      assert.ok(page, 'the server serves texts');
      texts.push(...page.texts);
      cursor = page.cursor;
      pages++;
    } while (cursor);
    return { texts, pages };
  }

  it('lists each record of a prefix once, in pages, as the JSON text of its key, content, scope and ttl', async () => {
    const s = await seeded();
    const c = await client(s.url);
    const { texts, pages } = await allTexts(c);
    assert.equal(pages, 2);
    assert.deepEqual(
      texts.map((t) => JSON.parse(t) as unknown),
      [
        { key: 't/a', content: { text: 'two\nlines "quoted"', n: 1.5 }, scope: 'team', ttl: 600 },
        { key: 't/b', content: [1, 'two'] },
        { key: 't/c', content: null, scope: 'me' },
        { key: 't/d', content: 'text' },
      ],
    );
  });

  it('answers undefined where the server does not serve texts, so the caller lists records instead', async () => {
    const s = await seeded();
    const p = await proxy(s.url, { hideFeatures: ['ndjson'] });
    const c = await client(p.url);
    assert.equal(await c.listTexts('t/', undefined, { limit: 10 }), undefined);
    assert.equal(p.counts.get(LIST) ?? 0, 0, 'it did not ask');
  });

  it('names the server and what is wrong when an answer is not NDJSON or a line is not an object', async () => {
    const s = await seeded();
    const json = await proxy(s.url, { dropRequestHeaders: ['accept'] });
    await assert.rejects((await client(json.url)).listTexts('t/', undefined, { limit: 10 }), (error: Error) => {
      assert.match(error.message, /answered GET \/api\/memory\/keys \(NDJSON\) with application\/json/);
      assert.ok(error.message.includes(json.url));
      return true;
    });
    const broken = await proxy(s.url, { rewrite: (route, text) => (route === LIST ? `${text}[1,2]\n` : text) });
    await assert.rejects(
      (await client(broken.url)).listTexts('t/', undefined, { limit: 10 }),
      /line 5 not a JSON object: \[1,2\]/,
    );
    const gap = await proxy(s.url, { rewrite: (route, text) => (route === LIST ? `\n${text}` : text) });
    await assert.rejects(
      (await client(gap.url)).listTexts('t/', undefined, { limit: 10 }),
      /line 1 not a JSON object: \(an empty line\)/,
    );
    const crlf = await proxy(s.url, {
      rewrite: (route, text) => (route === LIST ? text.replace(/\n/g, '\r\n') : text),
    });
    const page = await (await client(crlf.url)).listTexts('t/', undefined, { limit: 10 });
    assert.deepEqual(
      page?.texts.map((t) => (JSON.parse(t) as { key: string }).key),
      ['t/a', 't/b', 't/c', 't/d'],
      'CRLF line ends are read too',
    );
  });

  it('writes texts as they are, each once across calls, and reads back what the source holds', async () => {
    const source = await seeded();
    const target = await server('target');
    const p = await proxy(target.url);
    const from = await client(source.url);
    const to = await client(p.url);
    const { texts } = await allTexts(from);
    const ids = texts.map((_, i) => `copy-${i}`);
    const results = await to.setTexts(texts, ids);
    assert.deepEqual(
      results.map((r) => r.queued),
      [false, false, false, false],
    );
    assert.equal(p.counts.get('POST /api/memory/batch'), 1, 'one request for the four');
    await to.setTexts(texts, ids);
    for (const key of ['t/a', 't/b', 't/c', 't/d']) {
      const [a, b] = [source.store.get(key)!, target.store.get(key)!];
      assert.deepEqual([b.content, b.scope, b.ttl], [a.content, a.scope, a.ttl], key);
      assert.equal(b.version, 1, `${key} applied once though sent twice`);
    }
    await assert.rejects(to.setTexts(texts, ids.slice(1)), /setTexts: 4 records but 3 ids/);
    assert.deepEqual(await to.setTexts([], []), []);
  });

  it('queues texts in the outbox, parsed, while the breaker is open, and replays each once', async () => {
    const source = await seeded();
    const target = await server('target', { errorRate: 1 });
    const registry = bed.registry();
    const from = await client(source.url);
    const to = await client(target.url, {
      registry,
      breaker: {
        failureThreshold: 3,
        recoveryTimeoutMs: 300,
        retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 },
      },
    });
    await openBreaker(to, registry);
    const { texts } = await allTexts(from);
    const results = await to.setTexts(
      texts,
      texts.map((_, i) => `q-${i}`),
    );
    assert.ok(results.every((r) => r.queued));
    assert.equal(to.pendingWrites, 4);
    target.setFaults({ errorRate: 0 });
    await waitFor(async () => (await to.flush(), to.pendingWrites === 0), 10_000, 'the outbox to drain');
    assert.deepEqual(target.store.get('t/a')?.content, { text: 'two\nlines "quoted"', n: 1.5 });
    assert.equal(target.store.get('t/a')?.ttl, 600);
    assert.equal(target.store.get('t/c')?.scope, 'me');
    assert.equal(target.store.size, 4);
  });

  it('without the batch route, writes record by record; a bad text is refused before anything is sent', async () => {
    const source = await seeded();
    const target = await server('target');
    const p = await proxy(target.url, { noBatch: true });
    const from = await client(source.url);
    const to = await client(p.url);
    const { texts } = await allTexts(from);
    await to.setTexts(
      texts,
      texts.map((_, i) => `s-${i}`),
    );
    assert.equal(p.counts.get('POST /api/memory'), 4);
    assert.equal(target.store.get('t/b')?.version, 1);
    await assert.rejects(
      to.setTexts(['{"content":1}'], ['x']),
      /record 1 is not a JSON object with "key" and "content"/,
    );
    assert.equal(p.counts.get('POST /api/memory'), 4, 'nothing sent');
  });

  it('leaves no stale cached value of a key it overwrites', async () => {
    const source = await seeded();
    const target = await server('target');
    const registry = bed.registry();
    const from = await client(source.url);
    const to = await client(target.url, { registry });
    await to.set('t/b', 'old value');
    assert.equal((await to.get('t/b'))?.content, 'old value');
    const { texts } = await allTexts(from);
    await to.setTexts(
      texts,
      texts.map((_, i) => `c-${i}`),
    );
    await target.close();
    await openBreaker(to, registry);
    await assert.rejects(to.get('t/b'), /is unavailable/, 'no stale "old value" after the texts wrote t/b');
  });
});
