/**
 * Retry rules of AIP-194, applied per attempt.
 * - UNAVAILABLE (503, also 502/504 from front ends) and dropped connections: retried
 *   with exponential backoff and full jitter, for idempotent requests only.
 * - RESOURCE_EXHAUSTED (429): retried with a longer backoff and a lower cap, honouring
 *   the server's RetryInfo when it asks for more.
 * - Never: NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, INVALID_ARGUMENT, ABORTED
 *   (ABORTED means "redo your read-modify-write", which only the caller can do) and
 *   every other status.
 * A non-idempotent POST (addVersion, setIamPolicy without an etag...) may have
 * landed when the answer was lost, so it is retried only when the connection was
 * refused: then the request provably never reached the server.
 */
import { sleep } from '../util/sleep';
import { GcpApiError } from './errors';

export interface RetryOptions {
  /** Attempts in all for UNAVAILABLE and connection errors (default 5). */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  /** Attempts in all for RESOURCE_EXHAUSTED (default 3): quota does not come back quickly. */
  exhaustedMaxAttempts: number;
  exhaustedInitialDelayMs: number;
  exhaustedMaxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 5,
  initialDelayMs: 1000,
  maxDelayMs: 32_000,
  multiplier: 2,
  exhaustedMaxAttempts: 3,
  exhaustedInitialDelayMs: 10_000,
  exhaustedMaxDelayMs: 60_000,
};

export type RetryKind = 'unavailable' | 'exhausted';

const REFUSED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const DROPPED_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_SOCKET']);

/** The Node error code of a transport failure, looking through wrappers (node-fetch's FetchError, cause chains). */
export function connectionErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown; errno?: unknown }).code ?? (e as { errno?: unknown }).errno;
    if (typeof code === 'string' && (REFUSED_CODES.has(code) || DROPPED_CODES.has(code))) return code;
    if ((e as { message?: unknown }).message === 'socket hang up') return 'ECONNRESET';
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the connection was never established: the server cannot have seen the request. */
export function neverReachedServer(error: unknown): boolean {
  const code = connectionErrorCode(error);
  return code !== undefined && REFUSED_CODES.has(code);
}

export function classifyForRetry(error: unknown, idempotent: boolean): RetryKind | undefined {
  if (error instanceof GcpApiError) {
    if (!idempotent) return undefined;
    if (error.status === 'UNAVAILABLE' || error.httpStatus === 502 || error.httpStatus === 504) return 'unavailable';
    if (error.status === 'RESOURCE_EXHAUSTED') return 'exhausted';
    return undefined;
  }
  if (neverReachedServer(error)) return 'unavailable';
  if (idempotent && connectionErrorCode(error)) return 'unavailable';
  return undefined;
}

/** Full jitter (AWS/Google): a random delay in [0, min(cap, base * mult^n)], at least the server's ask. */
export function backoffDelay(
  kind: RetryKind,
  retryNumber: number,
  o: RetryOptions,
  serverDelayMs = 0,
  random = Math.random,
): number {
  const initial = kind === 'exhausted' ? o.exhaustedInitialDelayMs : o.initialDelayMs;
  const cap = kind === 'exhausted' ? o.exhaustedMaxDelayMs : o.maxDelayMs;
  const ceiling = Math.min(cap, initial * o.multiplier ** retryNumber);
  // Half fixed, half random keeps a floor so a 429 never comes straight back.
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.max(Math.round(jittered), Math.min(serverDelayMs, cap));
}

export interface RetryHooks {
  idempotent: boolean;
  signal?: AbortSignal;
  onRetry?: (info: { kind: RetryKind; attempt: number; delayMs: number; error: unknown }) => void;
}

/** Runs `attempt(n)` (n from 1) until it succeeds or the rules above say stop. */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  options: RetryOptions,
  hooks: RetryHooks,
): Promise<T> {
  const used: Record<RetryKind, number> = { unavailable: 0, exhausted: 0 };
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const kind = classifyForRetry(error, hooks.idempotent);
      if (!kind || hooks.signal?.aborted) throw error;
      const cap = kind === 'exhausted' ? options.exhaustedMaxAttempts : options.maxAttempts;
      if (used[kind] + 1 >= cap) throw error;
      const serverDelay = error instanceof GcpApiError ? error.retryDelayMs : undefined;
      const delayMs = backoffDelay(kind, used[kind], options, serverDelay);
      used[kind]++;
      hooks.onRetry?.({ kind, attempt: n, delayMs, error });
      await sleep(delayMs, hooks.signal);
    }
  }
}
