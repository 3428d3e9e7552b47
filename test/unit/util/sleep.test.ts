import * as assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { abortReason, sleep } from '../../../src/core/util/sleep';

describe('util/sleep', () => {
  it('resolves, and leaves no listener on the signal', async () => {
    const controller = new AbortController();
    await sleep(0, controller.signal);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('a cancelled wait rejects at once with the reason the canceller gave', async () => {
    const controller = new AbortController();
    const waiting = sleep(3_600_000, controller.signal);
    controller.abort(new Error('cancelled by the user'));
    await assert.rejects(waiting, { message: 'cancelled by the user' });
  });

  it('a signal already aborted rejects without waiting', async () => {
    await assert.rejects(sleep(3_600_000, AbortSignal.abort(new Error('stop'))), { message: 'stop' });
  });

  it('a reason that is not an Error becomes one, keeping the reason as its cause', () => {
    const controller = new AbortController();
    controller.abort('closed');
    const error = abortReason(controller.signal);
    assert.ok(error instanceof Error);
    assert.equal(error.message, 'cancelled');
    assert.equal(error.cause, 'closed');
  });
});
