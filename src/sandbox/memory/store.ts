/**
 * The local memory server's data: an in-memory map made durable by an append-only
 * log (one JSON line per applied change, holding the record's full new state so
 * replay is idempotent). A write is acknowledged only after its line is fsync'd,
 * with concurrent writes sharing one fsync. Compaction rewrites the log as one line
 * per live record (temp file + rename), so a crash at any point leaves either the
 * old or the new file, both complete.
 */
import * as path from 'node:path';
import { AppendLog } from '../../core/memory/append-log';
import { recordHash, StoreDigest } from '../../core/memory/digest';
import { BoundedMap } from '../../core/util/bounded-map';
import type { JsonValue } from '../../core/memory/types';
import { ChangeFeed, type FeedPage } from './feed';

export interface StoredRecord {
  key: string;
  content: JsonValue;
  scope?: string;
  ttl?: number;
  createdAt: string;
  updatedAt: string;
  /** 1 on the first write of a key, +1 on each write after it. */
  version: number;
  /** The store's change sequence number of this write (the changes feed). */
  seq: number;
  /** The sequence number of the write that created the key. */
  createdSeq: number;
  expiresAt?: number;
}

export interface WriteOp {
  op: 'set' | 'delete';
  key: string;
  content?: JsonValue;
  scope?: string;
  ttl?: number;
  /** Idempotency key: a write with an id already applied is acknowledged again, not re-applied. */
  id?: string;
}

export interface WriteOutcome {
  key: string;
  op: 'set' | 'delete';
  /** set: the record's version; delete: whether a record was removed. */
  version?: number;
  deleted?: boolean;
  updatedAt?: string;
  duplicate?: boolean;
}

type LogLine =
  | { t: 'set'; r: StoredRecord; id?: string }
  | { t: 'del'; key: string; id?: string; deleted: boolean; seq?: number; createdSeq?: number }
  | { t: 'ids'; ids: [string, WriteOutcome][] }
  | { t: 'feed'; epoch: string; seq: number; horizon: number }
  | { t: 'mode'; readOnly: boolean };

/** A write refused because the store is read-only (the source after a cutover). */
export class ReadOnlyError extends Error {
  constructor() {
    super('the memory store is read-only (the migration cut over to the cloud): write to the new endpoint instead');
  }
}

/** Records hashed per turn of the event loop while the digest is first built. */
const DIGEST_SLICE = 5000;
const MAX_REMEMBERED_IDS = 200_000;
const LOG_FILE = 'memory.log.jsonl';

export class MemoryStore {
  private readonly records = new Map<string, StoredRecord>();
  private readonly applied = new BoundedMap<string, WriteOutcome>(MAX_REMEMBERED_IDS);
  /**
   * The records in key order, for list: built on the first list after a key is added or
   * removed. An update replaces its record in place, so lists need no lookup per record.
   */
  private sorted: StoredRecord[] | undefined;
  private lines = 0;
  private compacting: Promise<void> | undefined;
  readonly feed = new ChangeFeed();
  private readOnlyMode = false;
  /** Per-record hashes and their sum, built on the first digest asked for, then kept up to date by each write. */
  private hashes: Map<string, string> | undefined;
  private sum: StoreDigest | undefined;
  private building: Promise<void> | undefined;

  private constructor(
    private readonly log: AppendLog,
    private readonly now: () => number,
  ) {}

  /** `now` is the clock records expire by (tests step one of their own). */
  static async open(dataDir: string, now: () => number = Date.now): Promise<MemoryStore> {
    const file = path.join(dataDir, LOG_FILE);
    const lines = await AppendLog.read<LogLine>(file);
    const store = new MemoryStore(await AppendLog.open(file), now);
    for (const line of lines) store.replay(line);
    store.lines = lines.length;
    // A store without a feed line (new, or written before the feed) starts its epoch now.
    if (!lines.some((l) => l.t === 'feed')) {
      await store.log.append(store.feedLine());
      store.lines++;
    }
    store.feed.compact(store.records.values(), store.records.size, true);
    return store;
  }

  get readOnly(): boolean {
    return this.readOnlyMode;
  }

  /** Durable: a read-only store stays read-only across a restart until set writable again. */
  async setReadOnly(readOnly: boolean): Promise<void> {
    if (readOnly === this.readOnlyMode) return;
    this.readOnlyMode = readOnly;
    this.lines++;
    await this.log.append({ t: 'mode', readOnly } satisfies LogLine);
  }

