import * as assert from 'node:assert/strict';
import { mock } from 'node:test';
import { BrokenCircuitError } from 'cockatiel';
import type { BreakerConfig } from '../../../src/core/config/types';
import {
  BreakerRegistry,
  CallTimeoutError,
  circuitBreak,
  createPolicy,
  DEFAULT_BREAKER_CONFIG,
  type BreakerInfo,
} from '../../../src/core/resilience';

const fast: BreakerConfig = {
  ...DEFAULT_BREAKER_CONFIG,
  failureThreshold: 3,
  recoveryTimeoutMs: 150,
  retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
  timeoutMs: 200,
  maxConcurrency: 4,
};

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createPolicy', () => {
  let registry: BreakerRegistry;
  beforeEach(() => (registry = new BreakerRegistry()));
  afterEach(() => registry.dispose());

  it('retries a transient failure up to maxAttempts, then succeeds', async () => {
    const policy = createPolicy('t:retry', fast, registry);
    let calls = 0;
    const result = await policy.execute(async () => {
      if (++calls < 3) throw Object.assign(new Error('unavailable'), { status: 503 });
      return 'ok';
    });
    assert.equal(result, 'ok');
    assert.equal(calls, 3);
  });

  it('does not retry a 4xx answer, and the breaker does not count it', async () => {
    const policy = createPolicy('t:4xx', fast, registry);
    let calls = 0;
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        policy.execute(async () => {
          calls++;
          throw Object.assign(new Error('bad request'), { status: 400 });
        }),
        /bad request/,
      );
    }
    assert.equal(calls, 5);
    assert.equal(registry.get('t:4xx')?.state, 'closed');
    assert.equal(registry.get('t:4xx')?.failures, 0);
  });

  it('opens after the threshold and then fails fast without calling or retrying', async () => {
    const policy = createPolicy('t:open', fast, registry);
    let calls = 0;
    const failing = async () => {
      calls++;
      throw refused();
    };
    await assert.rejects(policy.execute(failing), /ECONNREFUSED/);
    assert.equal(calls, 3, 'three attempts, the threshold');
    assert.equal(registry.get('t:open')?.state, 'open');
    await assert.rejects(policy.execute(failing), BrokenCircuitError);
    assert.equal(calls, 3, 'no attempt while open, and the BrokenCircuitError is not retried');
  });

  it('times out a slow call cooperatively (its signal aborts) and reports a CallTimeoutError', async () => {
    const policy = createPolicy('t:timeout', { ...fast, retry: { ...fast.retry, maxAttempts: 1 } }, registry);
    let aborted = false;
    await assert.rejects(
      policy.execute(
        ({ signal }) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              aborted = true;
              reject(new Error('aborted'));
            });
          }),
      ),
      CallTimeoutError,
    );
    assert.equal(aborted, true);
    assert.equal(registry.get('t:timeout')?.failures, 1);
  });

  it("honours the caller's AbortSignal without retrying", async () => {
    const policy = createPolicy('t:abort', fast, registry);
    const controller = new AbortController();
    let calls = 0;
    const run = policy.execute(({ signal }) => {
      calls++;
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('cancelled'))));
    }, controller.signal);
    controller.abort();
    await assert.rejects(run);
    assert.equal(calls, 1);
  });

  it('bounds concurrency with the bulkhead, queueing the rest', async () => {
    const policy = createPolicy('t:bulkhead', fast, registry);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        policy.execute(async () => {
          peak = Math.max(peak, ++running);
          await sleep(5);
          running--;
          return i;
        }),
      ),
    );
    assert.equal(peak, 4);
    assert.deepEqual(
      results,
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  it('selects the sampling breaker', async () => {
    const policy = createPolicy(
      't:sampling',
      {
        ...fast,
        kind: 'sampling',
        samplingThreshold: 0.5,
        samplingDurationMs: 1_000,
        samplingMinimumRps: 1,
        retry: { ...fast.retry, maxAttempts: 1 },
      },
      registry,
    );
    for (let i = 0; i < 10; i++) await policy.execute(async () => 'ok');
    // Below half failing: stays closed, where a consecutive breaker of 3 would have opened.
    for (let i = 0; i < 4; i++) await assert.rejects(policy.execute(async () => Promise.reject(refused())));
    assert.equal(registry.get('t:sampling')?.state, 'closed');
    for (let i = 0; i < 20 && registry.get('t:sampling')?.state === 'closed'; i++) {
      await policy.execute(async () => Promise.reject(refused())).catch(() => undefined);
    }
    assert.equal(registry.get('t:sampling')?.state, 'open');
  });
});

