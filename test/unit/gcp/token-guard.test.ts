import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createGcpClient } from '../../../src/core/gcp/client';
import { OrchestraError } from '../../../src/core/errors';
import { assertTokenDestination, isLoopbackHost } from '../../../src/core/gcp/token-guard';

describe('gcp token guard', () => {
  let server: http.Server;
  let base: string;
  const seen: http.IncomingHttpHeaders[] = [];
  let connections = 0;
  let tokenRequests = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // The emulator's token endpoint: what a loopback emulator gives instead of ADC.
      if (req.method === 'POST' && req.url === '/token') {
        tokenRequests++;
        return res.end(JSON.stringify({ access_token: 'ya29.sandbox-issued', expires_in: 3600, token_type: 'Bearer' }));
      }
      seen.push(req.headers);
      res.end('{"ok":true}');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen.length = 0;
    connections = 0;
    tokenRequests = 0;
  });

  const request = (emulator: boolean, override: string) =>
    createGcpClient({
      gcp: { endpointOverrides: { run: override }, emulator },
      credentials: { accessToken: 'ya29.real-token' },
      env: {},
    }).request({
      api: 'run',
      method: 'GET',
      path: '/v2/projects/p/locations/l/services/s',
    });

  it('refuses a loopback override when gcp.emulator is false, before any connection', async () => {
    await assert.rejects(
      request(false, base),
      (e: unknown) =>
        e instanceof OrchestraError && e.code === 'GCP_TOKEN_GUARD' && /gcp\.emulator is not true/.test(e.message),
    );
    assert.equal(connections, 0, 'the local server saw no connection');
    assert.equal(seen.length, 0);
  });

  it('refuses a non-Google, non-loopback host without connecting, even with emulator true', async () => {
    // A listener standing in for an attacker's host: 10.255.255.1 is not reachable here,
    // so a connect attempt would hang or fail slowly; the guard must answer at once.
    const sockets: net.Socket[] = [];
    const original = net.Socket.prototype.connect;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      sockets.push(this);
      return (original as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof original;
    try {
      for (const host of [
        'http://10.255.255.1:8080',
        'https://evil.example.com',
        'http://run.googleapis.com',
        'https://googleapis.com.evil.net',
        'https://localhost.evil.net',
      ]) {
        const t = performance.now();
        await assert.rejects(
          request(true, host),
          (e: unknown) => e instanceof OrchestraError && e.code === 'GCP_TOKEN_GUARD',
          host,
        );
        assert.ok(performance.now() - t < 500, `${host} refused quickly`);
      }
    } finally {
      net.Socket.prototype.connect = original;
    }
    assert.equal(sockets.length, 0, 'no socket was opened');
  });

  it('sends the token to a loopback emulator when gcp.emulator is true, with JSON headers and a user agent', async () => {
    await request(true, base);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].authorization, 'Bearer ya29.real-token');
    assert.equal(seen[0]['user-agent'], 'orchestra-migrate');
    assert.equal(seen[0].accept, 'application/json');
  });

  it("never fetches ADC for the emulator: it sends a token from the emulator's token endpoint, asked once", async () => {
    const client = createGcpClient({
      gcp: { endpointOverrides: { run: base }, emulator: true },
      env: { GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/key.json' },
    });
    await client.request({ api: 'run', method: 'GET', path: '/v2/projects/p/locations/l/services/s' });
    await client.request({ api: 'run', method: 'GET', path: '/v2/projects/p/locations/l/services/s' });
    assert.equal(seen[0].authorization, 'Bearer ya29.sandbox-issued');
    assert.equal(seen[1].authorization, 'Bearer ya29.sandbox-issued');
    assert.equal(tokenRequests, 1, 'the token is cached until it nears expiry');
  });

  it('allows https *.googleapis.com only', () => {
    assert.doesNotThrow(() => assertTokenDestination(new URL('https://run.googleapis.com/v2/x'), { emulator: false }));
    assert.doesNotThrow(() =>
      assertTokenDestination(new URL('https://us-central1-run.googleapis.com/'), { emulator: false }),
    );
    assert.throws(() => assertTokenDestination(new URL('http://run.googleapis.com/'), { emulator: true }), /Refused/);
    assert.throws(
      () => assertTokenDestination(new URL('https://user@run.googleapis.com/'), { emulator: false }),
      /Refused/,
    );
    assert.throws(
      () => assertTokenDestination(new URL('https://run.googleapis.com.attacker.io/'), { emulator: false }),
      /Refused/,
    );
  });

  it('recognises loopback addresses only', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['localhost.evil.net', '128.0.0.1', '0.0.0.0', '10.0.0.1', 'example.com'])
      assert.ok(!isLoopbackHost(h), h);
  });
});
