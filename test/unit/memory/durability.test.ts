/**
 * Acceptance: 10,000 writes with 10% injected 503s, one kill -9 + restart of the
 * server (a real process) in the middle, and one kill -9 + restart of the client
 * process (whose successor replays the outbox): every write is on the server
 * exactly once (per-key version 1) with the right value.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import fetch from 'node-fetch';
import { tempDir } from './helpers';
import { runTs, startServerProcess, type Child } from './processes';
import { valueOf } from './fixtures/values';

const TOTAL = 10_000;
const FAULTS = JSON.stringify({ errorRate: 0.1 });

interface Progress {
  done?: number;
  pending?: number;
  started?: boolean;
  finished?: boolean;
}

describe('memory durability through crashes', function () {
  this.timeout(120_000);
  const children: Child[] = [];
  let temp: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    temp = await tempDir('durability');
  });
  after(async () => {
    for (const child of children) await child.kill9();
    await temp.cleanup();
  });

  it('keeps every one of 10,000 writes exactly once across a server kill -9 and a client kill -9', async () => {
    const dataDir = path.join(temp.dir, 'server-data');
    const writerEnv = {
      DURABLE_WRITER: JSON.stringify({
        endpoint: '',
        outboxDir: path.join(temp.dir, 'outbox'),
        progressFile: path.join(temp.dir, 'progress.txt'),
        total: TOTAL,
        concurrency: 16,
      }),
    };
    let server = await startServerProcess(dataDir, 0, ['--faults', FAULTS]);
    children.push(server.child);
    const url = server.url;
    const port = Number(new URL(url).port);
    const env = { DURABLE_WRITER: writerEnv.DURABLE_WRITER.replace('"endpoint":""', `"endpoint":"${url}"`) };

    const writer1 = runTs('test/unit/memory/fixtures/durable-writer.ts', [], env);
    children.push(writer1);
    await writer1.waitForLine<Progress>((l) => (l.done ?? 0) >= 2_000, 60_000);

    // Crash the server mid-stream and bring it back on the same port and data.
    await server.child.kill9();
    server = await startServerProcess(dataDir, port, ['--faults', FAULTS]);
    children.push(server.child);

    // Hold the server's requests: the writer times out, opens its breaker and queues to its outbox.
    const atPause = await writer1.waitForLine<Progress>((l) => (l.done ?? 0) >= 5_000, 60_000);
    await admin(url, { paused: true });
    await writer1.waitForLine<Progress>(
      (l) => (l.done ?? 0) >= (atPause.done ?? 0) + 1_000 && (l.pending ?? 0) >= 700,
      60_000,
    );
    await writer1.kill9();
    // Requests of the dead client still held by the server now go through: replays must not double them.
    await admin(url, { paused: false });

    const writer2 = runTs('test/unit/memory/fixtures/durable-writer.ts', [], env);
    children.push(writer2);
    const start2 = await writer2.waitForLine<Progress>((l) => l.started === true, 30_000);
    assert.ok((start2.pending ?? 0) >= 500, `the successor found ${start2.pending} queued writes to replay`);
    await writer2.waitForLine<Progress>((l) => l.finished === true, 90_000);
    assert.equal(await writer2.exited, 0, writer2.stderr());

    // Read everything back from the server itself, without faults.
    await admin(url, { errorRate: 0 });
    const records = await listAll(url);
    assert.equal(records.length, TOTAL);
    for (const [i, record] of records.entries()) {
      assert.equal(record.key, `dur/${String(i).padStart(5, '0')}`);
      assert.deepEqual(record.content, valueOf(i), `value of ${record.key}`);
      assert.equal(record.version, 1, `${record.key} was applied ${record.version} times`);
    }
  });
});

async function admin(url: string, faults: object): Promise<void> {
  const response = await fetch(`${url}/__admin/faults`, { method: 'POST', body: JSON.stringify(faults) });
  assert.equal(response.status, 200, await response.text());
}

async function listAll(url: string): Promise<{ key: string; content: unknown; version: number }[]> {
  const out: { key: string; content: unknown; version: number }[] = [];
  let cursor = '';
  for (;;) {
    const response = await fetch(`${url}/api/memory/keys?prefix=dur/&limit=1000&include=content&cursor=${cursor}`);
    const page = (await response.json()) as {
      records: { key: string; content: unknown; version: number }[];
      cursor?: string;
    };
    out.push(...page.records);
    if (!page.cursor) return out;
    cursor = page.cursor;
  }
}
