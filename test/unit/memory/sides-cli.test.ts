/**
 * `orchestra-migrate memory get|set|list|delete --side source|target` as a user runs it,
 * against an Orchestra Memory API server on one side and the real
 * @modelcontextprotocol/server-memory (a child process over stdio) on the other; and a
 * store that speaks the other protocol, named at once with the fix.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'mocha';
import { createMemoryClient } from '../../../src/core/memory';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';
import { runCli } from '../cli-run';
import { leaks } from '../hooks';
import { startMcpHttpProxy, type McpHttpProxy } from './fixtures/mcp-http-proxy';
import { memoryConfig, tempDir } from './helpers';

const SERVER_MEMORY = path.resolve(
  __dirname,
  '../../../node_modules/@modelcontextprotocol/server-memory/dist/index.js',
);

describe('orchestra-migrate memory --side', function () {
  this.timeout(60_000);
  let temp: Awaited<ReturnType<typeof tempDir>>;
  let http: MemoryServerHandle;
  let graphFile: string;

  before(async () => {
    temp = await tempDir('memory-cli');
    http = await startMemoryServer({ dataDir: path.join(temp.dir, 'http-data'), compactIntervalMs: 0 });
    graphFile = path.join(temp.dir, 'target.jsonl');
    await mkdir(path.join(temp.dir, 'config'));
    await writeFile(
      path.join(temp.dir, 'config', 'common.json'),
      JSON.stringify({
        memory: {
          source: { transport: 'http', endpoint: http.url },
          target: {
            transport: 'mcp-stdio',
            command: process.execPath,
            args: [SERVER_MEMORY],
            env: { MEMORY_FILE_PATH: graphFile },
          },
        },
      }),
    );
  });
  after(async () => {
    await http?.close();
    await temp?.cleanup();
  });

  const cli = (...args: string[]) => runCli(['memory', ...args], temp.dir);

  it('sets, gets, lists and deletes on the side named, and only there', async () => {
    const set = await cli('set', 'notes/first', '{"text":"hello","n":1}', '--side', 'target', '--scope', 'team');
    assert.equal(set.code, 0, set.err);
    assert.match(set.err, /Set 'notes\/first' in the target store \(mcp-stdio .*target\.jsonl\)/);
    assert.ok(existsSync(graphFile), 'the target side wrote the file it names');

    const got = await cli('get', 'notes/first', '--side', 'target', '--json');
    assert.equal(got.code, 0, got.err);
    const answer = JSON.parse(got.out) as { record: { content: unknown; scope: string }; side: string };
    assert.deepEqual(answer.record.content, { text: 'hello', n: 1 });
    assert.equal(answer.record.scope, 'team');
    assert.equal(answer.side, 'target');

    const onSource = await cli('get', 'notes/first');
    assert.equal(onSource.code, 1, 'the source (the default side) does not have it');
    assert.match(onSource.err, /No record 'notes\/first' in the source store \(http /);
    assert.equal(http.store.size, 0);

    const listed = await cli('list', 'notes/', '--side', 'target');
    assert.equal(listed.code, 0, listed.err);
    assert.equal(listed.out, 'notes/first\n');

    const deleted = await cli('delete', 'notes/first', '--side', 'target');
    assert.equal(deleted.code, 0, deleted.err);
    assert.equal((await cli('get', 'notes/first', '--side', 'target')).code, 1);
    const servers = leaks().filter((l) => l.kind === 'child process' && l.what.includes('server-memory'));
    assert.deepEqual(servers, [], 'each command ended the server process it started');
  });

  it('sees entities other agents wrote in an MCP store', async () => {
    await writeFile(
      graphFile,
      JSON.stringify({ type: 'entity', name: 'Ana', entityType: 'person', observations: ['leads the team'] }),
    );
    const got = await cli('get', 'Ana', '--side', 'target', '--json');
    assert.equal(got.code, 0, got.err);
    assert.deepEqual((JSON.parse(got.out) as { record: { content: unknown } }).record.content, {
      $mcp: 'entity',
      entityType: 'person',
      observations: ['leads the team'],
    });
  });

  const bad: [string, string[], RegExp][] = [
    ['no operation', [], /memory needs an operation/],
    ['an unknown operation', ['copy', 'k'], /"copy" is not an operation/],
    ['no key', ['get'], /memory get needs a key/],
    [
      'an unknown side',
      ['get', 'k', '--side', 'middle'],
      /--side "middle" is not a memory store.*source or --side target/s,
    ],
    ['a value that is not JSON', ['set', 'k', '{oops'], /not JSON.*Quote text as JSON/s],
    ['no value', ['set', 'k'], /needs the value, as JSON/],
    ['a limit out of range', ['list', '--limit', '0'], /--limit must be a whole number from 1 to 1000/],
    ['a ttl that is not a number', ['set', 'k', '1', '--ttl', 'soon'], /--ttl "soon" is not a whole number/],
    ['too many arguments', ['get', 'a', 'b'], /memory get takes 1 argument/],
  ];
  for (const [what, args, message] of bad) {
    it(`bad input (${what}): exit 2, the reason and the fix, nothing written`, async () => {
      const before = http.store.size;
      const result = await cli(...args);
      assert.equal(result.code, 2, result.err);
      assert.match(result.err, message);
      assert.equal(http.store.size, before);
    });
  }
});

describe('a store that speaks the other protocol', function () {
  this.timeout(60_000);
  let temp: Awaited<ReturnType<typeof tempDir>>;
  let mcp: McpHttpProxy;
  let api: MemoryServerHandle;
  const closers: (() => Promise<unknown>)[] = [];

  before(async () => {
    temp = await tempDir('protocol');
    mcp = await startMcpHttpProxy(path.join(temp.dir, 'graph.jsonl'));
    api = await startMemoryServer({ dataDir: path.join(temp.dir, 'api'), compactIntervalMs: 0 });
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  after(async () => {
    await mcp?.close();
    await api?.close();
    await temp?.cleanup();
  });

  async function client(transport: 'http' | 'mcp-http', endpoint: string) {
    const c = await createMemoryClient({
      config: memoryConfig({ transport, endpoint }),
      outboxDir: path.join(temp.dir, `outbox-${closers.length}-${transport}`),
    });
    closers.push(() => c.close());
    return c;
  }

  it('http pointed at an MCP server: named at once, with the fix; a write is refused, not queued as an outage', async () => {
    const c = await client('http', mcp.url);
    await assert.rejects(c.get('k'), (error: Error & { code?: string; fix?: string }) => {
      assert.equal(error.code, 'MEMORY_PROTOCOL_MISMATCH');
      assert.match(error.message, /speaks MCP \(Model Context Protocol\), not the Orchestra Memory API/);
      assert.match(error.fix ?? '', /"mcp-http"/);
      return true;
    });
    await assert.rejects(c.set('k', 1), /speaks MCP/);
    assert.equal(c.pendingWrites, 0, 'nothing waits in the outbox for a server that will never take it');
    assert.equal(mcp.sessions(), 0, 'the probe opened no session');
  });

  it('mcp-http pointed at the Orchestra Memory API: named at once, with the fix', async () => {
    const c = await client('mcp-http', api.url);
    await assert.rejects(c.get('k'), (error: Error & { code?: string; fix?: string }) => {
      assert.equal(error.code, 'MEMORY_PROTOCOL_MISMATCH');
      assert.match(error.message, /speaks the Orchestra Memory API, not MCP/);
      assert.match(error.fix ?? '', /"http"/);
      return true;
    });
    await assert.rejects(c.set('k', 1), /speaks the Orchestra Memory API/);
    assert.equal(c.pendingWrites, 0);
  });
});

describe('orchestra-migrate memory with a store key of its own (keyVariable)', function () {
  this.timeout(60_000);
  let temp: Awaited<ReturnType<typeof tempDir>>;
  let mcp: McpHttpProxy;
  const KEY = 'target-store-key-0123456789';

  before(async () => {
    temp = await tempDir('memory-key');
    mcp = await startMcpHttpProxy(path.join(temp.dir, 'graph.jsonl'), KEY);
    await mkdir(path.join(temp.dir, 'config'));
    await writeFile(
      path.join(temp.dir, 'config', 'common.json'),
      JSON.stringify({
        memory: { target: { transport: 'mcp-http', endpoint: mcp.url, keyVariable: 'TARGET_MEMORY_KEY' } },
      }),
    );
  });
  after(async () => {
    await mcp?.close();
    await temp?.cleanup();
  });

  it('sends the key the variable holds, to that store only, and ends its session', async () => {
    const set = await runCli(['memory', 'set', 'k', '"v"', '--side', 'target'], temp.dir, { TARGET_MEMORY_KEY: KEY });
    assert.equal(set.code, 0, set.err);
    const got = await runCli(['memory', 'get', 'k', '--side', 'target', '--json'], temp.dir, {
      TARGET_MEMORY_KEY: KEY,
    });
    assert.equal(got.code, 0, got.err);
    assert.equal((JSON.parse(got.out) as { record: { content: unknown } }).record.content, 'v');
    assert.equal(mcp.sessions(), 0, 'each call ended its Streamable HTTP session');
    assert.ok(mcp.deleted >= 2);
  });

  it('a variable that is not set is bad input naming the setting', async () => {
    const result = await runCli(['memory', 'get', 'k', '--side', 'target'], temp.dir);
    assert.equal(result.code, 2, result.err);
    assert.match(result.err, /memory\.target\.keyVariable names TARGET_MEMORY_KEY, which is not set/);
    assert.doesNotMatch(result.err, new RegExp(KEY));
  });
});
