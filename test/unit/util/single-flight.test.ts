import * as assert from 'node:assert/strict';
import { SingleFlight } from '../../../src/core/util/single-flight';

/** A task whose runs the test settles by hand. */
function controlled() {
  const runs: { resolve: (v: number) => void; reject: (e: Error) => void }[] = [];
  const task = () => new Promise<number>((resolve, reject) => runs.push({ resolve, reject }));
  return { runs, flight: new SingleFlight(task) };
}

describe('util/single-flight', () => {
  it('calls made while a run is in flight join it', async () => {
    const { runs, flight } = controlled();
    const a = flight.run();
    const b = flight.run();
    assert.equal(runs.length, 1);
    assert.equal(flight.current, a);
    runs[0].resolve(7);
    assert.deepEqual(await Promise.all([a, b]), [7, 7]);
  });

  it('the first call after a run settles starts a new one', async () => {
    const { runs, flight } = controlled();
    const first = flight.run();
    runs[0].resolve(1);
    await first;
    assert.equal(flight.current, undefined);
    const second = flight.run();
    assert.equal(runs.length, 2);
    runs[1].resolve(2);
    assert.equal(await second, 2);
  });

  it('a failure reaches every joined caller, and the next call retries', async () => {
    const { runs, flight } = controlled();
    const a = flight.run();
    const b = flight.run();
    runs[0].reject(new Error('connect ECONNREFUSED'));
    await assert.rejects(a, /ECONNREFUSED/);
    await assert.rejects(b, /ECONNREFUSED/);
    const retry = flight.run();
    assert.equal(runs.length, 2);
    runs[1].resolve(3);
    assert.equal(await retry, 3);
  });

  it('after forget() a call starts afresh, and the old run settling does not clear the new one', async () => {
    const { runs, flight } = controlled();
    const old = flight.run();
    flight.forget();
    const fresh = flight.run();
    assert.equal(runs.length, 2);
    runs[0].resolve(1);
    await old;
    assert.equal(flight.current, fresh);
    runs[1].resolve(2);
    assert.equal(await fresh, 2);
  });
});
