/**
 * The local memory server's changes feed (docs/memory-api.md, extension `changes`):
 * every applied write gets the next sequence number of the store's epoch; a reader
 * that remembers the last number it saw asks for what changed after it and gets
 * each changed key once, at its latest change: a set (with the record) or a delete
 * (from a tombstone). Tombstones are kept up to MAX_TOMBSTONES; the oldest dropped
 * raise the horizon, and a reader from before the horizon is told to rescan.
 */
import { randomUUID } from 'node:crypto';

export const MAX_TOMBSTONES = 100_000;

export interface Tombstone {
  seq: number;
  createdSeq: number;
}

/** The latest change of a key, as the feed reports it. */
export interface FeedChange<R> {
  op: 'set' | 'delete';
  key: string;
  seq: number;
  /** The sequence number of the write that created the key (new since the reader's mark when above it). */
  createdSeq: number;
  record?: R;
}

export interface FeedPage<R> {
  changes: FeedChange<R>[];
  /** The mark to ask from next: the sequence number of the last change looked at, or the head. */
  next: number;
  more: boolean;
}

/** A reader's mark lies before what the feed still holds, or belongs to another epoch: it must rescan. */
export class FeedExpiredError extends Error {}

export class ChangeFeed {
  /** Names this store's numbering: a store rebuilt from nothing starts a new epoch. */
  epoch: string = randomUUID();
  seq = 0;
  /** Marks below this lost tombstones: their readers must rescan. */
  horizon = 0;
  readonly tombstones = new Map<string, Tombstone>();
  /** (seq, key) in sequence order; superseded entries are skipped on read and dropped by compaction. */
  private entries: { seq: number; key: string }[] = [];

  next(): number {
    return ++this.seq;
  }

  noteSet(key: string, seq: number): void {
    this.seq = Math.max(this.seq, seq);
    this.tombstones.delete(key);
    this.entries.push({ seq, key });
  }

  noteDelete(key: string, tombstone: Tombstone): void {
    this.seq = Math.max(this.seq, tombstone.seq);
    // Re-inserted, so the map stays in sequence order and the oldest is evicted first.
    this.tombstones.delete(key);
    this.tombstones.set(key, tombstone);
    this.entries.push({ seq: tombstone.seq, key });
    if (this.tombstones.size > MAX_TOMBSTONES) {
      const [oldest, stone] = this.tombstones.entries().next().value as [string, Tombstone];
      this.tombstones.delete(oldest);
      this.horizon = Math.max(this.horizon, stone.seq);
    }
  }

  /**
   * Changes after `since`, at most `limit`. `current` gives a key's live record and its
   * sequence numbers (undefined when it has none, e.g. expired).
   */
  since<R>(
    since: number,
    limit: number,
    current: (key: string) => { record: R; seq: number; createdSeq: number } | undefined,
  ): FeedPage<R> {
    if (since < this.horizon) {
      throw new FeedExpiredError(
        `changes since ${since} are no longer kept (the feed holds changes after ${this.horizon}): read the whole store again`,
      );
    }
    const changes: FeedChange<R>[] = [];
    let i = this.firstAfter(since);
    let next = since;
    for (; i < this.entries.length && changes.length < limit; i++) {
      const { seq, key } = this.entries[i];
      next = seq;
      const live = current(key);
      if (live?.seq === seq) {
        changes.push({ op: 'set', key, seq, createdSeq: live.createdSeq, record: live.record });
        continue;
      }
      const stone = this.tombstones.get(key);
      if (stone?.seq === seq) changes.push({ op: 'delete', key, seq, createdSeq: stone.createdSeq });
    }
    const more = i < this.entries.length;
    return { changes, next: more ? next : this.seq, more };
  }

  /**
   * Drops superseded entries once they outnumber the live ones; `rebuild` always (after a
   * replay, whose lines need not come in sequence order).
   */
  compact(live: Iterable<{ key: string; seq: number }>, liveCount: number, rebuild = false): void {
    if (!rebuild && this.entries.length <= 2 * (liveCount + this.tombstones.size) + 1000) return;
    const entries: { seq: number; key: string }[] = [];
    for (const { key, seq } of live) entries.push({ seq, key });
    for (const [key, { seq }] of this.tombstones) entries.push({ seq, key });
    this.entries = entries.sort((a, b) => a.seq - b.seq);
  }

  private firstAfter(since: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid].seq <= since) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
