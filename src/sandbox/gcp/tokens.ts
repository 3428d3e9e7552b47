/**
 * The emulator's own OAuth 2.0 token endpoint (the shape of https://oauth2.googleapis.com/token):
 * access tokens for the APIs and ID tokens for Cloud Run's private URLs. The APIs accept
 * only tokens issued here (kept as hashes in the state, so they survive a restart) or
 * given in the options; anything else is 401, as Google answers a made-up token.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from './store';

const ACCESS_TTL_S = 3600;
const ID_TTL_S = 3600;
export const TOKEN_PATH = '/token';
const GRANTS = new Set([
  'client_credentials',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:token-exchange',
]);

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function issueAccessToken(store: Store, now: number, ttlS = ACCESS_TTL_S): { token: string; expiresIn: number } {
  const token = `ya29.sandbox-${randomBytes(24).toString('base64url')}`;
  const tokens = (store.state.tokens ??= {});
  for (const [key, expiry] of Object.entries(tokens)) if (expiry <= now) delete tokens[key];
  tokens[hash(token)] = now + ttlS * 1000;
  store.touch();
  return { token, expiresIn: ttlS };
}

export type TokenVerdict = 'ok' | 'expired' | 'unknown';

export function checkAccessToken(
  store: Store,
  configured: ReadonlySet<string>,
  token: string,
  now: number,
): TokenVerdict {
  if (configured.has(token)) return 'ok';
  const expiry = store.state.tokens?.[hash(token)];
  if (expiry === undefined) return 'unknown';
  return expiry > now ? 'ok' : 'expired';
}

function signingKey(store: Store): Buffer {
  if (!store.state.idTokenKey) {
    store.state.idTokenKey = randomBytes(32).toString('base64');
    store.touch();
  }
  return Buffer.from(store.state.idTokenKey, 'base64');
}

/** A JWT like Google's ID tokens (iss accounts.google.com, aud, exp), signed with the emulator's key. */
export function issueIdToken(store: Store, audience: string, now: number): string {
  const iat = Math.floor(now / 1000);
  const head = b64({ alg: 'HS256', typ: 'JWT', kid: 'orchestra-sandbox' });
  const body = b64({
    iss: 'https://accounts.google.com',
    aud: audience,
    azp: 'orchestra-sandbox',
    sub: '100000000000000000000',
    email: 'sandbox-owner@example.com',
    email_verified: true,
    iat,
    exp: iat + ID_TTL_S,
  });
  const signature = createHmac('sha256', signingKey(store)).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

/** Why an ID token does not admit the caller to `audience`, or undefined when it does. */
export function idTokenProblem(store: Store, token: string, audience: string, now: number): string | undefined {
  const [head, body, signature] = token.split('.');
  if (!head || !body || !signature) return 'not a JWT';
  const expected = createHmac('sha256', signingKey(store)).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'signature not valid';
  let claims: { aud?: string; exp?: number };
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return 'claims not JSON';
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return 'expired';
  const trim = (url: string) => url.replace(/\/+$/, '');
  if (typeof claims.aud !== 'string' || trim(claims.aud) !== trim(audience)) {
    return `audience '${String(claims.aud)}' is not this service's URL`;
  }
  return undefined;
}

/** POST /token: form or JSON body; `target_audience` asks for an ID token instead of an access token. */
export function tokenEndpoint(
  raw: string,
  contentType: string,
  store: Store,
  now: number,
): { status: number; body: unknown } {
  const params = contentType.includes('json')
    ? new URLSearchParams(Object.entries(safeJson(raw)).map(([k, v]) => [k, String(v)]))
    : new URLSearchParams(raw);
  const grant = params.get('grant_type');
  if (!grant) return oauthError('invalid_request', 'Missing required parameter: grant_type');
  if (!GRANTS.has(grant)) return oauthError('unsupported_grant_type', `Invalid grant_type: ${grant}`);
  const audience = params.get('target_audience') ?? params.get('audience');
  if (audience) return { status: 200, body: { id_token: issueIdToken(store, audience, now) } };
  const { token, expiresIn } = issueAccessToken(store, now);
  return {
    status: 200,
    body: {
      access_token: token,
      expires_in: expiresIn,
      token_type: 'Bearer',
      scope: params.get('scope') ?? 'https://www.googleapis.com/auth/cloud-platform',
    },
  };
}

function safeJson(raw: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function oauthError(error: string, description: string): { status: number; body: unknown } {
  return { status: 400, body: { error, error_description: description } };
}
