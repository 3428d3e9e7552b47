/**
 * The memory API key goes only where the user agreed (child processes, recording listeners
 * on loopback). `0.0.0.0` reaches the local listener on Linux but is not a loopback name,
 * so it stands for a workspace-chosen host elsewhere. The https listener's certificate is
 * made at test time with openssl and trusted through NODE_EXTRA_CA_CERTS.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'mocha';
import { keyFor, keySafeWithoutConsent } from '../../../src/core/workspace/key-guard';
import { emulatorWorkspace, startWorld, type World } from '../migration/world';
import { runCli, treeHash } from './harness';

const KEY = 'om-test-key-5f1c2a9e7d3b';

describe('memory API key guard (child processes, recording listeners)', function () {
  this.timeout(180_000);
  let parent: string;
  let ws: string;
  let home: string;
  let plain: Server;
  let tls: Server;
  let plainPort: number;
  let tlsPort: number;
  let caFile: string;
  const seen: { server: string; auth: string; url: string }[] = [];

  const record = (server: string) => (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ server, auth: String(req.headers.authorization ?? ''), url: req.url ?? '' });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","records":0}');
  };

  before(async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'orchestra-keyguard-'));
    ws = path.join(parent, 'ws');
    home = await mkdtemp(path.join(os.tmpdir(), 'orchestra-keyguard-home-'));
    await mkdir(path.join(ws, 'config'), { recursive: true });
    caFile = path.join(home, 'cert.pem');
    const keyFile = path.join(home, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        caFile,
      ],
      { stdio: 'ignore' },
    );
    plain = createServer(record('http'));
    tls = createHttpsServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, record('https'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    plainPort = (plain.address() as AddressInfo).port;
    tlsPort = (tls.address() as AddressInfo).port;
  });
  after(async () => {
    plain?.close();
    tls?.close();
    await rm(parent, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });
  beforeEach(() => (seen.length = 0));

  async function health(endpoint: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
    await writeFile(
      path.join(ws, 'config', 'common.json'),
      JSON.stringify({ projectId: 'orchestra-test', memory: { endpoint } }),
    );
    const outside = treeHash(parent, ['ws']).entries;
    const r = await runCli(['health', ...args], ws, {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      NODE_EXTRA_CA_CERTS: caFile,
      ORCHESTRA_MEMORY_API_KEY: KEY,
      ...env,
    });
    assert.deepEqual(treeHash(parent, ['ws']).entries, outside, 'something changed outside the workspace');
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(KEY), 'the key was printed');
    return r;
  }
  const withKey = () => seen.filter((s) => s.auth.includes(KEY));

  it('a workspace naming a non-loopback http endpoint: requests arrive, none carries the key; the refusal names the host and the fix', async () => {
    const r = await health(`http://0.0.0.0:${plainPort}`);
    // The status route needs no key: the server's health is checked without it, and reported.
    assert.equal(r.code, 0, r.stderr);
    assert.ok(seen.length > 0, 'the listener heard the health check');
    assert.deepEqual(withKey(), [], 'a request carried the key');
    assert.match(r.stderr, new RegExp(`Refused to send the memory API key to http://0\\.0\\.0\\.0:${plainPort}`));
    assert.match(r.stderr, /where: memory\.endpoint in .*config\/common\.json/);
    assert.match(
      r.stderr,
      new RegExp(
        `fix: Use an https:// endpoint; or, if you trust 0\\.0\\.0\\.0:${plainPort}, allow it once with --allow-endpoint 0\\.0\\.0\\.0:${plainPort}`,
      ),
    );
    assert.equal(existsSync(path.join(home, '.config', 'orchestra-migrate', 'allowed-endpoints.json')), false);
  });

  it('https with a trusted certificate: the key arrives', async () => {
    const r = await health(`https://localhost:${tlsPort}`);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(withKey().length > 0 && withKey().every((s) => s.server === 'https'), JSON.stringify(seen) + r.stderr);
  });

  it('http to loopback (127.0.0.1): the key arrives without asking', async () => {
    const r = await health(`http://127.0.0.1:${plainPort}`);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(withKey().length > 0);
  });

  it('ORCHESTRA_ALLOW_ENDPOINTS names the host: the key arrives, nothing is remembered', async () => {
    const r = await health(`http://0.0.0.0:${plainPort}`, [], { ORCHESTRA_ALLOW_ENDPOINTS: '0.0.0.0' });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Refused/);
    assert.ok(withKey().length > 0);
    assert.equal(existsSync(path.join(home, '.config', 'orchestra-migrate', 'allowed-endpoints.json')), false);
  });

  it('--allow-endpoint HOST:PORT: the key arrives, the consent is remembered outside the workspace for the next run', async () => {
    const r = await health(`http://0.0.0.0:${plainPort}`, ['--allow-endpoint', `0.0.0.0:${plainPort}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(withKey().length > 0);
    const file = path.join(home, '.config', 'orchestra-migrate', 'allowed-endpoints.json');
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { hosts: [`0.0.0.0:${plainPort}`] });
    seen.length = 0;
    await health(`http://0.0.0.0:${plainPort}`);
    assert.ok(withKey().length > 0, 'remembered');
    await rm(file);
  });

  it('the rule: https and every loopback spelling pass; other http asks; an untrusted workspace never sends', async () => {
    for (const url of [
      'https://memory.example.com',
      'http://127.0.0.1:1',
      'http://127.9.9.9:1',
      'http://[::1]:1',
      'http://[::ffff:127.0.0.1]:1',
      'http://localhost:1',
    ]) {
      assert.equal(keySafeWithoutConsent(url), true, url);
    }
    for (const url of [
      'http://0.0.0.0:1',
      'http://10.0.0.5:1',
      'http://[::ffff:10.0.0.5]:1',
      'http://memory.example.com',
    ]) {
      assert.equal(keySafeWithoutConsent(url), false, url);
    }
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
    assert.equal(await keyFor('http://127.0.0.1:1', KEY, { trusted: () => false }, env, 'memory.endpoint'), undefined);
    let asked = '';
    const ask = async (host: string) => ((asked = host), false);
    await assert.rejects(keyFor('http://10.0.0.5:8080', KEY, { ask }, env, 'memory.endpoint'), /Refused/);
    assert.equal(asked, '10.0.0.5:8080', 'the editor modal names the host');
  });
});

/**
 * The commands that copy memory (verify reads both stores, execute and sync copy, `memory`
 * reads one) with the copy's source and target named by the workspace at a host that is not
 * loopback, over http: each exits 2 naming the setting, its file and the fix, and no request
 * carrying the key reaches the listener. Google's side is the local emulator, so the run
 * gets as far as the memory stores.
 */
