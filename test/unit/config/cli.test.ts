import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../../src/cli/main';
import { workspace } from './helpers';

async function run(
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  const code = await main(argv, { cwd, env, stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('CLI: init and config', () => {
  let ws: ReturnType<typeof workspace>;
  afterEach(() => ws?.cleanup());

  it('init writes the files, then keeps them', async () => {
    ws = workspace();
    const first = await run(['init', '--json'], ws.dir);
    assert.equal(first.code, 0);
    const result = JSON.parse(first.stdout);
    assert.equal(result.written.length, 6);
    assert.equal(result.gitignore, 'created');
    const second = await run(['init'], ws.dir);
    assert.equal(second.code, 0);
    assert.match(second.stdout, /kept {5}config\/common\.json \(exists\)/);
    assert.match(second.stdout, /\.gitignore already ignores \.orchestra\//);
  });

  it('config --json lists each value with its layer and source, and the endpoints', async () => {
    ws = workspace({ 'config/common.json': { projectId: 'my-project-1' } });
    const { code, stdout } = await run(['config', '--json'], ws.dir, {
      ORCHESTRA_MEMORY__TIMEOUT_MS: '1200',
      WEB_HOST: 'ws.cluster.cloudworkstations.dev',
      GOOGLE_CLOUD_WORKSTATIONS: 'true',
    });
    assert.equal(code, 0);
    const out = JSON.parse(stdout);
    assert.equal(out.environment.kind, 'workstation');
    assert.deepEqual(out.files, ['config/common.json']);
    const byPath = Object.fromEntries(out.values.map((v: { path: string }) => [v.path, v]));
    assert.deepEqual(byPath['projectId'], {
      path: 'projectId',
      value: 'my-project-1',
      layer: 'common',
      source: 'config/common.json',
    });
    assert.deepEqual(byPath['memory.timeoutMs'], {
      path: 'memory.timeoutMs',
      value: 1200,
      layer: 'env',
      source: 'ORCHESTRA_MEMORY__TIMEOUT_MS',
    });
    assert.deepEqual(out.endpoints[0], {
      service: 'memory',
      url: 'https://8765-ws.cluster.cloudworkstations.dev',
      rule: 'workstation: https://<ports.memory>-<WEB_HOST>',
    });
  });

  it('config prints a table and the evidence', async () => {
    ws = workspace();
    const { code, stdout } = await run(['config', '--env', 'cloud_run'], ws.dir);
    assert.equal(code, 0);
    assert.match(stdout, /^Environment: cloud_run \(forced by kind option\)/);
    assert.match(stdout, /memory\.timeoutMs\s+defaults\s+built-in defaults\s+2000/);
    assert.match(stdout, /api\s+none: No endpoint for 'api' in cloud_run/);
  });

  it('invalid configuration: every issue, exit code 2, files untouched', async () => {
    ws = workspace({ 'config/common.json': '{\n  "projectId": "Bad",\n  "memory": { "timeoutMs": -1 }\n}\n' });
    const before = readFileSync(path.join(ws.dir, 'config/common.json'), 'utf8');
    const text = await run(['config'], ws.dir);
    assert.equal(text.code, 2);
    assert.match(text.stderr, /config\/common\.json:2:16 projectId: the string "Bad" is not a Google Cloud project ID/);
    assert.match(text.stderr, /config\/common\.json:3:28 memory\.timeoutMs: -1 is too small/);
    const json = await run(['config', '--json'], ws.dir);
    assert.equal(json.code, 2);
    assert.equal(JSON.parse(json.stdout).issues.length, 2);
    assert.equal(readFileSync(path.join(ws.dir, 'config/common.json'), 'utf8'), before);
  });

  it('config rejects an unknown --env', async () => {
    ws = workspace();
    const { code, stderr } = await run(['config', '--env', 'prod'], ws.dir);
    assert.equal(code, 2);
    assert.match(stderr, /--env needs one of local, codespaces, workstation, cloud_run/);
  });
});
