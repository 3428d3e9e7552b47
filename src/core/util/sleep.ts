/**
 * Waiting that a cancellation ends at once. Every backoff and poll in the engine waits
 * through here, so a cancelled run never sits out a delay before it notices.
 */

/** The error a cancelled wait rejects with: the signal's reason when it is an Error, else a plain 'cancelled'. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('cancelled', { cause: reason });
}

/** Resolves after `ms`; rejects with `abortReason(signal)` as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(abortReason(signal!));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `work`, or a rejection with `abortReason(signal)` as soon as the signal aborts: for a
 * wait on work shared with other callers (a token fetch), which itself goes on for them.
 */
export function untilAborted<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    // Nobody waits for `work` any more: its own failure (often the same abort, seen by its
    // fetch) must not become an unhandled rejection that ends the process.
    work.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
