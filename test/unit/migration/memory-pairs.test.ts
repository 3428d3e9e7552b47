/**
 * The memory copy between any pair of stores, each side configured on its own
 * (memory.source, memory.target): the local Orchestra Memory API server, and the real
 * @modelcontextprotocol/server-memory as a child process over stdio or behind a
 * Streamable HTTP host. A user checks that the target holds what the source holds (same
 * count, same checksum, entity types and relations of other agents included), that a
 * copy of a store onto itself is refused, and that no session or server process is left.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { MemorySideConfig, OrchestraConfig } from '../../../src/core/config/types';
import { createMemoryClient } from '../../../src/core/memory';
import { digestOf } from '../../../src/core/memory/digest';
import { RELATION_PREFIX } from '../../../src/core/memory/mcp-transport';
import type { JsonValue } from '../../../src/core/memory/types';
import { startMemoryServer } from '../../../src/sandbox/memory';
import { startMcpHttpProxy, type McpHttpProxy } from '../memory/fixtures/mcp-http-proxy';
import { memoryConfig } from '../memory/helpers';
import { isInputError } from '../../../src/core/errors';
import { runCli } from '../cli-run';
import { cliWorkspace, MUTATING, openEngine, startWorld, type World } from './world';

const SERVER_MEMORY = path.resolve(
  __dirname,
  '../../../node_modules/@modelcontextprotocol/server-memory/dist/index.js',
);
const PHASES = ['core-infrastructure', 'memory-system'];

const stdio = (file: string): MemorySideConfig => ({
  transport: 'mcp-stdio',
  command: process.execPath,
  args: [SERVER_MEMORY],
  env: { MEMORY_FILE_PATH: file },
});
const http = (url: string): MemorySideConfig => ({ transport: 'http', endpoint: url });
const mcpHttp = (url: string): MemorySideConfig => ({ transport: 'mcp-http', endpoint: url });

/**
 * A knowledge graph other agents wrote, in the reference server's own file format: people
 * and projects with their observations (order matters), relations between them, and
 * records of this tool (type orchestra_memory).
 */
