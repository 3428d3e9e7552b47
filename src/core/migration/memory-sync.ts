/**
 * Incremental sync of the memory copy: after the first full copy, only what changed
 * on the source since the last checkpoint moves. By the source's changes feed
 * (extension `changes`: each changed key once, set or delete, after a mark) where it
 * has one; else by a checksummed scan of both stores in key order (memory-verify.ts),
 * which finds the same new, changed and deleted records at the cost of reading both.
 * Each page of changes is applied, then its mark saved, so a killed sync resumes.
 */
import { quickSha256 } from '../util/canonical';
import { compareStores, type StoreDiff } from './memory-verify';
import { mapBounded } from './planner';
import type { ChangeMark, MemoryChange, MemoryClient, MemoryRecord, SetManyRecord } from '../memory/types';
import type { StepContext } from './types';

export interface Delta {
  added: number;
  updated: number;
  deleted: number;
  /** 'changes': read from the source's changes feed; 'scan': both stores compared. */
  method: 'changes' | 'scan';
}

/** Changes read per request of the feed. */
export const SYNC_PAGE = 1000;
/** Records per batched write, and deletes in flight. */
const WRITE_BATCH = 500;
const DELETES_IN_FLIGHT = 16;

export const deltaSize = (d: Delta): number => d.added + d.updated + d.deleted;

export function describeDelta(d: Delta): string {
  const how =
    d.method === 'changes'
      ? "by the source's changes feed"
      : 'by a checksummed scan of both stores (the source server offers no changes feed)';
  return `${d.added} new, ${d.updated} updated, ${d.deleted} deleted, ${how}`;
}

/** Read-only: what a sync would move now. */
export async function pendingDelta(
  ctx: StepContext,
  source: MemoryClient,
  target: MemoryClient,
  mark: ChangeMark | undefined,
): Promise<Delta> {
  if (mark && usable(ctx, mark)) {
    const counted = await countChanges(ctx, source, mark);
    if (counted) return counted;
  }
  return scanDelta(await compareStores(ctx, source, target));
}

async function countChanges(ctx: StepContext, source: MemoryClient, mark: ChangeMark): Promise<Delta | undefined> {
  const delta: Delta = { added: 0, updated: 0, deleted: 0, method: 'changes' };
  let at = mark;
  for (;;) {
    const page = await readChanges(ctx, source, at);
    if (!page) return undefined;
    for (const change of page.changes) classify(delta, change, mark);
    at = page.next;
    if (!page.more) return delta;
  }
}

function classify(delta: Delta, change: MemoryChange, mark: ChangeMark): void {
  const isNew = change.createdSeq > mark.seq;
  if (change.op === 'delete') {
    // Created and deleted since the mark: the target never had it.
    if (!isNew) delta.deleted++;
  } else if (isNew) delta.added++;
  else delta.updated++;
}

/**
 * Whether a recorded mark can be a position in a changes feed. A damaged state file can
 * hold anything there; the feed would refuse it, and the sync compares both stores instead.
 */
function usable(ctx: StepContext, mark: ChangeMark): boolean {
  if (typeof mark.epoch === 'string' && Number.isSafeInteger(mark.seq) && mark.seq >= 0) return true;
  ctx.logger.warn(
    `memory sync: the recorded changes mark (${JSON.stringify(mark.seq)}) is not a change number; comparing both stores instead`,
  );
  return false;
}

/** A feed page, or undefined when the feed cannot serve this mark (none, too old, another epoch). */
async function readChanges(ctx: StepContext, source: MemoryClient, at: ChangeMark) {
  try {
    return await source.changes?.(at, { limit: SYNC_PAGE, signal: ctx.signal });
  } catch (error) {
    if ((error as { status?: unknown }).status !== 410) throw error;
    ctx.logger.warn(`memory sync: ${(error as Error).message}; comparing both stores instead`);
    return undefined;
  }
}

function scanDelta(diff: StoreDiff): Delta {
  return { added: diff.missing.count, updated: diff.different.count, deleted: diff.extra.count, method: 'scan' };
}

