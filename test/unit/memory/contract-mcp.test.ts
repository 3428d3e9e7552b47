import * as path from 'node:path';
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createMemoryClient, McpMemoryTransport } from '../../../src/core/memory';
import { describeMemoryContract } from './contract';
import { startMcpHttpProxy } from './fixtures/mcp-http-proxy';
import { memoryConfig, tempDir } from './helpers';

/** What the SDK's stdio transport keeps (private): its server process. */
interface StdioInternals {
  readonly pid: number | null;
  readonly _process?: ChildProcess;
}

const SERVER = path.resolve('node_modules/@modelcontextprotocol/server-memory/dist/index.js');

describeMemoryContract('MCP transport over stdio against @modelcontextprotocol/server-memory', async () => {
  const temp = await tempDir('contract-mcp');
  const client = await createMemoryClient({
    config: memoryConfig({ transport: 'mcp-stdio', command: process.execPath, args: [SERVER], timeoutMs: 10_000 }),
    env: { MEMORY_FILE_PATH: path.join(temp.dir, 'memory.jsonl') },
    outboxDir: path.join(temp.dir, 'outbox'),
  });
  return {
    client,
    async cleanup() {
      await client.close();
      await temp.cleanup();
    },
  };
});

describe('MCP transport specifics', function () {
  this.timeout(30_000);

  it('says in health() what the mapping cannot keep', async () => {
    const temp = await tempDir('mcp-health');
    const client = await createMemoryClient({
      config: memoryConfig({ transport: 'mcp-stdio', command: process.execPath, args: [SERVER] }),
      env: { MEMORY_FILE_PATH: path.join(temp.dir, 'memory.jsonl') },
      outboxDir: path.join(temp.dir, 'outbox'),
    });
    try {
      const health = await client.health();
      assert.equal(health.ok, true);
      assert.equal(health.transport, 'mcp-stdio');
      assert.match(health.message ?? '', /TTL is stored but never enforced/);
      assert.match(health.message ?? '', /scope/);
    } finally {
      await client.close();
      await temp.cleanup();
    }
  });

  it('fails clearly at connect when the server lacks the memory tools', async () => {
    const temp = await tempDir('mcp-wrong');
    // A real MCP server without the knowledge-graph tools: the SDK's own example server shape.
    const script = path.join(temp.dir, 'other-server.mjs');
    const sdk = path.resolve('node_modules/@modelcontextprotocol/sdk/dist/esm');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      script,
      `import { McpServer } from '${sdk}/server/mcp.js';
import { StdioServerTransport } from '${sdk}/server/stdio.js';
const server = new McpServer({ name: 'other', version: '1.0.0' });
server.registerTool('echo', { description: 'echo' }, async () => ({ content: [{ type: 'text', text: 'hi' }] }));
await server.connect(new StdioServerTransport());
`,
    );
    const client = await createMemoryClient({
      config: memoryConfig({ transport: 'mcp-stdio', command: process.execPath, args: [script] }),
      outboxDir: path.join(temp.dir, 'outbox'),
      // The server is a Node child importing the SDK: on a busy machine its start alone can pass
      // the default 5 s call timeout, and this test is about the message, not the clock.
      breaker: { timeoutMs: 60_000, retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 } },
    });
    try {
      await assert.rejects(client.get('x'), /lacks the tools create_entities, add_observations/);
    } finally {
      await client.close();
      await temp.cleanup();
    }
  });
});