describe('BreakerRegistry', () => {
  let registry: BreakerRegistry;
  beforeEach(() => (registry = new BreakerRegistry()));
  afterEach(() => registry.dispose());

  async function openIt(name: string) {
    const policy = createPolicy(name, fast, registry);
    await policy.execute(async () => Promise.reject(refused())).catch(() => undefined);
    assert.equal(registry.get(name)?.state, 'open');
    return policy;
  }

  it('reports probe due on time, with an event, without any call', async () => {
    await openIt('r:probe');
    const info = registry.get('r:probe')!;
    assert.equal(info.probeDue, false);
    assert.equal(Date.parse(info.nextProbeAt!) - Date.parse(info.openedAt!), fast.recoveryTimeoutMs);
    const due = await new Promise<BreakerInfo>((resolve) => {
      const sub = registry.onDidChange((changed) => {
        if (changed.probeDue) {
          sub.dispose();
          resolve(changed);
        }
      });
    });
    assert.equal(due.state, 'open');
    assert.ok(Date.now() >= Date.parse(due.nextProbeAt!));
  });

  it('goes half-open on the probe call and closed when it succeeds', async () => {
    const policy = await openIt('r:recover');
    const states: string[] = [];
    registry.onDidChange((info) => states.push(info.state));
    // The breaker's clock is Date: stepped by hand from the moment it opened, not slept on.
    mock.timers.enable({ apis: ['Date'], now: Date.parse(registry.get('r:recover')!.openedAt!) });
    try {
      mock.timers.tick(fast.recoveryTimeoutMs - 10);
      await assert.rejects(
        policy.execute(async () => 'too soon'),
        BrokenCircuitError,
        'still open before its time',
      );
      mock.timers.tick(10);
      assert.equal(await policy.execute(async () => 'back'), 'back');
    } finally {
      mock.timers.reset();
    }
    assert.deepEqual(
      states.filter((s) => s !== 'open'),
      ['half-open', 'closed'],
    );
    const info = registry.get('r:recover')!;
    assert.equal(info.state, 'closed');
    assert.equal(info.openedAt, undefined);
    assert.equal(info.probeDue, false);
  });

  it('gives a JSON snapshot with counts and the last failure', async () => {
    await openIt('r:snap-b');
    createPolicy('r:snap-a', fast, registry);
    const snapshot = JSON.parse(JSON.stringify(registry.snapshot())) as BreakerInfo[];
    assert.deepEqual(
      snapshot.map((b) => [b.name, b.state]),
      [
        ['r:snap-a', 'closed'],
        ['r:snap-b', 'open'],
      ],
    );
    assert.equal(snapshot[1].failures, 3);
    assert.equal(snapshot[1].consecutiveFailures, 3);
    assert.match(snapshot[1].lastFailure!.message, /ECONNREFUSED/);
    assert.ok(!Number.isNaN(Date.parse(snapshot[1].lastFailure!.at)));
  });

  it('resets by hand: closed again, the consecutive count cleared', async () => {
    const policy = await openIt('r:reset');
    registry.reset('r:reset');
    assert.equal(registry.get('r:reset')?.state, 'closed');
    // One more failure must not re-open at once: the count started over.
    await policy.execute(async () => Promise.reject(refused())).catch(() => undefined);
    assert.equal(registry.get('r:reset')?.state, 'open', 'three attempts of one call reach the threshold again');
    registry.reset('r:reset');
    const single = createPolicy('r:reset', { ...fast, retry: { ...fast.retry, maxAttempts: 1 } }, registry);
    await single.execute(async () => Promise.reject(refused())).catch(() => undefined);
    assert.equal(registry.get('r:reset')?.state, 'closed');
  });

  it('isolates by hand until the handle is released', async () => {
    const policy = createPolicy('r:isolate', fast, registry);
    const handle = registry.isolate('r:isolate');
    assert.equal(registry.get('r:isolate')?.state, 'isolated');
    await assert.rejects(
      policy.execute(async () => 'never'),
      BrokenCircuitError,
    );
    handle.dispose();
    assert.equal(registry.get('r:isolate')?.state, 'closed');
    assert.equal(await policy.execute(async () => 'again'), 'again');
  });

  it('names the known breakers when asked for an unknown one', () => {
    createPolicy('r:known', fast, registry);
    assert.throws(() => registry.reset('r:unknown'), /no circuit breaker named 'r:unknown' \(known: r:known\)/);
  });

  it('leaves no timer behind after dispose', async () => {
    await openIt('r:dispose');
    let events = 0;
    registry.onDidChange(() => events++);
    registry.dispose();
    await sleep(fast.recoveryTimeoutMs + 30);
    assert.equal(events, 0);
  });
});

describe('circuitBreak', () => {
  it('wraps an async function: same arguments, policy applied, registered by name', async () => {
    const registry = new BreakerRegistry();
    let calls = 0;
    const fetchThing = circuitBreak(
      async (id: number, _signal: AbortSignal) => {
        calls++;
        if (id < 0) throw refused();
        return `thing ${id}`;
      },
      {
        name: 'cb:thing',
        registry,
        config: { failureThreshold: 2, retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 } },
      },
    );
    assert.equal(await fetchThing(7), 'thing 7');
    await assert.rejects(fetchThing(-1), /ECONNREFUSED/);
    await assert.rejects(fetchThing(-1), /ECONNREFUSED/);
    await assert.rejects(fetchThing(8), BrokenCircuitError);
    assert.equal(calls, 3);
    assert.equal(registry.get('cb:thing')?.state, 'open');
    registry.reset('cb:thing');
    assert.equal(await fetchThing(9), 'thing 9');
    registry.dispose();
  });
});