export interface SyncResult {
  delta: Delta;
  /** The feed position the target now reflects (absent where the source has no feed). */
  mark?: ChangeMark;
  /**
   * The last mark's save, still under way: the caller waits for it alongside its own next
   * work (verification), not before it. It saves the same position again anyway.
   */
  saved?: Promise<void>;
}

/**
 * Moves what changed since `mark` (or, without one, what differs) to the target.
 * `saveMark` is called after each applied page with the position reached.
 */
export async function syncChanges(
  ctx: StepContext,
  source: MemoryClient,
  target: MemoryClient,
  mark: ChangeMark | undefined,
  saveMark: (mark: ChangeMark) => Promise<void>,
): Promise<SyncResult> {
  if (mark && usable(ctx, mark)) {
    const synced = await syncFromFeed(ctx, source, target, mark, saveMark);
    if (synced) return synced;
  }
  // The head before the scan: whatever changes during it is moved by the next sync.
  const head = await source.changeMark?.({ signal: ctx.signal });
  const delta = await syncByScan(ctx, source, target);
  if (head) await saveMark(head);
  return { delta, mark: head };
}

async function syncFromFeed(
  ctx: StepContext,
  source: MemoryClient,
  target: MemoryClient,
  mark: ChangeMark,
  saveMark: (mark: ChangeMark) => Promise<void>,
): Promise<SyncResult | undefined> {
  const delta: Delta = { added: 0, updated: 0, deleted: 0, method: 'changes' };
  const epoch = mark.epoch;
  let next = readChanges(ctx, source, mark);
  // Two pages in flight at most: one applied while the next is read, or applied beside it
  // (see below). `earlier` settles once every page before the current one is applied.
  let earlier: InFlight = { keys: new Set(), applied: Promise.resolve() };
  // Marks are saved in page order, each once its page and every page before it is applied
  // (a crash before a mark is on disk replays its pages, each write once by its id).
  let saved: Promise<void> = Promise.resolve();
  // Every apply started: none may still write once this returns or throws (a sync after
  // a failure would race it on the same keys).
  const started: Promise<void>[] = [];
  try {
    return await applyPages();
  } finally {
    await Promise.allSettled(started);
  }

  async function applyPages(): Promise<SyncResult | undefined> {
    for (;;) {
      const page = await next;
      if (!page) {
        await Promise.all([earlier.applied, saved]);
        return undefined;
      }
      if (page.more) next = readAhead(readChanges(ctx, source, page.next));
      for (const change of page.changes) classify(delta, change, mark);
      // A key changed again after the earlier page was read is in this one, and its write
      // must land last: a page sharing a key with the one still being applied waits for it.
      if (page.changes.some((c) => earlier.keys.has(c.key))) await earlier.applied;
      const pageMark = page.next;
      const applying = applyChanges(ctx, target, page.changes, epoch);
      started.push(applying);
      const applied = Promise.all([earlier.applied, applying]).then(() => {});
      applied.catch(() => undefined);
      const previousSave = saved;
      saved = applied.then(() => previousSave).then(() => saveMark(pageMark));
      saved.catch(() => undefined);
      // Before the next page starts: the one before this is done (two in flight at most).
      await earlier.applied;
      earlier = { keys: new Set(page.changes.map((c) => c.key)), applied };
      // Nothing changed: no progress of its own. After a full copy this sync runs at once, and a
      // "0 of 0" would replace the copy's "3,000 of 3,000" in the views.
      if (deltaSize(delta) > 0 || page.more) {
        ctx.progress(deltaSize(delta), deltaSize(delta) + (page.more ? SYNC_PAGE : 0), 'changes synced');
      }
      if (!page.more) {
        await applied;
        return { delta, mark: pageMark, saved };
      }
    }
  }
}

/** A page of changes being applied: its keys, and when it and every page before it are applied. */
interface InFlight {
  keys: Set<string>;
  applied: Promise<void>;
}

/** A read started ahead: its failure is seen when the page is taken, not as an unhandled rejection. */
function readAhead<T>(read: Promise<T>): Promise<T> {
  read.catch(() => undefined);
  return read;
}