async function writeForeignGraph(file: string, ours = 5): Promise<void> {
  const lines: object[] = [
    { type: 'entity', name: 'Ana', entityType: 'person', observations: ['leads the platform team', 'prefers Go'] },
    { type: 'entity', name: 'Bo', entityType: 'person', observations: [] },
    { type: 'entity', name: 'orchestra', entityType: 'project', observations: ['moving to Cloud Run', 'été ✓'] },
    { type: 'relation', from: 'Ana', to: 'orchestra', relationType: 'leads' },
    { type: 'relation', from: 'Bo', to: 'Ana', relationType: 'reports_to' },
    // A relation to a name no entity holds: the reference server keeps it, so must the copy.
    { type: 'relation', from: 'Bo', to: 'Cy', relationType: 'knows' },
  ];
  for (let i = 0; i < ours; i++) {
    const observation = JSON.stringify({
      orchestra: 1,
      content: { i, note: `ours ${i}` },
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    lines.push({ type: 'entity', name: `mem/${i}`, entityType: 'orchestra_memory', observations: [observation] });
  }
  await writeFile(file, lines.map((l) => JSON.stringify(l)).join('\n'));
}

/** 6 + 5: three entities of other types, three relations, five records of ours. */
const FOREIGN_GRAPH_RECORDS = 11;

/** Count and checksum of a store, read through a client of its own (not the copy's). */
async function storeDigest(side: MemorySideConfig, dir: string): Promise<{ records: number; digest: string }> {
  const client = await createMemoryClient({
    config: memoryConfig({
      transport: side.transport,
      endpoint: side.endpoint,
      command: side.command,
      args: side.args,
      timeoutMs: 10_000,
    }),
    env: side.env,
    outboxDir: path.join(dir, `digest-outbox-${Math.random().toString(36).slice(2)}`),
  });
  try {
    const pairs: [string, JsonValue][] = [];
    let cursor: string | undefined;
    do {
      const page = await client.list('', cursor, { limit: 1000, includeContent: true });
      for (const r of page.records ?? []) pairs.push([r.key, r.content]);
      cursor = page.cursor;
    } while (cursor);
    return digestOf(pairs);
  } finally {
    await client.close();
  }
}

/** The graph file as the reference server keeps it: entities and relations, by kind (our records' write times left out). */
async function graphFile(
  file: string,
): Promise<{ entities: Record<string, unknown>[]; relations: Record<string, unknown>[] }> {
  const lines = (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    // Our records carry the time of their last write: a copy is a new write.
    .map((l) =>
      l.entityType === 'orchestra_memory'
        ? {
            ...l,
            observations: (l.observations as string[]).map((o) => JSON.stringify({ ...JSON.parse(o), updatedAt: '' })),
          }
        : l,
    );
  const sort = (a: Record<string, unknown>, b: Record<string, unknown>) =>
    JSON.stringify(a).localeCompare(JSON.stringify(b));
  return {
    entities: lines.filter((l) => l.type === 'entity').sort(sort),
    relations: lines.filter((l) => l.type === 'relation').sort(sort),
  };
}

describe('memory copy between any pair of stores, each side configured on its own', function () {
  this.timeout(180_000);
  let world: World;
  let n = 0;

  before(async () => {
    world = await startWorld({ records: 40 });
  });
  after(async () => {
    await world?.close();
  });

  function configWith(source: MemorySideConfig, target: MemorySideConfig): OrchestraConfig {
    const config = structuredClone(world.config);
    delete config.phases.memorySystem.sourceEndpoint;
    delete config.phases.memorySystem.targetEndpoint;
    config.memory.source = source;
    config.memory.target = target;
    return config;
  }

  /** Runs the two phases through the application layer; returns the copy's recorded outputs. */
  async function copy(source: MemorySideConfig, target: MemorySideConfig) {
    const h = await openEngine(configWith(source, target), path.join(world.dir, `ws-${++n}`));
    try {
      const result = await h.engine.execute(PHASES);
      assert.equal(result.status, 'completed', JSON.stringify(result.failures));
      return h.engine.state().outputs.memoryCopy as { records: number; checksum: string; checksumVerdict: string };
    } finally {
      await h.close();
    }
  }

  async function assertSame(source: MemorySideConfig, target: MemorySideConfig, records: number) {
    const [a, b] = [await storeDigest(source, world.dir), await storeDigest(target, world.dir)];
    assert.equal(a.records, records, 'the source holds what was seeded');
    assert.deepEqual(b, a, 'the target holds the same records with the same checksum');
    return a;
  }

  it('HTTP -> MCP over stdio: every record lands in the file the target side names', async () => {
    const file = path.join(world.dir, 'http-to-stdio.jsonl');
    const output = await copy(http(world.source.url), stdio(file));
    const digest = await assertSame(http(world.source.url), stdio(file), 40);
    assert.equal(output.records, 40);
    assert.equal(output.checksum, digest.digest, 'the copy recorded the checksum both stores have');
    const graph = await graphFile(file);
    assert.equal(graph.entities.length, 40);
    assert.ok(graph.entities.every((e) => e.entityType === 'orchestra_memory'));
  });

  it('MCP over stdio -> HTTP: entities of other agents and relations included', async () => {
    const file = path.join(world.dir, 'stdio-source.jsonl');
    await writeForeignGraph(file);
    const target = await startMemoryServer({ dataDir: path.join(world.dir, 'stdio-to-http'), compactIntervalMs: 0 });
    try {
      const output = await copy(stdio(file), http(target.url));
      const digest = await assertSame(stdio(file), http(target.url), FOREIGN_GRAPH_RECORDS);
      assert.equal(output.records, FOREIGN_GRAPH_RECORDS);
      assert.equal(output.checksum, digest.digest);
      const ana = target.store.get('Ana');
      assert.deepEqual(ana?.content, {
        $mcp: 'entity',
        entityType: 'person',
        observations: ['leads the platform team', 'prefers Go'],
      });
      assert.ok(target.store.get(`${RELATION_PREFIX}["Bo","knows","Cy"]`), 'the relation to a missing entity is kept');
    } finally {
      await target.close();
    }
  });

  it('MCP over stdio -> MCP over stdio: the target graph is the source graph (types, observations in order, relations)', async () => {
    const from = path.join(world.dir, 'mcp-a.jsonl');
    const to = path.join(world.dir, 'mcp-b.jsonl');
    await writeForeignGraph(from);
    // The target already holds an older version of one person: it is brought to the source's.
    await writeFile(
      to,
      JSON.stringify({ type: 'entity', name: 'Ana', entityType: 'person', observations: ['prefers Go', 'old'] }),
    );
    const output = await copy(stdio(from), stdio(to));
    await assertSame(stdio(from), stdio(to), FOREIGN_GRAPH_RECORDS);
    assert.equal(output.records, FOREIGN_GRAPH_RECORDS);
    assert.deepEqual(await graphFile(to), await graphFile(from), 'the same entities and relations, natively');
  });

  describe('over Streamable HTTP', () => {
    let proxy: McpHttpProxy;
    before(async () => {
      proxy = await startMcpHttpProxy(path.join(world.dir, 'over-http.jsonl'));
    });
    after(async () => {
      await proxy?.close();
    });

    it('HTTP -> MCP over Streamable HTTP, then MCP over Streamable HTTP -> HTTP, ending every session', async () => {
      await copy(http(world.source.url), mcpHttp(proxy.url));
      await assertSame(http(world.source.url), mcpHttp(proxy.url), 40);
      assert.equal(proxy.sessions(), 0, 'every session the copy opened was ended');
      const back = await startMemoryServer({ dataDir: path.join(world.dir, 'back'), compactIntervalMs: 0 });
      try {
        const output = await copy(mcpHttp(proxy.url), http(back.url));
        await assertSame(mcpHttp(proxy.url), http(back.url), 40);
        assert.equal(output.records, 40);
      } finally {
        await back.close();
      }
      assert.equal(proxy.sessions(), 0);
      assert.ok(proxy.deleted >= 4, `sessions were ended with DELETE (${proxy.deleted})`);
    });

    it('MCP over Streamable HTTP -> MCP over stdio with foreign types and relations', async () => {
      const from = path.join(world.dir, 'foreign-over-http.jsonl');
      await writeForeignGraph(from, 2);
      const host = await startMcpHttpProxy(from);
      const to = path.join(world.dir, 'foreign-from-http.jsonl');
      try {
        await copy(mcpHttp(host.url), stdio(to));
        await assertSame(mcpHttp(host.url), stdio(to), FOREIGN_GRAPH_RECORDS - 3);
        assert.equal(host.sessions(), 0);
      } finally {
        await host.close();
      }
      assert.deepEqual(await graphFile(to), await graphFile(from));
    });
  });

  it('a target that cannot hold relations is reported by name, not retried as an outage', async () => {
    const from = path.join(world.dir, 'relations-source.jsonl');
    await writeForeignGraph(from, 1);
    const host = await startMcpHttpProxy(path.join(world.dir, 'no-relations.jsonl'), undefined, [
      'create_relations',
      'delete_relations',
    ]);
    const h = await openEngine(configWith(stdio(from), mcpHttp(host.url)), path.join(world.dir, `ws-${++n}`));
    try {
      const result = await h.engine.execute(PHASES);
      assert.equal(result.status, 'failed');
      const failure = result.failures.find((f) => f.step === 'memory-system/copy');
      assert.match(
        failure?.error ?? '',
        /cannot hold knowledge-graph relations: it lacks create_relations, delete_relations/,
      );
      assert.equal(h.engine.state().outputs.memoryCopy, undefined, 'no copy is recorded as done');
    } finally {
      await h.close();
      await host.close();
    }
  });

  describe('a copy of a store onto itself', () => {
    const cases: [string, (dir: string) => [MemorySideConfig, MemorySideConfig]][] = [
      [
        'the same URL, spelled two ways',
        () => [http(world.source.url), http(world.source.url.replace('127.0.0.1', 'localhost') + '/')],
      ],
      [
        'the same server command and MEMORY_FILE_PATH',
        (dir) => [stdio(path.join(dir, 'one.jsonl')), stdio(path.join(dir, 'one.jsonl'))],
      ],
    ];
    for (const [name, sides] of cases) {
      it(`is planned blocked by verify and refused by execute: ${name}`, async () => {
        const [source, target] = sides(world.dir);
        if (source.transport === 'mcp-stdio') await writeForeignGraph(source.env!.MEMORY_FILE_PATH);
        const before =
          source.transport === 'mcp-stdio' ? await readFile(source.env!.MEMORY_FILE_PATH, 'utf8') : undefined;
        const h = await openEngine(configWith(source, target), path.join(world.dir, `ws-same-${++n}`));
        try {
          const plan = await h.engine.verify(PHASES);
          const step = plan.phases.flatMap((p) => p.steps).find((s) => s.id === 'memory-system/copy');
          assert.equal(step?.action, 'blocked');
          assert.match(step?.reason ?? '', /source and target are one store/);
          assert.match(step?.reason ?? '', /memory\.target/, 'the fix names the setting to change');
          world.emulator.clearRequestLog();
          await assert.rejects(h.engine.execute(PHASES), (error: Error & { code?: string; fix?: string }) => {
            assert.ok(isInputError(error), 'bad input (exit 2), not a migration failure');
            assert.equal(error.code, 'MEMORY_SAME_STORE');
            assert.match(error.message, /refused: the source and target are one store/);
            assert.match(error.fix ?? '', /memory\.target/);
            return true;
          });
          // Refused before it starts: no step ran, not even the ones before the copy.
          assert.deepEqual(world.emulator.requestLog().filter(MUTATING), [], 'no Google Cloud call changed anything');
          const state = h.engine.state();
          assert.equal(state.outputs.memoryCopy, undefined, 'nothing was copied');
          for (const phase of PHASES) assert.equal(state.phases[phase].status, 'not-started', phase);
        } finally {
          await h.close();
        }
        if (before !== undefined) assert.equal(await readFile(source.env!.MEMORY_FILE_PATH, 'utf8'), before);
      });
    }

    it('orchestra-migrate execute: exit 2 with the reason and the fix, nothing changed anywhere', async () => {
      const dir = await cliWorkspace(world, {
        dir: path.join(world.dir, `cli-same-${++n}`),
        extra: {
          memory: {
            source: http(world.source.url),
            target: http(world.source.url.replace('127.0.0.1', 'localhost') + '/'),
          },
        },
      });
      const held = world.source.store.size;
      world.emulator.clearRequestLog();
      const run = await runCli(['execute', '--yes'], dir);
      assert.equal(run.code, 2, run.err);
      assert.match(
        run.err,
        /The memory copy is refused: the source and target are one store \(http:\/\/localhost:\d+\/: the same server \(one URL, spelled two ways\)/,
      );
      assert.match(run.err, /where: memory-system\/copy\n {2}fix: Point memory\.target/);
      assert.deepEqual(world.emulator.requestLog().filter(MUTATING), [], 'no Google Cloud call changed anything');
      assert.equal(world.source.store.size, held);
      const status = JSON.parse((await runCli(['status', '--json'], dir)).out) as { phases: { status: string }[] };
      assert.ok(
        status.phases.every((p) => p.status === 'not-started'),
        'no phase ran',
      );
    });

    /** A second address of the source: another port, the same server behind it (a proxy). */
    async function proxyOfSource(): Promise<{ url: string; close(): Promise<unknown> }> {
      const upstream = new URL(world.source.url);
      const proxy = net.createServer((client) => {
        const server = net.connect(Number(upstream.port), upstream.hostname);
        client.pipe(server).pipe(client);
        client.on('error', () => server.destroy());
        server.on('error', () => client.destroy());
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      return {
        url: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
        close: () => new Promise((resolve) => proxy.close(resolve)),
      };
    }

    it('orchestra-migrate execute with the target a second address of the source: exit 2 naming the one change sequence, nothing changed anywhere', async () => {
      const proxy = await proxyOfSource();
      try {
        const dir = await cliWorkspace(world, {
          dir: path.join(world.dir, `cli-same-${++n}`),
          extra: { memory: { source: http(world.source.url), target: http(proxy.url) } },
        });
        const held = world.source.store.size;
        const changes = world.source.store.feed.seq;
        world.emulator.clearRequestLog();
        const run = await runCli(['execute', '--yes'], dir);
        assert.equal(run.code, 2, run.err);
        assert.match(
          run.err,
          new RegExp(
            `The memory copy is refused: the source and target are one store: memory\\.source\\.endpoint \\(${world.source.url}\\S*\\) and memory\\.target\\.endpoint \\(${proxy.url}\\S*\\) report one change sequence \\(epoch ${world.source.store.feed.epoch}\\)`,
          ),
        );
        assert.match(run.err, /fix: Point memory\.target/);
        // Refused before the run: no Google Cloud call changed anything, no phase ran, no write.
        assert.deepEqual(world.emulator.requestLog().filter(MUTATING), [], 'no Google Cloud call changed anything');
        const status = JSON.parse((await runCli(['status', '--json'], dir)).out) as { phases: { status: string }[] };
        assert.ok(
          status.phases.every((p) => p.status === 'not-started'),
          'no phase ran',
        );
        assert.equal(world.source.store.size, held);
        assert.equal(world.source.store.feed.seq, changes, 'nothing was written to the store');
      } finally {
        await proxy.close();
      }
    });

    it('behind a second address, through the engine: refused before any step (bad input), and verify of a finished copy says so', async () => {
      const proxy = await proxyOfSource();
      const h = await openEngine(
        configWith(http(world.source.url), http(proxy.url)),
        path.join(world.dir, `ws-same-${++n}`),
      );
      try {
        const held = world.source.store.size;
        const changes = world.source.store.feed.seq;
        world.emulator.clearRequestLog();
        await assert.rejects(h.engine.execute(PHASES), (error: Error & { code?: string; fix?: string }) => {
          assert.ok(isInputError(error), 'bad input (exit 2), not a migration failure');
          assert.equal(error.code, 'MEMORY_SAME_STORE');
          assert.match(
            error.message,
            new RegExp(
              `the source and target are one store: memory\\.source\\.endpoint \\(${world.source.url}\\S*\\) and memory\\.target\\.endpoint \\(${proxy.url}\\S*\\) report one change sequence \\(epoch ${world.source.store.feed.epoch}\\), so they reach one server under two addresses`,
            ),
          );
          assert.match(error.fix ?? '', /Point memory\.target/, 'the fix names the setting to change');
          return true;
        });
        assert.deepEqual(world.emulator.requestLog().filter(MUTATING), [], 'no Google Cloud call changed anything');
        const state = h.engine.state();
        for (const phase of PHASES) assert.equal(state.phases[phase].status, 'not-started', phase);
        assert.equal(state.outputs.memoryCopy, undefined, 'no copy is recorded');
        assert.equal(world.source.store.size, held, 'the store holds what it held');
        assert.equal(world.source.store.feed.seq, changes, 'and nothing was written to it');
      } finally {
        await h.close();
        await proxy.close();
      }
    });
  });
});