  /**
   * The record count and digest (src/core/memory/digest.ts) of the live records, and the
   * feed's head. The first call hashes every record, in slices between other requests
   * (a large store takes seconds); every write after keeps it current.
   */
  async digest(): Promise<{ records: number; digest: string; epoch: string; seq: number }> {
    this.building ??= this.buildDigest();
    await this.building;
    const sum = this.sum!;
    return { records: sum.count, digest: sum.value, epoch: this.feed.epoch, seq: this.feed.seq };
  }

  private async buildDigest(): Promise<void> {
    const hashes = (this.hashes = new Map());
    const sum = (this.sum = new StoreDigest());
    const keys = [...this.records.keys()];
    const now = this.now();
    for (let i = 0; i < keys.length; i++) {
      // Writes made meanwhile hashed their keys already (rehash): not counted twice.
      const r = this.records.get(keys[i]);
      if (r && !hashes.has(r.key) && (r.expiresAt === undefined || r.expiresAt > now)) {
        const hash = recordHash(r.key, r.content);
        hashes.set(r.key, hash);
        sum.add(hash);
      }
      if (i % DIGEST_SLICE === DIGEST_SLICE - 1) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** What changed after `since` (see ChangeFeed.since). */
  changes(since: number, limit: number): FeedPage<StoredRecord> {
    const now = this.now();
    return this.feed.since(since, limit, (key) => {
      const record = this.records.get(key);
      if (!record || (record.expiresAt !== undefined && record.expiresAt <= now)) return undefined;
      return { record, seq: record.seq, createdSeq: record.createdSeq };
    });
  }

  get size(): number {
    return this.records.size;
  }

  get logLines(): number {
    return this.lines;
  }

  get(key: string, now = this.now()): StoredRecord | undefined {
    const record = this.records.get(key);
    if (!record) return undefined;
    return record.expiresAt !== undefined && record.expiresAt <= now ? undefined : record;
  }

  async write(op: WriteOp): Promise<WriteOutcome> {
    return (await this.writeMany([op]))[0];
  }

  /** Applies the ops in order and resolves once all of them are on disk. */
  async writeMany(ops: WriteOp[]): Promise<WriteOutcome[]> {
    if (this.readOnlyMode) throw new ReadOnlyError();
    const lines: LogLine[] = [];
    const outcomes = ops.map((op) => this.apply(op, lines));
    this.feed.compact(this.records.values(), this.records.size);
    if (lines.length > 0) {
      this.lines += lines.length;
      await this.log.appendMany(lines);
    }
    return outcomes;
  }

  /** Keys in order, after `cursor` (exclusive), with the prefix; expired records are skipped. */
  list(prefix: string, cursor: string | undefined, limit: number): { records: StoredRecord[]; next?: string } {
    const sorted = this.sortedRecords();
    const start = cursor !== undefined && cursor >= prefix ? cursor : undefined;
    let i = lowerBound(sorted, start ?? prefix);
    if (start !== undefined && sorted[i]?.key === start) i++;
    const now = this.now();
    const records: StoredRecord[] = [];
    for (; i < sorted.length && records.length < limit; i++) {
      const record = sorted[i];
      if (!record.key.startsWith(prefix)) break;
      if (record.expiresAt === undefined || record.expiresAt > now) records.push(record);
    }
    const more = i < sorted.length && sorted[i].key.startsWith(prefix);
    return more && records.length > 0 ? { records, next: records[records.length - 1].key } : { records };
  }

  /** Rewrites the log as the live state; safe while writes continue. */
  compact(): Promise<void> {
    this.compacting ??= (async () => {
      try {
        const now = this.now();
        const snapshot: LogLine[] = [this.feedLine()];
        if (this.readOnlyMode) snapshot.push({ t: 'mode', readOnly: true });
        for (const record of this.records.values()) {
          if (record.expiresAt === undefined || record.expiresAt > now) snapshot.push({ t: 'set', r: record });
        }
        for (const [key, stone] of this.feed.tombstones) snapshot.push({ t: 'del', key, deleted: true, ...stone });
        snapshot.push({ t: 'ids', ids: [...this.applied.entries()] });
        await this.log.rewrite(snapshot);
        this.lines = snapshot.length;
      } finally {
        this.compacting = undefined;
      }
    })();
    return this.compacting;
  }

  async close(): Promise<void> {
    if (this.compacting) await this.compacting;
    await this.log.close();
  }

  private apply(op: WriteOp, lines: LogLine[]): WriteOutcome {
    const seen = op.id !== undefined ? this.applied.get(op.id) : undefined;
    if (seen) return { ...seen, duplicate: true };
    const outcome = op.op === 'set' ? this.applySet(op, lines) : this.applyDelete(op, lines);
    if (op.id !== undefined) this.remember(op.id, outcome);
    return outcome;
  }

  private applySet(op: WriteOp, lines: LogLine[]): WriteOutcome {
    const now = new Date(this.now());
    const previous = this.records.get(op.key);
    const seq = this.feed.next();
    const record: StoredRecord = {
      key: op.key,
      content: op.content ?? null,
      ...(op.scope !== undefined ? { scope: op.scope } : {}),
      ...(op.ttl !== undefined ? { ttl: op.ttl, expiresAt: now.getTime() + op.ttl * 1000 } : {}),
      createdAt: previous?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
      version: (previous?.version ?? 0) + 1,
      seq,
      createdSeq: previous?.createdSeq ?? seq,
    };
    this.feed.noteSet(op.key, seq);
    this.rehash(op.key, record);
    if (!previous) this.sorted = undefined;
    else if (this.sorted) this.sorted[lowerBound(this.sorted, op.key)] = record;
    this.records.set(op.key, record);
    lines.push({ t: 'set', r: record, ...(op.id !== undefined ? { id: op.id } : {}) });
    return { key: op.key, op: 'set', version: record.version, updatedAt: record.updatedAt };
  }

  private applyDelete(op: WriteOp, lines: LogLine[]): WriteOutcome {
    const previous = this.records.get(op.key);
    const deleted = this.get(op.key) !== undefined;
    const seq = this.feed.next();
    const createdSeq = previous?.createdSeq ?? seq;
    if (previous) this.feed.noteDelete(op.key, { seq, createdSeq });
    if (this.records.delete(op.key)) this.sorted = undefined;
    this.rehash(op.key, undefined);
    lines.push({ t: 'del', key: op.key, deleted, seq, createdSeq, ...(op.id !== undefined ? { id: op.id } : {}) });
    return { key: op.key, op: 'delete', deleted };
  }

  private replay(line: LogLine): void {
    if (line.t === 'set') {
      // Logs from before the feed have no sequence numbers: numbered in log order.
      if (line.r.seq === undefined) line.r.seq = line.r.createdSeq = this.feed.next();
      this.feed.noteSet(line.r.key, line.r.seq);
      this.records.set(line.r.key, line.r);
      if (line.id !== undefined)
        this.remember(line.id, { key: line.r.key, op: 'set', version: line.r.version, updatedAt: line.r.updatedAt });
    } else if (line.t === 'del') {
      const seq = line.seq ?? this.feed.next();
      if (line.deleted || this.records.has(line.key))
        this.feed.noteDelete(line.key, {
          seq,
          createdSeq: line.createdSeq ?? this.records.get(line.key)?.createdSeq ?? seq,
        });
      else this.feed.seq = Math.max(this.feed.seq, seq);
      this.records.delete(line.key);
      if (line.id !== undefined) this.remember(line.id, { key: line.key, op: 'delete', deleted: line.deleted });
    } else if (line.t === 'ids') {
      for (const [id, outcome] of line.ids) this.remember(id, outcome);
    } else if (line.t === 'feed') {
      this.feed.epoch = line.epoch;
      this.feed.seq = Math.max(this.feed.seq, line.seq);
      this.feed.horizon = Math.max(this.feed.horizon, line.horizon);
    } else if (line.t === 'mode') {
      this.readOnlyMode = line.readOnly;
    }
    this.sorted = undefined;
  }

  private feedLine(): LogLine {
    return { t: 'feed', epoch: this.feed.epoch, seq: this.feed.seq, horizon: this.feed.horizon };
  }

  /** Keeps the digest up to date, once someone asked for it. */
  private rehash(key: string, record: StoredRecord | undefined): void {
    if (!this.sum || !this.hashes) return;
    const old = this.hashes.get(key);
    if (old !== undefined) this.sum.remove(old);
    if (record) {
      const hash = recordHash(key, record.content);
      this.hashes.set(key, hash);
      this.sum.add(hash);
    } else this.hashes.delete(key);
  }

  private remember(id: string, outcome: WriteOutcome): void {
    this.applied.set(id, outcome);
  }

  private sortedRecords(): StoredRecord[] {
    this.sorted ??= [...this.records.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return this.sorted;
  }
}

/** The index of the first record whose key is not below `key`. */
function lowerBound(sorted: StoredRecord[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid].key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
