/**
 * Verification of a memory copy in bounded memory. Where both servers keep a store
 * digest (extension `digest`), their counts and digests are compared and nothing is
 * read. Otherwise, or when they differ, both stores are read in key order, a page at
 * a time, and merged like two sorted files: a key on one side only, or with another
 * value, is found without holding either key set. Memory stays at a few pages
 * whatever the store's size.
 */
import { OrchestraError } from '../errors';
import { recordHash, StoreDigest } from '../memory/digest';
import type { ListPage, MemoryClient, MemoryRecord } from '../memory/types';
import { mapBounded } from './planner';
import type { StepContext } from './types';

export interface VerifyReport {
  sourceRecords: number;
  targetRecords: number;
  /** The store digest of the source (src/core/memory/digest.ts), which the target's equals. */
  checksum: string;
  /** 'digest': the servers' own digests agreed; 'scan': both stores were read and compared. */
  method: 'digest' | 'scan';
}

/** Keys named in a mismatch message, at most. */
const NAMED_KEYS = 20;
/** Records per list request of the scan (the local server's cap). */
export const SCAN_PAGE = 1000;

export async function verifyCopy(ctx: StepContext, source: MemoryClient, target: MemoryClient): Promise<VerifyReport> {
  const [fromSource, fromTarget] = await Promise.all([
    source.digest?.({ signal: ctx.signal }),
    target.digest?.({ signal: ctx.signal }),
  ]);
  if (
    fromSource &&
    fromTarget &&
    fromSource.records === fromTarget.records &&
    fromSource.digest === fromTarget.digest
  ) {
    report(ctx, fromSource.records, fromTarget.records);
    return {
      sourceRecords: fromSource.records,
      targetRecords: fromTarget.records,
      checksum: fromSource.digest,
      method: 'digest',
    };
  }
  if (fromSource && fromTarget) {
    ctx.logger.info(
      `memory verify: the servers' digests differ (source ${fromSource.records} records, target ${fromTarget.records}): comparing record by record`,
    );
  }
  const diff = await compareStores(ctx, source, target);
  report(ctx, diff.sourceRecords, diff.targetRecords);
  if (diff.extra.count) {
    ctx.metric('memory_target_extra_records', diff.extra.count);
    ctx.logger.warn(
      `memory copy: the target holds ${diff.extra.count} record(s) the source does not, e.g. ${diff.extra.keys.slice(0, 5).join(', ')}`,
    );
  }
  throwOnMismatch(diff);
  return {
    sourceRecords: diff.sourceRecords,
    targetRecords: diff.targetRecords,
    checksum: diff.checksum,
    method: 'scan',
  };
}

function report(ctx: StepContext, source: number, target: number): void {
  ctx.metric('memory_source_records', source);
  ctx.metric('memory_target_records', target);
}

/** Keys of one kind of difference: how many, and the first few by name. */
export interface KeySample {
  count: number;
  keys: string[];
}

export interface StoreDiff {
  sourceRecords: number;
  targetRecords: number;
  /** The source's digest. */
  checksum: string;
  /** The target's digest over the keys the source has too. */
  targetChecksum: string;
  /** The target's digest over all its records. */
  targetWholeChecksum: string;
  missing: KeySample;
  different: KeySample;
  extra: KeySample;
  /** False when a server lists out of key order: the counts and digests hold, the key samples do not. */
  ordered: boolean;
}

/** What one pass over both stores found: a difference handler sees each key that differs. */
export interface DiffHandler {
  missing?(record: MemoryRecord, hash: string): void | Promise<void>;
  different?(record: MemoryRecord, hash: string, targetHash: string): void | Promise<void>;
  extra?(key: string, hash: string): void | Promise<void>;
}

/** Reads both stores in key order and merges them (see the file comment). */
export async function compareStores(
  ctx: StepContext,
  source: MemoryClient,
  target: MemoryClient,
  handler: DiffHandler = {},
): Promise<StoreDiff> {
  const left = new OrderedReader(ctx, source);
  const right = new OrderedReader(ctx, target);
  const sourceDigest = new StoreDigest();
  const sharedDigest = new StoreDigest();
  const targetDigest = new StoreDigest();
  const diff = {
    missing: { count: 0, keys: [] as string[] },
    different: { count: 0, keys: [] as string[] },
    extra: { count: 0, keys: [] as string[] },
  };
  let targetRecords = 0;
  const note = (sample: KeySample, key: string) => {
    sample.count++;
    if (sample.keys.length < NAMED_KEYS) sample.keys.push(key);
  };
  for (;;) {
    const a = left.has() || (await left.fill()) ? left.peek() : undefined;
    const b = right.has() || (await right.fill()) ? right.peek() : undefined;
    if (!a && !b) break;
    if (a && (!b || a.key < b.key)) {
      const hash = recordHash(a.key, a.content);
      sourceDigest.add(hash);
      note(diff.missing, a.key);
      await handler.missing?.(a, hash);
      left.skip();
    } else if (b && (!a || b.key < a.key)) {
      targetRecords++;
      const hash = recordHash(b.key, b.content);
      targetDigest.add(hash);
      note(diff.extra, b.key);
      await handler.extra?.(b.key, hash);
      right.skip();
    } else if (a && b) {
      targetRecords++;
      const hash = recordHash(a.key, a.content);
      const other = recordHash(b.key, b.content);
      sourceDigest.add(hash);
      sharedDigest.add(other);
      targetDigest.add(other);
      if (hash !== other) {
        note(diff.different, a.key);
        await handler.different?.(a, hash, other);
      }
      left.skip();
      right.skip();
    }
  }
  return {
    sourceRecords: sourceDigest.count,
    targetRecords,
    checksum: sourceDigest.value,
    targetChecksum: sharedDigest.value,
    targetWholeChecksum: targetDigest.value,
    ...diff,
    ordered: left.ordered && right.ordered,
  };
}

