/**
 * The client asks servers for no more than it keeps: lists with content trimmed by
 * `fields` (where the server lists that feature) and batch writes answered with a count
 * (`Prefer: return=minimal`). Against servers that do not trim, through a proxy playing
 * an older server, the client reads the full answers to the same result.
 */
import * as assert from 'node:assert/strict';
import type { SetManyRecord } from '../../../src/core/memory';
import type { ProxyHooks } from './proxy';
import { useTestbed } from './testbed';

const BATCH = 'POST /api/memory/batch';
const LIST = 'GET /api/memory/keys';

describe('memory client: trimmed answers', function () {
  this.timeout(30_000);
  const bed = useTestbed('trimmed');
  const server = () => bed.server();
  const proxy = (target: string, hooks: ProxyHooks = {}) => bed.proxy(target, hooks);
  const client = (endpoint: string) => bed.client(endpoint);

  const input: SetManyRecord[] = [
    { key: 't/a', content: { x: 1 }, scope: 'team', ttl: 600 },
    { key: 't/b', content: [1, 'two'] },
    { key: 't/c', content: null, scope: 'me' },
    { key: 't/d', content: 'text' },
    { key: 't/e', content: 5 },
  ];

  /** Every page of a list with content, through the client. */
  async function listAll(c: Awaited<ReturnType<typeof client>>) {
    const keys: string[] = [];
    const records: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.list('t/', cursor, { limit: 2, includeContent: true });
      keys.push(...page.keys);
      records.push(...(page.records ?? []));
      cursor = page.cursor;
    } while (cursor);
    return { keys, records };
  }

  for (const fields of ['honours fields', 'does not list fields']) {
    it(`lists records with content from a server that ${fields}: the same keys, contents, scopes and ttls`, async () => {
      const s = await server();
      const p = await proxy(s.url, fields === 'honours fields' ? {} : { hideFeatures: ['fields'] });
      const c = await client(p.url);
      await c.setMany(input);
      const listed = await listAll(c);
      assert.deepEqual(
        listed.keys,
        input.map((r) => r.key),
      );
      const kept = (listed.records as Record<string, unknown>[]).map(({ updatedAt: _u, ...rest }) => rest);
      assert.deepEqual(
        kept,
        input.map((r) => ({
          key: r.key,
          content: r.content,
          ...(r.scope ? { scope: r.scope } : {}),
          ...(r.ttl ? { ttl: r.ttl } : {}),
        })),
      );
      const lists = p.seen.filter((r) => r.route === LIST);
      assert.equal(lists.length, 3, 'pages of 2, 2 and 1');
      for (const request of lists) {
        const asked = new URL(request.url, 'http://x').searchParams.get('fields');
        if (fields === 'honours fields') assert.equal(asked, 'cursor,records(key,content,scope,ttl)');
        else assert.equal(asked, null, 'no fields parameter to a server that does not list the feature');
      }
      if (fields === 'honours fields') {
        assert.ok(
          (listed.records as Record<string, unknown>[]).every((r) => !('updatedAt' in r)),
          'trimmed: no updatedAt',
        );
      }
      const keysOnly = await c.list('t/', undefined, { limit: 10 });
      assert.deepEqual(keysOnly.keys, listed.keys);
      assert.equal(new URL(p.seen.at(-1)!.url, 'http://x').searchParams.get('fields'), null, 'keys only: untrimmed');
    });
  }

  for (const preference of ['honoured', 'ignored']) {
    it(`writes a batch asking for a count back, with the preference ${preference}, each record once`, async () => {
      const s = await server();
      const p = await proxy(s.url, { stripPrefer: preference === 'ignored' });
      const c = await client(p.url);
      const results = await c.setMany(input);
      assert.deepEqual(
        results.map((r) => r.queued),
        input.map(() => false),
      );
      const batches = p.seen.filter((r) => r.route === BATCH);
      assert.equal(batches.length, 1);
      assert.equal(batches[0].headers.prefer, 'return=minimal');
      for (const r of input) assert.equal(s.store.get(r.key)?.version, 1, `${r.key} applied once`);
    });
  }

  for (const [answer, text] of [
    ['a count short of the batch', '{"count":4,"duplicates":0}'],
    ['one result too few', '{"results":[{},{},{},{}]}'],
    ['neither a count nor results', '{"ok":true}'],
  ] as const) {
    it(`rejects a batch answer with ${answer}, naming the server`, async () => {
      const s = await server();
      const p = await proxy(s.url, { rewrite: (route, body) => (route === BATCH ? text : body) });
      const c = await client(p.url);
      await assert.rejects(
        c.setMany(input),
        (error: Error) => error.message.includes(p.url) && /batch of 5 with a malformed result/.test(error.message),
      );
    });
  }
});
