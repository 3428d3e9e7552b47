import * as assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { abortReason, sleep, untilAborted } from '../../../src/core/util/sleep';

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

describe('untilAborted', () => {
  it('an already aborted wait leaves no unhandled rejection when the abandoned work fails later', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    const mochaListeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', onUnhandled);
    try {
      let fail!: (error: Error) => void;
      const work = new Promise<string>((_, reject) => (fail = reject));
      const controller = new AbortController();
      controller.abort(new Error('stopped by the user'));
      await assert.rejects(untilAborted(work, controller.signal), /stopped by the user/);
      // The shared fetch sees the same abort a moment later and fails.
      fail(new Error('The user aborted a request.'));
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      for (const listener of mochaListeners) process.on('unhandledRejection', listener);
    }
  });

  it('a wait aborted while the work runs rejects with the reason; the work goes on for others', async () => {
    let finish!: (value: string) => void;
    const work = new Promise<string>((resolve) => (finish = resolve));
    const controller = new AbortController();
    const waiting = untilAborted(work, controller.signal);
    controller.abort(new Error('cancelled'));
    await assert.rejects(waiting, /cancelled/);
    finish('token');
    assert.equal(await work, 'token');
  });
});