describe('memory API key guard on the copy (child processes, recording listener)', function () {
  this.timeout(240_000);
  let world: World;
  let ws: string;
  let home: string;
  let listeners: Server[];
  let port: number;
  let targetPort: number;
  const seen: string[] = [];

  before(async () => {
    world = await startWorld({ records: 0 });
    home = path.join(world.dir, 'home');
    ws = path.join(world.dir, 'ws');
    await mkdir(path.join(ws, 'config'), { recursive: true });
    // Two stores (a copy onto itself is refused): both record, both answer an empty store.
    listeners = [0, 1].map(() =>
      createServer((req, res) => {
        seen.push(String(req.headers.authorization ?? ''));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","records":0,"items":[]}');
      }),
    );
    const ports = await Promise.all(
      listeners.map(
        (l) => new Promise<number>((r) => l.listen(0, '127.0.0.1', () => r((l.address() as AddressInfo).port))),
      ),
    );
    [port, targetPort] = ports;
    await emulatorWorkspace(world, ws, {
      phases: {
        memorySystem: { sourceEndpoint: `http://0.0.0.0:${port}`, targetEndpoint: `http://0.0.0.0:${targetPort}` },
      },
    });
    // What the copy depends on (the Firestore API enabled), so verify and execute reach the stores.
    const core = await runCli(['execute', '--yes', '--phase', 'core-infrastructure'], ws, env());
    assert.equal(core.code, 0, core.stderr);
  });
  after(async () => {
    for (const l of listeners ?? []) l.close();
    await world?.close();
  });

  const env = () => ({ HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), ORCHESTRA_MEMORY_API_KEY: KEY });

  it('verify (read-only: it plans the copy, reads no store): exit 0, no request carries the key', async () => {
    seen.length = 0;
    const r = await runCli(['verify', '--phase', 'memory-system'], ws, env());
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      seen.filter((auth) => auth.includes(KEY)),
      [],
    );
  });

  for (const args of [
    ['execute', '--yes'],
    ['execute', '--yes', '--phase', 'memory-system'],
    ['memory', 'list', '--side', 'source'],
    ['memory', 'list', '--side', 'target'],
  ]) {
    it(`${args.join(' ')}: exit 2 naming the setting and its file, no request carries the key`, async () => {
      seen.length = 0;
      const outside = treeHash(world.dir, ['ws']).entries;
      const r = await runCli(args, ws, env());
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /Refused to send the memory API key to http:\/\/0\.0\.0\.0:\d+/);
      assert.match(
        r.stderr,
        /where: phases\.memorySystem\.(source|target)Endpoint in .*config\/common\.json/,
        'the setting and its file',
      );
      assert.match(r.stderr, /fix: .*--allow-endpoint 0\.0\.0\.0:\d+/);
      assert.deepEqual(
        seen.filter((auth) => auth.includes(KEY)),
        [],
        'a request carried the key',
      );
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(KEY), 'the key was printed');
      assert.deepEqual(treeHash(world.dir, ['ws']).entries, outside, 'something changed outside the workspace');
      assert.equal(existsSync(path.join(home, '.config', 'orchestra-migrate', 'allowed-endpoints.json')), false);
    });
  }

  it('execute refused: no step ran, no run was recorded (the refusal comes before the run)', async () => {
    const r = await runCli(['status', '--json'], ws, env());
    const doc = JSON.parse(r.stdout) as { phases: { id: string; status: string }[] };
    assert.equal(doc.phases.find((p) => p.id === 'memory-system')?.status, 'not-started');
  });

  it('with --allow-endpoint the copy runs and the key arrives at the host the user allowed', async () => {
    seen.length = 0;
    const r = await runCli(['execute', '--yes', '--phase', 'memory-system', '--allow-endpoint', '0.0.0.0'], ws, env());
    assert.doesNotMatch(r.stderr, /Refused/);
    assert.ok(
      seen.some((auth) => auth.includes(KEY)),
      `the key did not arrive: ${seen.length} requests\n${r.stderr}`,
    );
  });
});
