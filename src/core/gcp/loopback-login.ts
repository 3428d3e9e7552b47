/**
 * OAuth sign-in for the editor: the installed-app loopback flow Google documents
 * for desktop clients (https://developers.google.com/identity/protocols/oauth2/native-app),
 * with PKCE (S256) and a `state` check. A one-shot server on 127.0.0.1 receives the
 * redirect; the caller opens the consent URL (the editor's openExternal) and keeps
 * the refresh token in SecretStorage. Tokens never reach a log line.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import nodeFetch from 'node-fetch';
import { OrchestraError } from '../errors';
import { CLOUD_PLATFORM_SCOPE } from './auth';
import { isGoogleApiHost, isLoopbackHost } from './token-guard';

export const GOOGLE_AUTH_ENDPOINT = 'https://accounts.google.com/o/oauth2/v2/auth';
export const GOOGLE_TOKEN_ENDPOINT = 'https://oauth2.googleapis.com/token';

export interface LoopbackLoginOptions {
  clientId: string;
  /** Google issues one to desktop clients; it is not secret there, but the token endpoint expects it. */
  clientSecret?: string;
  scopes?: string[];
  /** Opens the consent page in the user's browser. */
  openExternal(url: string): Promise<unknown> | unknown;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  /** Give up after this long, ms (default 5 minutes). */
  timeoutMs?: number;
  signal?: AbortSignal;
  loginHint?: string;
}

export interface LoopbackTokens {
  accessToken: string;
  refreshToken?: string;
  expiresInSeconds?: number;
  scope?: string;
  idToken?: string;
  tokenType?: string;
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

/** RFC 7636: a 43-character verifier from 32 random bytes, and its S256 challenge. */
export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function loginError(code: string, message: string, fix?: string): OrchestraError {
  return new OrchestraError(code, message, { where: 'Google sign-in', fix: fix ?? 'Run the sign-in again.' });
}

function sameState(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function checkTokenEndpoint(url: string): void {
  const parsed = new URL(url);
  if (!isGoogleApiHost(parsed) && !isLoopbackHost(parsed.hostname)) {
    throw loginError(
      'LOGIN_BAD_ENDPOINT',
      `Refused to send an authorization code to ${parsed.origin}`,
      'Use https://oauth2.googleapis.com/token.',
    );
  }
}

const PAGE = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif"><h1>${title}</h1><p>${text}</p></body>`;

export async function loopbackLogin(options: LoopbackLoginOptions): Promise<LoopbackTokens> {
  const tokenEndpoint = options.tokenEndpoint ?? GOOGLE_TOKEN_ENDPOINT;
  checkTokenEndpoint(tokenEndpoint);
  const pkce = createPkce();
  const state = randomBytes(16).toString('base64url');
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  try {
    const code = await waitForCode(server, state, options);
    return await exchangeCode({ code, redirectUri, verifier: pkce.verifier, tokenEndpoint, options });
  } finally {
    server.closeAllConnections();
    server.close();
  }

  function waitForCode(srv: http.Server, expectedState: string, o: LoopbackLoginOptions): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(loginError('LOGIN_TIMEOUT', 'No answer from the browser sign-in in time.')),
        o.timeoutMs ?? 300_000,
      );
      const onAbort = () => reject(o.signal?.reason ?? loginError('LOGIN_CANCELLED', 'Sign-in cancelled.'));
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = () => {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
      };
      srv.on('request', (req, res) => {
        const url = new URL(req.url ?? '/', redirectUri);
        if (url.pathname !== '/callback') return void res.writeHead(404).end();
        const params = url.searchParams;
        const send = (status: number, title: string, text: string) => {
          res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
          res.end(PAGE(title, text));
        };
        if (!sameState(params.get('state') ?? '', expectedState)) {
          send(
            400,
            'Sign-in refused',
            'The answer did not carry the state this sign-in sent. Close this tab and sign in again from the editor.',
          );
          finish();
          return reject(
            loginError(
              'LOGIN_STATE_MISMATCH',
              'The sign-in answer carried a wrong state parameter: refused (possible forgery).',
            ),
          );
        }
        const error = params.get('error');
        const code = params.get('code');
        if (error || !code) {
          send(400, 'Sign-in failed', `Google answered: ${error ?? 'no code'}. You can close this tab.`);
          finish();
          return reject(
            loginError('LOGIN_DENIED', `Google sign-in did not complete: ${error ?? 'no authorization code'}.`),
          );
        }
        send(200, 'Signed in', 'Orchestra Migrate is signed in. You can close this tab and return to the editor.');
        finish();
        resolve(code);
      });
      const url = new URL(o.authorizationEndpoint ?? GOOGLE_AUTH_ENDPOINT);
      const query = {
        client_id: o.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: (o.scopes ?? [CLOUD_PLATFORM_SCOPE]).join(' '),
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
        state: expectedState,
        access_type: 'offline',
        prompt: 'consent',
        ...(o.loginHint ? { login_hint: o.loginHint } : {}),
      };
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      Promise.resolve(o.openExternal(url.toString())).catch((e: unknown) => {
        finish();
        reject(e);
      });
    });
  }
}

async function exchangeCode(a: {
  code: string;
  redirectUri: string;
  verifier: string;
  tokenEndpoint: string;
  options: LoopbackLoginOptions;
}): Promise<LoopbackTokens> {
  const form = new URLSearchParams({
    code: a.code,
    client_id: a.options.clientId,
    redirect_uri: a.redirectUri,
    grant_type: 'authorization_code',
    code_verifier: a.verifier,
  });
  if (a.options.clientSecret) form.set('client_secret', a.options.clientSecret);
  const res = await nodeFetch(a.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    signal: a.options.signal as never,
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || typeof body.access_token !== 'string') {
    const why =
      typeof body.error === 'string'
        ? `${body.error}${body.error_description ? `: ${String(body.error_description)}` : ''}`
        : `HTTP ${res.status}`;
    throw loginError('LOGIN_TOKEN_EXCHANGE', `The token endpoint refused the authorization code (${why}).`);
  }
  return {
    accessToken: body.access_token,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
    expiresInSeconds: typeof body.expires_in === 'number' ? body.expires_in : undefined,
    scope: typeof body.scope === 'string' ? body.scope : undefined,
    idToken: typeof body.id_token === 'string' ? body.id_token : undefined,
    tokenType: typeof body.token_type === 'string' ? body.token_type : undefined,
  };
}
