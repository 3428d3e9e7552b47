import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OrchestraError } from '../../../src/core/errors';
import { createPkce, loopbackLogin } from '../../../src/core/gcp/loopback-login';
import { userCredentials } from '../../../src/core/gcp/auth';
import { createGcpClient } from '../../../src/core/gcp/client';

describe('gcp loopback sign-in (PKCE + state)', () => {
  let tokenServer: http.Server;
  let tokenEndpoint: string;
  const exchanges: URLSearchParams[] = [];

  before(async () => {
    tokenServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        exchanges.push(form);
        res.writeHead(form.get('code') === 'good-code' ? 200 : 400, { 'content-type': 'application/json' });
        res.end(
          form.get('code') === 'good-code'
            ? JSON.stringify({
                access_token: 'ya29.access',
                refresh_token: '1//refresh',
                expires_in: 3599,
                scope: 'https://www.googleapis.com/auth/cloud-platform',
                token_type: 'Bearer',
              })
            : JSON.stringify({ error: 'invalid_grant', error_description: 'Bad Request' }),
        );
      });
    });
    await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
    tokenEndpoint = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
  });
  after(() => new Promise<void>((r) => tokenServer.close(() => r())));
  beforeEach(() => (exchanges.length = 0));

  /** Plays the browser: reads the consent URL, then calls the redirect URI as Google would. */
  function browser(answer: (consent: URL) => Record<string, string>) {
    let consent: URL | undefined;
    let page: Promise<{ status: number; text: string }> | undefined;
    const openExternal = (url: string) => {
      consent = new URL(url);
      const redirect = new URL(consent.searchParams.get('redirect_uri')!);
      for (const [k, v] of Object.entries(answer(consent))) redirect.searchParams.set(k, v);
      page = fetch(redirect).then(async (r) => ({ status: r.status, text: await r.text() }));
    };
    return { openExternal, consent: () => consent!, page: () => page! };
  }

  it('sends PKCE S256 and state, checks the state, and exchanges the code with the code_verifier', async () => {
    const b = browser((c) => ({ code: 'good-code', state: c.searchParams.get('state')! }));
    const tokens = await loopbackLogin({
      clientId: 'client-1.apps.googleusercontent.com',
      clientSecret: 'desktop-secret',
      openExternal: b.openExternal,
      tokenEndpoint,
    });
    assert.deepEqual(tokens, {
      accessToken: 'ya29.access',
      refreshToken: '1//refresh',
      expiresInSeconds: 3599,
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      idToken: undefined,
      tokenType: 'Bearer',
    });
    const consent = b.consent();
    assert.equal(consent.origin + consent.pathname, 'https://accounts.google.com/o/oauth2/v2/auth');
    assert.equal(consent.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(consent.searchParams.get('response_type'), 'code');
    assert.equal(consent.searchParams.get('access_type'), 'offline');
    assert.match(consent.searchParams.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    assert.ok((consent.searchParams.get('state') ?? '').length >= 20);
    const form = exchanges[0];
    assert.equal(form.get('grant_type'), 'authorization_code');
    assert.equal(form.get('code'), 'good-code');
    assert.equal(form.get('client_secret'), 'desktop-secret');
    assert.equal(form.get('redirect_uri'), consent.searchParams.get('redirect_uri'));
    const verifier = form.get('code_verifier')!;
    assert.match(verifier, /^[A-Za-z0-9_-]{43,128}$/);
    assert.equal(createHash('sha256').update(verifier).digest('base64url'), consent.searchParams.get('code_challenge'));
    assert.equal((await b.page()).status, 200);
  });

  it('refuses an answer with the wrong state and never exchanges its code', async () => {
    const b = browser(() => ({ code: 'good-code', state: 'forged-state' }));
    await assert.rejects(
      loopbackLogin({ clientId: 'c', openExternal: b.openExternal, tokenEndpoint }),
      (e: unknown) => e instanceof OrchestraError && e.code === 'LOGIN_STATE_MISMATCH',
    );
    assert.equal(exchanges.length, 0);
    const page = await b.page();
    assert.equal(page.status, 400);
    assert.match(page.text, /Sign-in refused/);
  });

  it('reports a denied consent and a refused code', async () => {
    const denied = browser((c) => ({ error: 'access_denied', state: c.searchParams.get('state')! }));
    await assert.rejects(
      loopbackLogin({ clientId: 'c', openExternal: denied.openExternal, tokenEndpoint }),
      /access_denied/,
    );
    const bad = browser((c) => ({ code: 'bad-code', state: c.searchParams.get('state')! }));
    await assert.rejects(
      loopbackLogin({ clientId: 'c', openExternal: bad.openExternal, tokenEndpoint }),
      /invalid_grant: Bad Request/,
    );
  });

  it('stops on timeout and on abort, and refuses a non-Google token endpoint', async () => {
    await assert.rejects(
      loopbackLogin({ clientId: 'c', openExternal: () => undefined, tokenEndpoint, timeoutMs: 50 }),
      (e: unknown) => e instanceof OrchestraError && e.code === 'LOGIN_TIMEOUT',
    );
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('closed by user')), 30);
    await assert.rejects(
      loopbackLogin({ clientId: 'c', openExternal: () => undefined, tokenEndpoint, signal: ac.signal }),
      /closed by user/,
    );
    await assert.rejects(
      loopbackLogin({ clientId: 'c', openExternal: () => undefined, tokenEndpoint: 'https://evil.example.com/token' }),
      /Refused to send an authorization code/,
    );
  });

  it('makes a fresh verifier each time, with its S256 challenge', () => {
    const a = createPkce();
    const b = createPkce();
    assert.notEqual(a.verifier, b.verifier);
    assert.equal(a.verifier.length, 43);
    assert.equal(createHash('sha256').update(a.verifier).digest('base64url'), a.challenge);
  });

  it('turns the kept refresh token into credentials the REST client uses (refresh at the token endpoint)', async () => {
    let refreshForm: URLSearchParams | undefined;
    const refresher = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        refreshForm = new URLSearchParams(body);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: 'ya29.refreshed', expires_in: 3600, token_type: 'Bearer' }));
      });
    });
    const api = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ auth: req.headers.authorization }));
    });
    await Promise.all([refresher, api].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    try {
      const port = (s: http.Server) => (s.address() as AddressInfo).port;
      const credentials = userCredentials({
        clientId: 'cid',
        clientSecret: 'cs',
        refreshToken: '1//kept',
        tokenEndpoint: `http://127.0.0.1:${port(refresher)}/token`,
      });
      const client = createGcpClient({
        gcp: { endpointOverrides: { run: `http://127.0.0.1:${port(api)}` }, emulator: true },
        credentials,
        env: {},
      });
      const answer = await client.request<{ auth: string }>({
        api: 'run',
        method: 'GET',
        path: '/v2/projects/p/locations/l/services',
      });
      assert.equal(answer.auth, 'Bearer ya29.refreshed');
      assert.equal(refreshForm?.get('grant_type'), 'refresh_token');
      assert.equal(refreshForm?.get('refresh_token'), '1//kept');
      assert.throws(
        () => userCredentials({ clientId: 'c', refreshToken: 'r', tokenEndpoint: 'https://evil.example.com/token' }),
        /Refused to send a refresh token/,
      );
    } finally {
      refresher.close();
      api.close();
    }
  });
});
