/**
 * Pages of the changes feed applied two at a time: a page that shares no key with the one
 * still being written goes beside it; one that does (a key changed again after the first
 * page was read) waits, so the newer value lands last. Marks are saved in page order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { nullLogger } from '../../../src/core/logger';
import type { ChangeMark, ChangePage, MemoryClient, SetManyRecord } from '../../../src/core/memory/types';
import { syncChanges } from '../../../src/core/migration/memory-sync';
import type { StepContext } from '../../../src/core/migration/types';

const EPOCH = 'e1';

function stepContext(): StepContext {
  return {
    logger: nullLogger,
    signal: new AbortController().signal,
    metric: () => undefined,
    progress: () => undefined,
  } as unknown as StepContext;
}

const set = (key: string, value: string, seq: number) => ({
  op: 'set' as const,
  key,
  seq,
  createdSeq: 1,
  record: { key, content: value },
});

/** A source whose feed serves the pages given, one per read, in order. */
function feed(pages: ChangePage[], reads: number[]): MemoryClient {
  return {
    changes: async (at: ChangeMark) => {
      reads.push(at.seq);
      return pages.find((_, i) => (i === 0 ? 1 : pages[i - 1].next.seq) === at.seq);
    },
  } as unknown as MemoryClient;
}

/** A target that holds each write of page one (key a/1) until `release`, and keeps the values. */
function heldTarget() {
  const values = new Map<string, unknown>();
  const writes: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let secondStarted!: () => void;
  const second = new Promise<void>((resolve) => (secondStarted = resolve));
  const target = {
    setMany: async (records: SetManyRecord[]) => {
      const first = records.some((r) => r.key === 'a/1');
      writes.push(`start ${records.map((r) => `${r.key}=${String(r.content)}`).join(',')}`);
      if (first) await released;
      else secondStarted();
      for (const r of records) values.set(r.key, r.content);
      writes.push(`end ${records.map((r) => r.key).join(',')}`);
      return records.map(() => ({ queued: false }));
    },
  } as unknown as MemoryClient;
  return { target, values, writes, release, second };
}

const pageOne: ChangePage = {
  changes: [set('a/1', 'v1', 2), set('k', 'old', 3)],
  next: { epoch: EPOCH, seq: 3 },
  more: true,
};

describe('memory sync: pages of changes applied two at a time', () => {
  it('applies a page with other keys beside the one still being written; marks are saved in page order', async () => {
    const pageTwo: ChangePage = { changes: [set('b/1', 'v1', 4)], next: { epoch: EPOCH, seq: 4 }, more: false };
    const { target, values, writes, release, second } = heldTarget();
    const marks: number[] = [];
    const sync = syncChanges(stepContext(), feed([pageOne, pageTwo], []), target, { epoch: EPOCH, seq: 1 }, (m) => {
      marks.push(m.seq);
      return Promise.resolve();
    });
    // Page two's write starts while page one's is held: they run side by side.
    await second;
    assert.deepEqual(marks, [], 'no mark is saved while page one is unwritten');
    release();
    const result = await sync;
    await result.saved;
    assert.deepEqual(marks, [3, 4]);
    assert.deepEqual(result.mark, { epoch: EPOCH, seq: 4 });
    assert.equal(values.get('b/1'), 'v1');
    assert.ok(writes.indexOf('start b/1=v1') < writes.indexOf('end a/1,k'), writes.join(' | '));
  });

  it('waits for the page being written when the next page changes one of its keys again: the newer value lands last', async () => {
    const pageTwo: ChangePage = { changes: [set('k', 'new', 5)], next: { epoch: EPOCH, seq: 5 }, more: false };
    const reads: number[] = [];
    const { target, values, writes, release } = heldTarget();
    const sync = syncChanges(stepContext(), feed([pageOne, pageTwo], reads), target, { epoch: EPOCH, seq: 1 }, () =>
      Promise.resolve(),
    );
    // Page two is read while page one is held; its write must not start until page one's ends.
    while (reads.length < 2) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(writes, ['start a/1=v1,k=old'], 'page two waits');
    release();
    await sync;
    assert.deepEqual(writes, ['start a/1=v1,k=old', 'end a/1,k', 'start k=new', 'end k']);
    assert.equal(values.get('k'), 'new');
  });
});