function throwOnMismatch(diff: StoreDiff): void {
  const { missing, different } = diff;
  if (!diff.ordered) {
    // Without key order the merge cannot pair records: only whole-store figures are sound.
    if (diff.checksum === diff.targetWholeChecksum && diff.sourceRecords === diff.targetRecords) return;
    throw new OrchestraError(
      'MEMORY_COPY_MISMATCH',
      `Memory copy verification failed: the source holds ${diff.sourceRecords} records (digest ${diff.checksum.slice(0, 12)}), the target ${diff.targetRecords} (digest ${diff.targetWholeChecksum.slice(0, 12)}).`,
      {
        where: 'memory-system/copy',
        fix: 'Run execute again to re-copy (reset the Memory System phase to copy from the start).',
      },
    );
  }
  if (!missing.count && !different.count) return;
  const name = (s: KeySample) => s.keys.join(', ') + (s.count > s.keys.length ? `, ... (${s.count} in all)` : '');
  const parts = [
    missing.count ? `${missing.count} missing on the target: ${name(missing)}` : '',
    different.count ? `${different.count} with different content: ${name(different)}` : '',
  ].filter(Boolean);
  throw new OrchestraError('MEMORY_COPY_MISMATCH', `Memory copy verification failed: ${parts.join('; ')}.`, {
    where: 'memory-system/copy',
    fix: 'Run execute again to re-copy (reset the Memory System phase to copy from the start).',
  });
}

/**
 * One store's records in key order, a page at a time, the next page read while this
 * one is compared. Checks the order as it goes: a server that lists out of order is
 * still read to the end (for counts and digests), but flagged.
 */
class OrderedReader {
  private records: MemoryRecord[] = [];
  private i = 0;
  private nextPage: Promise<ListPage> | undefined;
  private done = false;
  private lastKey: string | undefined;
  ordered = true;

  constructor(
    private readonly ctx: StepContext,
    private readonly client: MemoryClient,
  ) {
    this.nextPage = this.read(undefined);
  }

  has(): boolean {
    return this.i < this.records.length;
  }

  peek(): MemoryRecord {
    return this.records[this.i];
  }

  skip(): void {
    this.i++;
  }

  /** Loads the next non-empty page; false at the end. */
  async fill(): Promise<boolean> {
    while (!this.has()) {
      if (this.done || !this.nextPage) return false;
      const page = await this.nextPage;
      this.nextPage = page.cursor ? this.read(page.cursor) : undefined;
      if (!page.cursor) this.done = true;
      this.records = await withContent(this.ctx, this.client, page);
      this.i = 0;
      this.checkOrder();
      if (this.ctx.signal.aborted) throw this.ctx.signal.reason;
    }
    return true;
  }

  private read(cursor: string | undefined): Promise<ListPage> {
    const page = this.client.list(undefined, cursor, {
      limit: SCAN_PAGE,
      includeContent: true,
      signal: this.ctx.signal,
    });
    // Seen by fill(); a read left behind by a failure elsewhere must not be unhandled.
    page.catch(() => undefined);
    return page;
  }

  private checkOrder(): void {
    for (const r of this.records) {
      if (this.lastKey !== undefined && !(r.key > this.lastKey)) this.ordered = false;
      this.lastKey = r.key;
    }
    // Out of order, the merge would pair the wrong records: read this side to the end alone.
    if (!this.ordered) this.lastKey = undefined;
  }
}

/** Servers that ignore includeContent answer keys only: fetch those records one by one. */
export async function withContent(ctx: StepContext, client: MemoryClient, page: ListPage): Promise<MemoryRecord[]> {
  if (page.records) return page.records;
  const records = await mapBounded(page.keys, 16, (key) => client.get(key, { signal: ctx.signal }));
  return records.filter((r): r is MemoryRecord => r !== undefined);
}
