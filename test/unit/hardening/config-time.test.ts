/**
 * What the configuration alone decides is decided before any request: a Google endpoint
 * override that could never receive a token is bad config (exit 2), with the setting and
 * its file named, no request made and no library warning on stderr.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { isLoopbackHost } from '../../../src/core/gcp/token-guard';
import { runCli, treeHash } from './harness';

describe('config-time checks of Google endpoint overrides (child processes)', function () {
  this.timeout(120_000);
  let parent: string;
  let ws: string;
  let server: Server;
  let port: number;
  const requests: string[] = [];

  before(async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'orchestra-cfgtime-'));
    ws = path.join(parent, 'ws');
    await mkdir(path.join(ws, 'config'), { recursive: true });
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server?.close();
    await rm(parent, { recursive: true, force: true });
  });

  async function check(common: unknown, env: NodeJS.ProcessEnv = {}) {
    await writeFile(path.join(ws, 'config', 'common.json'), JSON.stringify(common));
    const outside = treeHash(parent, ['ws']).entries;
    requests.length = 0;
    // No credentials anywhere: a client that got as far as ADC would probe the metadata server.
    const r = await runCli(['verify'], ws, { HOME: path.join(parent, 'home'), ...env });
    assert.deepEqual(treeHash(parent, ['ws']).entries, outside);
    assert.deepEqual(requests, [], 'a request reached the listener');
    assert.doesNotMatch(r.stderr, /Warning|MetadataLookup/);
    return r;
  }

  it('an http:// override to another host outside emulator mode: exit 2 naming the setting and file', async () => {
    const r = await check({
      projectId: 'orchestra-test',
      gcp: { endpointOverrides: { run: 'http://run.example.com' } },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /gcp\.endpointOverrides\.run = http:\/\/run\.example\.com cannot be used: an http:\/\/ address would carry the Google access token in clear text/,
    );
    assert.match(r.stderr, /where: gcp\.endpointOverrides\.run in .*config\/common\.json/);
    assert.match(r.stderr, /fix: Remove the override, or point it at https:\/\/run\.googleapis\.com/);
  });

  it('the local listener without gcp.emulator: exit 2, nothing reaches it', async () => {
    const r = await check({
      projectId: 'orchestra-test',
      gcp: { endpointOverrides: { serviceusage: `http://127.0.0.1:${port}` } },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /a local address is the emulator only when gcp\.emulator is true/);
    assert.match(r.stderr, /fix: Set gcp\.emulator to true/);
  });

  it("gcloud's override variable over http: exit 2 naming the variable", async () => {
    const r = await check(
      { projectId: 'orchestra-test' },
      { CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM: 'http://iam.example.com/' },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM = http:\/\/iam\.example\.com cannot be used/);
  });

  it('loopback in every spelling is recognised, and nothing else', () => {
    for (const host of [
      'localhost',
      '127.0.0.1',
      '127.1.2.3',
      '[::1]',
      '::ffff:127.0.0.1',
      '[::ffff:7f00:1]',
      '::ffff:7f01:203',
    ]) {
      assert.equal(isLoopbackHost(host), true, host);
    }
    for (const host of [
      '10.0.0.1',
      '128.0.0.1',
      '::ffff:10.0.0.1',
      '[::ffff:a00:1]',
      'localhost.example.com',
      '127.0.0.1.nip.io',
    ]) {
      assert.equal(isLoopbackHost(host), false, host);
    }
    assert.equal(new URL('http://[::ffff:127.0.0.1]:80/').hostname, '[::ffff:7f00:1]');
  });
});
