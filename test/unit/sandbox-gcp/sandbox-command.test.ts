import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSandboxArgs } from '../../../src/cli/commands/sandbox';
import { InputError } from '../../../src/core/errors';
import { startSandbox } from '../../../src/sandbox';

const ROOT = path.resolve(__dirname, '../../..');

describe('orchestra-migrate sandbox', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints exactly one JSON line with both URLs, serves them, and exits 0 on SIGTERM keeping the state', async function () {
    this.timeout(30_000);
    const child = spawn(
      process.execPath,
      [
        '-r',
        'tsx/cjs',
        'src/cli/main.ts',
        'sandbox',
        '--port',
        '0',
        '--json',
        '--data',
        dir,
        '--project',
        'cli-project',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!stdout.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const urls = JSON.parse(stdout.trim()) as { gcp: string; memory: string; memoryTarget: string };
      assert.deepEqual(Object.keys(urls), ['gcp', 'memory', 'memoryTarget']);
      assert.notEqual(urls.memoryTarget, urls.memory);
      assert.equal((await fetch(`${urls.memoryTarget}/api/status`)).status, 200);
      assert.match(urls.gcp, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(urls.memory, /^http:\/\/127\.0\.0\.1:\d+$/);
      const issued = await fetch(`${urls.gcp}/token`, { method: 'POST', body: 'grant_type=client_credentials' });
      const { access_token: token } = (await issued.json()) as { access_token: string };
      const create = (project: string, bearer: string) =>
        fetch(`${urls.gcp}/storage/v1/b?project=${project}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bearer}` },
          body: JSON.stringify({ name: `${project}-bucket` }),
        });
      assert.equal((await create('cli-project', token)).status, 200);
      assert.equal((await create('cli-project', 'made-up')).status, 401, 'only tokens it issued');
      assert.equal((await create('other-project', token)).status, 400, 'only the project it was told about');
      assert.equal((await fetch(`${urls.memory}/api/status`)).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.equal(stdout.trim().split('\n').length, 1, 'nothing else on stdout');
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'gcp', 'gcp-emulator.json'), 'utf8')) as {
      resources: Record<string, unknown>;
    };
    assert.ok(state.resources['b/cli-project-bucket']);
  });

  it('startSandbox starts both servers on one data folder and closes them', async () => {
    const sandbox = await startSandbox({ port: 0, dataDir: dir });
    assert.equal((await fetch(`${sandbox.urls.gcp}/__admin/health`)).status, 200);
    assert.equal((await fetch(`${sandbox.urls.memory}/api/status`)).status, 200);
    await sandbox.close();
    await assert.rejects(fetch(`${sandbox.urls.gcp}/__admin/health`));
  });

  it('parses its options and refuses bad ones', () => {
    assert.deepEqual(parseSandboxArgs(['--port', '0', '--data', 'x', '--json'], '/w'), {
      port: 0,
      memoryPort: 0,
      memoryTargetPort: 0,
      dataDir: '/w/x',
      json: true,
      seed: 0,
      projects: [],
      embeddings: 0,
    });
    assert.deepEqual(parseSandboxArgs(['--project', 'rehearsal-1', '--project', 'other-one'], '/w').projects, [
      'rehearsal-1',
      'other-one',
    ]);
    assert.throws(() => parseSandboxArgs(['--project', 'Bad_ID'], '/w'), /--project needs a Google Cloud project ID/);
    assert.equal(parseSandboxArgs([], '/w').dataDir, '/w/.orchestra/sandbox');
    // Without flags the servers sit where the default config looks for them.
    assert.deepEqual(
      [
        parseSandboxArgs([], '/w').port,
        parseSandboxArgs([], '/w').memoryPort,
        parseSandboxArgs([], '/w').memoryTargetPort,
      ],
      [8085, 8765, 8766],
    );
    assert.throws(() => parseSandboxArgs(['--port', 'abc'], '/w'), InputError);
    assert.throws(() => parseSandboxArgs(['--port', '70000'], '/w'), InputError);
    assert.throws(() => parseSandboxArgs(['--wat'], '/w'), InputError);
    const timed = parseSandboxArgs(['--lro-delay-ms', '2500', '--latency-ms', '40', '--run-latency-ms', '30'], '/w');
    assert.deepEqual([timed.lroDelayMs, timed.latencyMs, timed.runLatencyMs], [2500, 40, 30]);
    assert.throws(() => parseSandboxArgs(['--latency-ms', '-1'], '/w'), InputError);
    assert.equal(parseSandboxArgs(['--seed', '20000'], '/w').seed, 20000);
    assert.throws(() => parseSandboxArgs(['--seed', 'many'], '/w'), /--seed needs a number of records/);
    assert.throws(() => parseSandboxArgs(['--seed'], '/w'), /got ''/);
  });

  it('seeds demo records into an empty source only', async function () {
    this.timeout(30_000);
    const first = await startSandbox({ port: 0, dataDir: dir, seedRecords: 2500 });
    try {
      assert.equal(first.seeded, 2500);
      assert.equal(first.memory.store.size, 2500);
      assert.equal(first.memoryTarget.store.size, 0, 'the target starts empty');
      const page = (await (await fetch(`${first.urls.memory}/api/memory/keys?limit=2&include=content`)).json()) as {
        records: { key: string; content: { agent: string } }[];
      };
      assert.match(page.records[0].key, /^agents\/\w+\/notes\/\d{6}$/);
      assert.ok(page.records[0].content.agent, 'records look like agent memory');
    } finally {
      await first.close();
    }
    const again = await startSandbox({ port: 0, dataDir: dir, seedRecords: 100 });
    try {
      assert.equal(again.seeded, 0, 'a source that holds records is left as it is');
      assert.equal(again.memory.store.size, 2500);
    } finally {
      await again.close();
    }
  });
});