/** One page of changes: each key appears once in it, so the writes may run side by side. */
async function applyChanges(ctx: StepContext, target: MemoryClient, changes: MemoryChange[], epoch: string) {
  const sets: SetManyRecord[] = [];
  const deletes: { key: string; id: string }[] = [];
  for (const c of changes) {
    // The change's own number names the write: a page redone after a resume is applied once,
    // and a key changed back to an earlier value is still written.
    const id = `sync-${quickSha256(`${epoch}\u0000${c.seq}\u0000${c.key}`, 'base64url').slice(0, 22)}`;
    if (c.op === 'set' && c.record) sets.push(setRecord(c.record, id));
    else if (c.op === 'delete') deletes.push({ key: c.key, id });
  }
  await Promise.all([writeSets(ctx, target, sets), deleteKeys(ctx, target, deletes)]);
}

function setRecord(record: MemoryRecord, idempotencyKey: string): SetManyRecord {
  const out: SetManyRecord = { key: record.key, content: record.content, idempotencyKey };
  if (record.scope !== undefined) out.scope = record.scope;
  if (record.ttl !== undefined) out.ttl = record.ttl;
  return out;
}

async function writeSets(ctx: StepContext, target: MemoryClient, records: SetManyRecord[]): Promise<void> {
  if (records.length === 0) return;
  if (target.setMany) {
    // Side by side: a page names each key once, so no two batches write the same key.
    const batches: Promise<unknown>[] = [];
    for (let i = 0; i < records.length; i += WRITE_BATCH) {
      batches.push(target.setMany(records.slice(i, i + WRITE_BATCH), { signal: ctx.signal, remember: false }));
    }
    await Promise.all(batches);
    return;
  }
  await mapBounded(records, DELETES_IN_FLIGHT, (r) =>
    target.set(r.key, r.content, { scope: r.scope, ttl: r.ttl, idempotencyKey: r.idempotencyKey, signal: ctx.signal }),
  );
}

async function deleteKeys(ctx: StepContext, target: MemoryClient, keys: { key: string; id: string }[]) {
  if (keys.length === 0) return;
  if (target.deleteMany) {
    const batch = keys.map(({ key, id }) => ({ key, idempotencyKey: id }));
    const batches: Promise<unknown>[] = [];
    for (let i = 0; i < batch.length; i += WRITE_BATCH)
      batches.push(target.deleteMany(batch.slice(i, i + WRITE_BATCH), { signal: ctx.signal }));
    await Promise.all(batches);
    return;
  }
  await mapBounded(keys, DELETES_IN_FLIGHT, ({ key, id }) =>
    target.delete(key, { idempotencyKey: id, signal: ctx.signal }),
  );
}

/**
 * Without a feed: both stores read in key order; what is missing or different on the
 * target is written, what the source no longer has is deleted. The writes' ids name the
 * value found on each side, so a scan redone after a crash applies each once.
 */
async function syncByScan(ctx: StepContext, source: MemoryClient, target: MemoryClient): Promise<Delta> {
  let sets: SetManyRecord[] = [];
  let deletes: { key: string; id: string }[] = [];
  const flush = async () => {
    const [s, d] = [sets, deletes];
    sets = [];
    deletes = [];
    await Promise.all([writeSets(ctx, target, s), deleteKeys(ctx, target, d)]);
  };
  const id = (key: string, hash: string, old: string) =>
    `scan-${quickSha256(`${key}\u0000${hash}\u0000${old}`, 'base64url').slice(0, 22)}`;
  const later = async () => {
    if (sets.length + deletes.length >= WRITE_BATCH) await flush();
  };
  const diff = await compareStores(ctx, source, target, {
    missing: (r, hash) => (sets.push(setRecord(r, id(r.key, hash, '-'))), later()),
    different: (r, hash, old) => (sets.push(setRecord(r, id(r.key, hash, old))), later()),
    extra: (key, hash) => (deletes.push({ key, id: id(key, '-', hash) }), later()),
  });
  await flush();
  return scanDelta(diff);
}
