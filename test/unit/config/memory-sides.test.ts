/**
 * memory.source and memory.target: each store resolved from its own keys over the shared
 * ones, a config written before the sides existed meaning what it meant, and a side that
 * cannot work named by file and field.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'mocha';
import { loadConfig } from '../../../src/core/config/load';
import { defaultConfig } from '../../../src/core/config/defaults';
import { memorySide, memorySides, sameStoreReason } from '../../../src/core/config/memory-sides';
import { usedEndpoints } from '../../../src/core/workspace/endpoints-used';
import { issuesOf, workspace } from './helpers';

const load = (dir: string) => loadConfig({ dir, env: {}, kind: 'local' });

describe('memory stores per side (memory.source, memory.target)', () => {
  it('a config with one memory.transport keeps its meaning: both sides use it, endpoints from the phase keys', async () => {
    const ws = workspace({
      'config/common.json': {
        memory: { transport: 'mcp-stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
        phases: { memorySystem: { targetEndpoint: 'https://memory.example.com' } },
      },
    });
    try {
      const { source, target } = memorySides((await load(ws.dir)).config);
      assert.equal(source.transport, 'mcp-stdio');
      assert.equal(source.command, 'npx');
      assert.deepEqual(source.args, ['-y', '@modelcontextprotocol/server-memory']);
      assert.equal(target.transport, 'mcp-stdio', 'the single transport is the default of both sides');
      // Both sides start the same server on its default file: one store, which the copy refuses.
      assert.match(sameStoreReason(source, target, ws.dir) ?? '', /one store/);
    } finally {
      ws.cleanup();
    }
  });

  it('each side goes where it says: its own transport, command, args and environment over the shared ones', async () => {
    const ws = workspace({
      'config/common.json': {
        memory: { transport: 'http', endpoint: 'http://127.0.0.1:8765', env: { SHARED: '1' } },
        phases: { memorySystem: { targetEndpoint: 'https://ignored.example.com' } },
      },
      'config/local.json': {
        memory: {
          target: {
            transport: 'mcp-stdio',
            command: 'node',
            args: ['server.js'],
            env: { MEMORY_FILE_PATH: '/data/target.jsonl' },
          },
          source: { keyVariable: 'SOURCE_MEMORY_KEY' },
        },
      },
    });
    try {
      const { source, target } = memorySides((await load(ws.dir)).config);
      assert.deepEqual(
        { transport: source.transport, endpoint: source.endpoint, keyVariable: source.keyVariable },
        { transport: 'http', endpoint: 'http://127.0.0.1:8765', keyVariable: 'SOURCE_MEMORY_KEY' },
      );
      assert.equal(target.transport, 'mcp-stdio');
      assert.equal(target.command, 'node');
      assert.deepEqual(target.args, ['server.js']);
      assert.deepEqual(target.env, { SHARED: '1', MEMORY_FILE_PATH: '/data/target.jsonl' });
      assert.equal(target.setting, 'memory.target.command');
      assert.equal(sameStoreReason(source, target, ws.dir), undefined);
    } finally {
      ws.cleanup();
    }
  });

  it('a side over mcp-stdio without a command is bad config naming the file and field', async () => {
    const ws = workspace({ 'config/local.json': { memory: { target: { transport: 'mcp-stdio' } } } });
    try {
      const issues = await issuesOf(() => load(ws.dir));
      assert.equal(issues.length, 1);
      assert.equal(issues[0].path, 'memory.target.transport');
      assert.equal(issues[0].file, path.join(ws.dir, 'config', 'local.json'));
      assert.ok(issues[0].line, 'with its line');
      assert.match(issues[0].fix, /memory\.target\.command/);
    } finally {
      ws.cleanup();
    }
  });

  it('an unknown key or a bad variable name in a side is named by the schema', async () => {
    const ws = workspace({
      'config/common.json': { memory: { source: { endpoints: 'x', keyVariable: 'not a name' } } },
    });
    try {
      const issues = await issuesOf(() => load(ws.dir));
      const paths = issues.map((i) => i.path).sort();
      assert.deepEqual(paths, ['memory.source.endpoints', 'memory.source.keyVariable']);
      assert.match(issues.find((i) => i.path === 'memory.source.endpoints')!.fix, /endpoint/);
    } finally {
      ws.cleanup();
    }
  });

  it('the views list each store where its side says, with the setting that named it', async () => {
    const ws = workspace({
      'config/common.json': {
        memory: {
          source: { transport: 'mcp-http', endpoint: 'https://graph.example.com/mcp' },
          target: {
            transport: 'mcp-stdio',
            command: 'node',
            args: ['server.js'],
            env: { MEMORY_FILE_PATH: '/t.jsonl' },
          },
        },
      },
    });
    try {
      const used = usedEndpoints(await load(ws.dir), {}).filter((u) => u.name.startsWith('Memory copy'));
      assert.deepEqual(used, [
        { name: 'Memory copy source', url: 'https://graph.example.com/mcp', rule: 'memory.source.endpoint (MCP)' },
        {
          name: 'Memory copy target',
          url: 'node server.js (MEMORY_FILE_PATH=/t.jsonl)',
          rule: 'memory.target.command (MCP over stdio)',
        },
      ]);
    } finally {
      ws.cleanup();
    }
  });

  it("a source of another protocol does not inherit the memory server's address", () => {
    const config = defaultConfig();
    config.memory.endpoint = 'http://127.0.0.1:8765';
    config.memory.source = { transport: 'mcp-http' };
    const source = memorySide(config, 'source', 'http://127.0.0.1:8765');
    assert.equal(source.endpoint, undefined);
    assert.equal(source.setting, 'memory.source.endpoint', 'the message names the key to set');
    config.memory.source = {};
    assert.equal(memorySide(config, 'source').endpoint, 'http://127.0.0.1:8765');
  });

  it('the same store spelled two ways is one store; another file or port is not', () => {
    const side = (endpoint: string) => ({
      side: 'source' as const,
      transport: 'http' as const,
      endpoint,
      args: [],
      env: {},
      setting: 'x',
    });
    assert.ok(sameStoreReason(side('http://localhost:8765/'), side('http://127.0.0.1:8765'), '/'));
    assert.equal(sameStoreReason(side('http://127.0.0.1:8765'), side('http://127.0.0.1:8766'), '/'), undefined);
    const stdio = (file: string) => ({
      side: 'target' as const,
      transport: 'mcp-stdio' as const,
      command: 'node',
      args: ['./server.js'],
      env: { MEMORY_FILE_PATH: file },
      setting: 'y',
    });
    assert.ok(sameStoreReason(stdio('/a.jsonl'), stdio('/a.jsonl'), '/ws'));
    assert.ok(sameStoreReason(stdio('/data/a.jsonl'), stdio('/data/x/../a.jsonl'), '/ws'), 'one file, two spellings');
    assert.ok(sameStoreReason(stdio('graph/a.jsonl'), stdio('./graph//a.jsonl'), '/ws'));
    assert.equal(sameStoreReason(stdio('/a.jsonl'), stdio('/b.jsonl'), '/ws'), undefined);
  });
});
