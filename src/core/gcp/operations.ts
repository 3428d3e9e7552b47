/**
 * Long-running operations (google.longrunning.Operation): poll
 * `GET <host>/<version>/<name>` with a growing interval until `done`.
 * A deadline and an AbortSignal stop the wait; an operation error becomes a GcpApiError.
 */
import { OrchestraError } from '../errors';
import { abortReason, sleep } from '../util/sleep';
import { errorFromStatus } from './errors';
import { isOperationName } from './names';
import type { GcpApi, LongRunningOperation, WaitOptions } from './types';

export interface PollOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  deadlineMs: number;
}

export const DEFAULT_POLL: PollOptions = {
  initialDelayMs: 1000,
  maxDelayMs: 10_000,
  multiplier: 1.5,
  deadlineMs: 10 * 60_000,
};

export function defaultOperationVersion(api: GcpApi): string {
  return api === 'run' ? 'v2' : 'v1';
}

export type OperationFetcher = (path: string, signal?: AbortSignal) => Promise<LongRunningOperation>;

export async function pollOperation<R>(
  api: GcpApi,
  operation: LongRunningOperation<R>,
  fetchOperation: OperationFetcher,
  poll: PollOptions,
  options: WaitOptions = {},
): Promise<R> {
  const version = options.version ?? defaultOperationVersion(api);
  const deadlineMs = options.deadlineMs ?? poll.deadlineMs;
  const started = Date.now();
  let current: LongRunningOperation<R> = operation;
  let delay = poll.initialDelayMs;
  while (!current.done) {
    checkOperationName(api, current.name, options.origin);
    const left = deadlineMs - (Date.now() - started);
    if (left <= 0) throw deadlineError(api, current, deadlineMs);
    if (options.signal?.aborted) throw abortReason(options.signal);
    await sleep(Math.min(delay, left), options.signal);
    delay = Math.min(poll.maxDelayMs, delay * poll.multiplier);
    if (Date.now() - started >= deadlineMs) throw deadlineError(api, current, deadlineMs);
    current = (await fetchOperation(`/${version}/${current.name}`, options.signal)) as LongRunningOperation<R>;
  }
  if (current.error) {
    throw errorFromStatus(current.error, { api, method: 'OPERATION', path: current.name });
  }
  return current.response as R;
}

/**
 * The name is polled (`GET /<version>/<name>`): a name Google would not give is refused
 * rather than sent, and named as it came, for the user to see where answers come from.
 */
function checkOperationName(api: GcpApi, name: unknown, origin: string | undefined): void {
  if (isOperationName(name)) return;
  const source = origin ? `to ${origin}` : 'for a long-running operation';
  throw new OrchestraError(
    'GCP_BAD_OPERATION_NAME',
    `${api}: the answer ${source} named its operation ${JSON.stringify(name)}, which is not a Google operation name (operations/ID or .../operations/ID), so it is not polled.`,
    {
      where: origin ?? api,
      fix: `Answers like this do not come from Google: check the ${api} endpoint override (gcp.endpoints or CLOUDSDK_API_ENDPOINT_OVERRIDES_*) and any proxy on the way, then run verify (the operation may have run on the server) and execute again.`,
    },
  );
}

function deadlineError(api: GcpApi, op: LongRunningOperation, deadlineMs: number): OrchestraError {
  return new OrchestraError(
    'GCP_OPERATION_DEADLINE',
    `${api}: operation ${op.name} was not done after ${Math.round(deadlineMs / 1000)} s`,
    {
      where: op.name,
      fix: 'It may still finish on the server: run verify again later, or raise the deadline.',
    },
  );
}
