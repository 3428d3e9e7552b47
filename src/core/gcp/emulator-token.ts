/**
 * Tokens for the local emulator. It accepts only tokens it issued, as Google accepts only
 * its own: the client asks the emulator's OAuth 2.0 token endpoint (`POST <origin>/token`,
 * the shape of https://oauth2.googleapis.com/token) instead of sending a made-up bearer,
 * and never looks for real credentials. Only loopback origins are asked (the token guard
 * already refused any other in emulator mode).
 */
import { OrchestraError } from '../errors';
import { isLoopbackHost } from './token-guard';

/** The part of fetch used here (node-fetch, undici's fetch and test doubles fit). */
type PostForm = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{ status: number; text(): Promise<string> }>;

interface Cached {
  token: string;
  expiresAt: number;
}

/** Refresh a minute before expiry, as google-auth-library does (eagerRefreshThresholdMillis). */
const EAGER_REFRESH_MS = 60_000;
/** The local emulator answers a token request at once; longer means it is hung. */
const TOKEN_TIMEOUT_MS = 30_000;

export class EmulatorTokens {
  private readonly cache = new Map<string, Promise<Cached>>();

  constructor(
    private readonly post: PostForm,
    private readonly now: () => number = Date.now,
  ) {}

  /** An access token for the APIs served at `origin`. */
  accessToken(origin: string, signal?: AbortSignal): Promise<string> {
    return this.cached(origin, 'access', signal);
  }

  /** An ID token whose audience is `audience` (a private Cloud Run service's URL served by the emulator). */
  idToken(audience: string, signal?: AbortSignal): Promise<string> {
    return this.cached(new URL(audience).origin, audience, signal);
  }

  private async cached(origin: string, audience: string, signal?: AbortSignal): Promise<string> {
    const key = `${origin} ${audience}`;
    const hit = this.cache.get(key);
    if (hit) {
      const value = await hit.catch(() => undefined);
      if (value && value.expiresAt - EAGER_REFRESH_MS > this.now()) return value.token;
    }
    const fresh = this.request(origin, audience === 'access' ? undefined : audience, signal);
    this.cache.set(key, fresh);
    fresh.catch(() => this.cache.delete(key));
    return (await fresh).token;
  }

  private async request(origin: string, audience: string | undefined, signal?: AbortSignal): Promise<Cached> {
    const url = new URL('/token', origin);
    if (!isLoopbackHost(url.hostname)) {
      throw new OrchestraError(
        'GCP_TOKEN_GUARD',
        `Refused to ask ${url.origin} for an emulator token: it is not a loopback address.`,
        {
          where: url.origin,
          fix: 'Emulator tokens come from the local emulator only; point gcp.endpointOverrides at 127.0.0.1.',
        },
      );
    }
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      ...(audience ? { target_audience: audience } : {}),
    });
    const response = await this.post(url.toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
      // Bounded: a token endpoint that never answers must not hold every caller forever.
      signal: signal
        ? AbortSignal.any([signal, AbortSignal.timeout(TOKEN_TIMEOUT_MS)])
        : AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    });
    const text = await response.text();
    let parsed: { access_token?: string; id_token?: string; expires_in?: number; error_description?: string } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // named below
    }
    const token = audience ? parsed.id_token : parsed.access_token;
    if (response.status !== 200 || !token) {
      throw new OrchestraError(
        'EMULATOR_TOKEN',
        `The emulator at ${url.origin} gave no ${audience ? 'ID' : 'access'} token (HTTP ${response.status}${parsed.error_description ? `: ${parsed.error_description}` : ''}).`,
        {
          where: url.toString(),
          fix: 'Check that gcp.endpointOverrides point at a running `orchestra-migrate sandbox` (it serves POST /token).',
        },
      );
    }
    return { token, expiresAt: this.now() + (parsed.expires_in ?? 3600) * 1000 };
  }
}
