/**
 * At most one run of an async task at a time: a call made while one is running joins
 * it instead of starting another; the first call after it settles (fulfilled or
 * rejected) starts afresh. For work that must not run twice at once: opening a
 * connection, draining a queue.
 */
export class SingleFlight<T> {
  private pending: Promise<T> | undefined;

  constructor(private readonly task: () => Promise<T>) {}

  /** Starts the task, or joins the run in flight. */
  run(): Promise<T> {
    if (this.pending) return this.pending;
    const started = this.task().finally(() => {
      if (this.pending === started) this.pending = undefined;
    });
    this.pending = started;
    return started;
  }

  /** The run in flight, if any (to wait for it without starting one). */
  get current(): Promise<T> | undefined {
    return this.pending;
  }

  /** The next call starts a new run even if this one has not settled (after a close, say). */
  forget(): void {
    this.pending = undefined;
  }
}
