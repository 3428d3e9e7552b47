/**
 * Which failures are worth another attempt. Only faults of the path to the server
 * (connection refused or reset, broken pipe, timeouts) and the statuses that say
 * "try again later" (429, 502, 503, 504); never a 4xx answer, never an open breaker.
 */
import { isBrokenCircuitError, isBulkheadRejectedError, isTaskCancelledError } from 'cockatiel';

export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** An error carrying an HTTP status; any error with a numeric `status` qualifies. */
export interface StatusError {
  status: number;
}

/** Thrown by a policy's per-call timeout, so callers can tell it from their own cancellation. */
export class CallTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly where: string,
    readonly timeoutMs: number,
  ) {
    super(`call to ${where} timed out after ${timeoutMs} ms`);
    this.name = 'CallTimeoutError';
  }
}

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

export function isTransientError(error: unknown, depth = 0): boolean {
  if (depth > 3 || error === undefined || error === null) return false;
  if (isBrokenCircuitError(error) || isBulkheadRejectedError(error)) return false;
  if (error instanceof CallTimeoutError || isTaskCancelledError(error)) return true;
  // Errors of our own may declare themselves transient (a lost MCP connection, say).
  const declared = field(error, 'transient');
  if (typeof declared === 'boolean') return declared;
  const status = field(error, 'status') ?? field(error, 'statusCode');
  if (typeof status === 'number') return TRANSIENT_STATUSES.has(status);
  const code = field(error, 'code') ?? field(error, 'errno');
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  const message = field(error, 'message');
  if (typeof message === 'string' && /socket hang up|timed? ?out|other side closed/i.test(message)) return true;
  return isTransientError(field(error, 'cause'), depth + 1);
}
