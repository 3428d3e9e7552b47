/**
 * A server's status figures (extension `stats`) are its own text: the client keeps
 * finite numbers under names of bounded length, a bounded number of them, and drops
 * the rest, so a server of another build cannot fill the state with its answer.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'mocha';
import { HttpMemoryTransport } from '../../../src/core/memory/http-transport';

describe("a memory server's status figures (extension stats)", () => {
  let server: http.Server;
  let stats: unknown;
  let url: string;

  before(async () => {
    server = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', features: ['stats'], stats }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function statusStats(): Promise<Record<string, number> | undefined> {
    const transport = new HttpMemoryTransport({ endpoint: url, poolSize: 1, timeoutMs: 5_000 });
    try {
      return (await transport.status({ signal: new AbortController().signal })).stats;
    } finally {
      await transport.close();
    }
  }

  it('keeps finite numbers under their names as given, markup and all', async () => {
    stats = { requests: 7, '<b>hits</b>': 2.5, text: 'x', nothing: null, list: [1], huge: 'Infinity' };
    assert.deepEqual(await statusStats(), { requests: 7, '<b>hits</b>': 2.5 });
  });

  it('drops names longer than 200 characters and keeps at most 50 figures', async () => {
    stats = Object.fromEntries([['x'.repeat(201), 1], ...Array.from({ length: 60 }, (_, i) => [`s${i}`, i])]);
    const kept = (await statusStats())!;
    assert.equal(Object.keys(kept).length, 50);
    assert.ok(!Object.keys(kept).some((k) => k.length > 200));
  });

  it('a status without figures, or with figures that are not an object, has none', async () => {
    for (const value of [undefined, [1, 2], 'many', {}]) {
      stats = value;
      assert.equal(await statusStats(), undefined, JSON.stringify(value));
    }
  });
});
