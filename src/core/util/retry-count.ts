/**
 * One count of retries for whatever piece of work asked for it (a migration step), fed
 * by every layer that retries: the Google REST client, the memory client's policy and
 * the step's own reruns. The retrying code does not know the step (a memory client is
 * shared by steps running at once), so the counter travels with the async call chain.
 *
 * The counter is captured when a call starts, in the caller's own context: a call queued
 * in a bulkhead and started later by another caller's completion still counts for the
 * caller that made it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

type Sink = () => void;

const current = new AsyncLocalStorage<Sink>();
const none: Sink = () => undefined;

/** Runs `fn` with every retry taken inside it (at any depth) reported to `onRetry`. */
export function countingRetries<T>(onRetry: Sink, fn: () => Promise<T>): Promise<T> {
  return current.run(onRetry, fn);
}

/** The counter of the work this call belongs to; a no-op outside any counted work. Take it when the call starts. */
export function retryCounter(): Sink {
  return current.getStore() ?? none;
}
