/**
 * Every breaker by name, as the UI and `status --json` see it. cockatiel moves an
 * open breaker to half-open only on the next call, so the registry keeps its own
 * clock: `nextProbeAt` = openedAt + recoveryTimeout, `probeDue` once it has passed,
 * and a change event at that moment so a health check can run the probe.
 */
import { CircuitState, type CircuitBreakerPolicy, type IBreaker } from 'cockatiel';
import { createRedactor, type Redactor } from '../logging/redact';

/** A breaker's state as the UI and `status --json` name it. */
export type BreakerStateName = 'closed' | 'open' | 'half-open' | 'isolated';

export interface Disposable {
  dispose(): void;
}

export interface BreakerFailure {
  message: string;
  /** ISO time. */
  at: string;
}

/** JSON-serialisable view of one breaker. */
export interface BreakerInfo {
  name: string;
  state: BreakerStateName;
  failures: number;
  successes: number;
  consecutiveFailures: number;
  lastFailure?: BreakerFailure;
  /** ISO times; present while open. */
  openedAt?: string;
  nextProbeAt?: string;
  /** True when an open breaker's recovery timeout has passed: the next call is the half-open probe. */
  probeDue: boolean;
  recoveryTimeoutMs: number;
}

export type BreakerListener = (info: BreakerInfo) => void;

interface Entry {
  name: string;
  policy: CircuitBreakerPolicy;
  breaker: IBreaker;
  recoveryTimeoutMs: number;
  /** The wait before the next probe of the current outage (it grows with each failed probe). */
  probeWait: () => number;
  failures: number;
  successes: number;
  consecutiveFailures: number;
  lastFailure?: BreakerFailure;
  openedAt?: number;
  probeTimer?: NodeJS.Timeout;
  isolation?: Disposable;
  subscriptions: Disposable[];
}

const STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

function failureMessage(reason: unknown): string {
  if (typeof reason === 'object' && reason !== null && 'error' in reason) {
    const error = (reason as { error: unknown }).error;
    return error instanceof Error ? error.message : String(error);
  }
  if (typeof reason === 'object' && reason !== null && 'isolated' in reason) return 'isolated by hand';
  return 'failure';
}