describe('MCP stdio server start, apart from the call timeout', function () {
  this.timeout(60_000);

  /** A server command that takes `delayMs` to come up (as a cold npx start does), then serves. */
  async function slowServer(dir: string, delayMs: number, serve = true): Promise<string> {
    const script = path.join(dir, 'slow-server.mjs');
    const { writeFile } = await import('node:fs/promises');
    const body = serve ? `import(${JSON.stringify(SERVER)})` : 'setInterval(() => undefined, 60_000)';
    await writeFile(script, `setTimeout(() => ${body}, ${delayMs});\n`);
    return script;
  }

  it('a server slower to start than one call may take still answers the first call', async () => {
    const temp = await tempDir('mcp-slow-start');
    const script = await slowServer(temp.dir, 1500);
    const client = await createMemoryClient({
      // 300 ms a call, no retry: the start (1.5 s and more) would time the first call out if it counted.
      config: memoryConfig({ transport: 'mcp-stdio', command: process.execPath, args: [script], timeoutMs: 300 }),
      env: { MEMORY_FILE_PATH: path.join(temp.dir, 'memory.jsonl') },
      outboxDir: path.join(temp.dir, 'outbox'),
      breaker: { timeoutMs: 300, retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 } },
    });
    try {
      await client.set('first', { n: 1 });
      assert.equal(client.pendingWrites, 0, 'written, not queued');
      assert.deepEqual((await client.get('first'))?.content, { n: 1 });
    } finally {
      await client.close();
      await temp.cleanup();
    }
  });

  it('a start longer than memory.startTimeoutMs fails naming the command, the limit and the setting', async () => {
    const temp = await tempDir('mcp-no-start');
    const script = await slowServer(temp.dir, 60_000, false);
    const client = await createMemoryClient({
      config: memoryConfig({
        transport: 'mcp-stdio',
        command: process.execPath,
        args: [script],
        startTimeoutMs: 400,
      }),
      outboxDir: path.join(temp.dir, 'outbox'),
      breaker: { retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 } },
    });
    try {
      const health = await client.health();
      assert.equal(health.ok, false);
      assert.match(
        health.message ?? '',
        /the command '.*slow-server\.mjs' did not start and answer within 0\.4 s \(memory\.startTimeoutMs\)/,
      );
    } finally {
      await client.close();
      await temp.cleanup();
    }
  });
});

describeMemoryContract(
  'MCP transport over Streamable HTTP, in front of @modelcontextprotocol/server-memory',
  async () => {
    const temp = await tempDir('contract-mcp-http');
    const proxy = await startMcpHttpProxy(path.join(temp.dir, 'memory.jsonl'), 'mcp-http-key-0123456789');
    const client = await createMemoryClient({
      config: memoryConfig({ transport: 'mcp-http', endpoint: proxy.url, timeoutMs: 10_000 }),
      apiKey: 'mcp-http-key-0123456789',
      outboxDir: path.join(temp.dir, 'outbox'),
    });
    return {
      client,
      async cleanup() {
        await client.close();
        await proxy.close();
        await temp.cleanup();
      },
    };
  },
);

describe('MCP transport when the server process dies', function () {
  this.timeout(30_000);

  it('reconnects (a new server process) on the next call, through the retry', async () => {
    const temp = await tempDir('mcp-restart');
    const transport = new McpMemoryTransport({
      kind: 'mcp-stdio',
      command: process.execPath,
      args: [SERVER],
      env: { MEMORY_FILE_PATH: path.join(temp.dir, 'memory.jsonl') },
    });
    const client = await createMemoryClient({
      config: memoryConfig({ transport: 'mcp-stdio', command: process.execPath, args: [SERVER] }),
      transport,
      outboxDir: path.join(temp.dir, 'outbox'),
      breaker: { retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 50 } },
    });
    try {
      await client.set('survivor', { kept: true });
      const stdio = () => (transport as unknown as { client: { transport: StdioInternals } }).client.transport;
      const server = stdio()._process;
      assert.ok(server?.pid);
      const pid = server.pid;
      // Killed, and gone: the transport has seen the pipe close before the next call.
      const closed = once(server, 'close');
      server.kill('SIGKILL');
      await closed;
      const record = await client.get('survivor');
      assert.deepEqual(record?.content, { kept: true });
      assert.equal(record?.stale, undefined, 'read from the new server, not served stale from the cache');
      const newPid = stdio().pid;
      assert.ok(newPid && newPid !== pid, 'a new server process answered');
    } finally {
      await client.close();
      await temp.cleanup();
    }
  });
});