export class BreakerRegistry implements Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<BreakerListener>();
  private disposed = false;

  /** Masks failure messages before they reach a snapshot; clients add their API keys to it. */
  constructor(readonly redactor: Redactor = createRedactor()) {}

  /** Adds a breaker (a policy and the IBreaker it was built with); a name already present is replaced. */
  register(
    name: string,
    policy: CircuitBreakerPolicy,
    breaker: IBreaker,
    recoveryTimeoutMs: number,
    probeWait: () => number = () => recoveryTimeoutMs,
  ): void {
    this.unregister(name);
    const entry: Entry = {
      name,
      policy,
      breaker,
      recoveryTimeoutMs,
      probeWait,
      failures: 0,
      successes: 0,
      consecutiveFailures: 0,
      subscriptions: [],
    };
    entry.subscriptions.push(
      policy.onFailure((event) => {
        // Unhandled errors (a 404, bad input) are answers, not faults of the server.
        if (!event.handled) return;
        entry.failures++;
        entry.consecutiveFailures++;
        entry.lastFailure = {
          message: this.redactor.redact(failureMessage(event.reason)),
          at: new Date().toISOString(),
        };
      }),
      policy.onSuccess(() => {
        entry.successes++;
        entry.consecutiveFailures = 0;
      }),
      policy.onBreak((reason) => this.onOpen(entry, reason)),
      policy.onStateChange((state) => {
        if (state !== CircuitState.Open) this.clearProbeTimer(entry);
        if (state === CircuitState.Closed) entry.openedAt = undefined;
        this.emit(entry);
      }),
    );
    this.entries.set(name, entry);
    this.emit(entry);
  }

  /** Removes the breaker; with `policy`, only if that policy is still the one registered under the name. */
  unregister(name: string, policy?: CircuitBreakerPolicy): void {
    const entry = this.entries.get(name);
    if (!entry || (policy && entry.policy !== policy)) return;
    this.clearProbeTimer(entry);
    entry.isolation?.dispose();
    for (const subscription of entry.subscriptions) subscription.dispose();
    this.entries.delete(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get(name: string): BreakerInfo | undefined {
    const entry = this.entries.get(name);
    return entry ? this.info(entry) : undefined;
  }

  /** Cheap check for hot paths: true while the breaker refuses calls and no probe is due. */
  blocks(name: string): boolean {
    const entry = this.entries.get(name);
    if (!entry) return false;
    const state = entry.policy.state;
    if (state === CircuitState.Isolated) return true;
    if (state !== CircuitState.Open || entry.openedAt === undefined) return false;
    return Date.now() < entry.openedAt + entry.probeWait();
  }

  snapshot(): BreakerInfo[] {
    return [...this.entries.values()].map((entry) => this.info(entry)).sort((a, b) => a.name.localeCompare(b.name));
  }

  onDidChange(listener: BreakerListener): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Closes the breaker by hand (after fixing the server, say), clearing its consecutive count. */
  reset(name: string): void {
    const entry = this.require(name);
    entry.isolation?.dispose();
    entry.isolation = undefined;
    // cockatiel has no public reset: isolating then releasing lands in Closed.
    entry.policy.isolate().dispose();
    entry.breaker.success(CircuitState.Closed);
    entry.consecutiveFailures = 0;
    entry.openedAt = undefined;
    this.clearProbeTimer(entry);
    this.emit(entry);
  }

  /** Holds the breaker open until the returned handle (or reset) releases it. */
  isolate(name: string): Disposable {
    const entry = this.require(name);
    const handle = entry.policy.isolate();
    entry.isolation = handle;
    return {
      dispose: () => {
        handle.dispose();
        if (entry.isolation === handle) entry.isolation = undefined;
      },
    };
  }

  dispose(): void {
    this.disposed = true;
    for (const name of [...this.entries.keys()]) this.unregister(name);
    this.listeners.clear();
  }

  private require(name: string): Entry {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`no circuit breaker named '${name}' (known: ${[...this.entries.keys()].join(', ')})`);
    return entry;
  }

  private onOpen(entry: Entry, reason: unknown): void {
    entry.openedAt = Date.now();
    this.clearProbeTimer(entry);
    if ('isolated' in (reason as object)) return;
    const timer = setTimeout(() => {
      entry.probeTimer = undefined;
      this.emit(entry);
    }, entry.probeWait() + 1);
    timer.unref();
    entry.probeTimer = timer;
  }

  private clearProbeTimer(entry: Entry): void {
    if (entry.probeTimer) clearTimeout(entry.probeTimer);
    entry.probeTimer = undefined;
  }

  private info(entry: Entry): BreakerInfo {
    const state = STATE_NAMES[entry.policy.state];
    const open = state === 'open' && entry.openedAt !== undefined;
    const nextProbe = open ? entry.openedAt! + entry.probeWait() : undefined;
    return {
      name: entry.name,
      state,
      failures: entry.failures,
      successes: entry.successes,
      consecutiveFailures: entry.consecutiveFailures,
      ...(entry.lastFailure ? { lastFailure: { ...entry.lastFailure } } : {}),
      ...(open ? { openedAt: new Date(entry.openedAt!).toISOString() } : {}),
      ...(nextProbe !== undefined ? { nextProbeAt: new Date(nextProbe).toISOString() } : {}),
      probeDue: nextProbe !== undefined && Date.now() >= nextProbe,
      recoveryTimeoutMs: entry.recoveryTimeoutMs,
    };
  }

  private emit(entry: Entry): void {
    if (this.disposed || this.listeners.size === 0) return;
    const info = this.info(entry);
    for (const listener of [...this.listeners]) listener(info);
  }
}
