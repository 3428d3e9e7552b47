/**
 * The memory copy: the first run copies every memory record from the source server
 * to the target, both through the MemoryClient; every run after it syncs only what
 * changed (memory-sync.ts); each ends by verifying both stores (memory-verify.ts).
 *
 * The full copy: Pages of the source are written to the target with bounded
 * concurrency while the next pages are read ahead: as record texts where both ends
 * allow it (listTexts, setTexts: nothing parsed or serialized in between), else as
 * records (list with content, setMany or set). After each page the cursor is saved
 * in the state, so a killed copy resumes from the last finished page, not from zero
 * (a page sent again on resume carries the same idempotency ids, so the target
 * applies each record once).
 */
import { OrchestraError } from '../errors';
import { sleep } from '../util/sleep';
import type { MemoryClient, MemoryRecord, SetManyOptions, SetManyRecord, TextPage, WriteResult } from '../memory/types';
import { quickSha256 } from '../util/canonical';
import { describeDelta, deltaSize, syncChanges, type Delta } from './memory-sync';
import { verifyCopy, withContent } from './memory-verify';
import type { StepContext } from './types';

export interface CopyCheckpoint {
  /** Cursor of the next source page; absent before the first page. */
  cursor?: string;
  copied: number;
  pages: number;
  /** Set once every page is written: resume then goes straight to verification. */
  complete?: boolean;
  /**
   * The source's changes-feed position the target reflects: taken before the full copy
   * starts (what changes during it is synced after it), then moved on by each sync.
   */
  mark?: { epoch: string; seq: number };
  /** The store digest both sides had at the last verification. */
  checksum?: string;
}

/**
 * Target writes in flight. Enough to keep the target's write path full even with the
 * client's own per-call work in between (measured in bench/engine.bench.ts); the
 * target client's socket pool and bulkhead must allow as many.
 */
export const COPY_CONCURRENCY = 64;

export interface CopyOptions {
  batchSize: number;
  /** Target writes in flight (default COPY_CONCURRENCY). */
  concurrency?: number;
}

export interface CopyReport {
  /** Records written by this run's full copy (0 once the copy is complete). */
  copied: number;
  /** What this run's sync moved after the full copy. */
  synced: Delta;
  sourceRecords: number;
  targetRecords: number;
  checksum: string;
  verifiedBy: 'digest' | 'scan';
  resumedFrom?: string;
  /** How long this run's full copy took, and its rate. */
  copyMs: number;
  recordsPerSecond: number;
}

/** Sync-and-verify rounds while the source keeps changing under the copy. */
const SETTLE_ROUNDS = 3;

/** A memory client that can write many records per request (the Orchestra Memory API's batch route). */
interface BatchWriter {
  setMany(records: SetManyRecord[], options?: SetManyOptions): Promise<WriteResult[]>;
}

/**
 * Batch shape: records per request and requests in flight. Few large requests beat
 * many small ones: on top of its records, each request has a fixed cost to the copier
 * (undici, the answer to parse) and to the server (an HTTP exchange, an fsync). One
 * request per page of the default size (500), four in flight: in three interleaved runs
 * of bench/engine.bench.ts this copied 3-10% faster than 250 x 8, which had beaten
 * 250 x 4.
 */
export const COPY_BATCH_RECORDS = 500;
export const COPY_BATCHES_IN_FLIGHT = 4;
/** Source pages read ahead of the one being written. */
export const READ_AHEAD_PAGES = 2;

function hasSetMany(client: MemoryClient): client is MemoryClient & BatchWriter {
  return typeof (client as Partial<BatchWriter>).setMany === 'function';
}

export async function copyMemory(
  ctx: StepContext,
  source: MemoryClient,
  target: MemoryClient,
  options: CopyOptions,
): Promise<CopyReport> {
  const saved = ctx.checkpoint() as CopyCheckpoint | undefined;
  const checkpoint: CopyCheckpoint = saved ? { ...saved } : { copied: 0, pages: 0 };
  const resumedFrom = saved?.cursor;
  const copiedBefore = checkpoint.complete ? checkpoint.copied : 0;
  if (saved && !saved.complete)
    ctx.logger.info(`memory copy: resuming after ${saved.copied} records (page ${saved.pages})`);
  const startedAt = checkpoint.copied;
  const started = Date.now();
  if (!checkpoint.complete) {
    // Before the first page: changes made while the copy runs are synced after it.
    if (checkpoint.pages === 0) checkpoint.mark = await source.changeMark?.({ signal: ctx.signal });
    startDigests(ctx, source, target);
    await copyPages(ctx, source, target, options, checkpoint);
    checkpoint.complete = true;
    await ctx.saveCheckpoint({ ...checkpoint });
  }
  const copiedThisRun = checkpoint.copied - startedAt;
  const copyMs = Date.now() - started;
  const recordsPerSecond = copyMs > 0 ? Math.round((copiedThisRun / copyMs) * 1000) : 0;
  if (copiedThisRun > 0) {
    ctx.logger.info(
      `memory copy: ${count(checkpoint.copied)} records copied (${count(copiedThisRun)} in this run, ${(copyMs / 1000).toFixed(1)} s, ${count(recordsPerSecond)} records/s); comparing checksums`,
    );
  }
  ctx.progress(checkpoint.copied, checkpoint.copied, 'records copied; comparing checksums');
  const synced = await settle(ctx, source, target, checkpoint);
  const verdict = `checksums match: ${count(synced.verified.sourceRecords)} records, sha256 ${synced.verified.checksum.slice(0, 12)}…`;
  ctx.logger.info(`memory copy: ${verdict}`);
  ctx.progress(checkpoint.copied, checkpoint.copied, verdict);
  return {
    copied: checkpoint.copied - copiedBefore,
    synced: synced.delta,
    ...synced.verified,
    resumedFrom,
    copyMs,
    recordsPerSecond,
  };
}

/**
 * Asks both servers for their store digests as the copy starts, without waiting: a server
 * that keeps one (extension `digest`) hashes its store once, then keeps the sum current
 * write by write. The source hashes its records while the copy reads them, the target
 * each record as it lands, so the comparison after the copy is two small answers instead
 * of both stores hashed from scratch once the last page is written. The answers are not
 * used: verification asks again once the copy is done, and reports any failure then.
 */
function startDigests(ctx: StepContext, source: MemoryClient, target: MemoryClient): void {
  for (const side of [source, target]) {
    side.digest?.({ signal: ctx.signal }).catch((error: unknown) => {
      ctx.logger.debug(`memory copy: early digest request failed (verification asks again): ${String(error)}`);
    });
  }
}

/** The source's record count when its server says (for "copied / total"); undefined otherwise. */
async function sourceTotal(source: MemoryClient): Promise<number | undefined> {
  const health = await source.health().catch(() => undefined);
  return health?.ok ? health.records : undefined;
}

/**
 * A whole number with thousands separators, as toLocaleString('en') writes it, without ICU:
 * the first toLocaleString of a process loads its locale data (20-130 ms measured), which a
 * sync of a few records paid inside its step.
 */
function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "1,200 / 5,000 records copied, 2,400 records/s" */
function copyProgressText(copied: number, total: number | undefined, startedAt: number, started: number): string {
  const seconds = (Date.now() - started) / 1000;
  const rate = seconds > 0 ? Math.round((copied - startedAt) / seconds) : 0;
  const of = total !== undefined ? ` / ${count(total)}` : '';
  return `${count(copied)}${of} records copied, ${count(rate)} records/s`;
}

/**
 * Syncs, then verifies; if the source changed meanwhile (the team keeps working), syncs
 * what changed and verifies again, a few rounds at most.
 */
async function settle(ctx: StepContext, source: MemoryClient, target: MemoryClient, checkpoint: CopyCheckpoint) {
  const total: Delta = { added: 0, updated: 0, deleted: 0, method: checkpoint.mark ? 'changes' : 'scan' };
  for (let round = 1; ; round++) {
    const { delta, mark, saved } = await syncChanges(ctx, source, target, checkpoint.mark, async (at) => {
      checkpoint.mark = at;
      await ctx.saveCheckpoint({ ...checkpoint });
    });
    total.added += delta.added;
    total.updated += delta.updated;
    total.deleted += delta.deleted;
    total.method = delta.method;
    if (mark) checkpoint.mark = mark;
    if (deltaSize(delta) > 0) ctx.logger.info(`memory sync: ${describeDelta(delta)}`);
    try {
      const [verified] = await Promise.all([
        drainOutbox(ctx, target).then(() => verifyCopy(ctx, source, target)),
        saved,
      ]);
      checkpoint.checksum = verified.checksum;
      await ctx.saveCheckpoint({ ...checkpoint });
      ctx.metric('memory_records_synced', deltaSize(total));
      return { delta: total, verified: { ...verified, verifiedBy: verified.method } };
    } catch (error) {
      const head = await source.changeMark?.({ signal: ctx.signal });
      const moved = head && checkpoint.mark && head.seq > checkpoint.mark.seq;
      if (!moved || round >= SETTLE_ROUNDS) throw error;
      ctx.logger.info(`memory sync: the source changed while verifying (round ${round}); syncing again`);
    }
  }
}

async function copyPages(
  ctx: StepContext,
  source: MemoryClient,
  target: MemoryClient,
  options: CopyOptions,
  checkpoint: CopyCheckpoint,
): Promise<void> {
  const writer = new WritePipeline(ctx);
  const started = Date.now();
  const startedAt = checkpoint.copied;
  const total = await sourceTotal(source);
  // A log line at every tenth of the way (or every 10 pages when the total is unknown).
  const logEvery = total ? total / 10 : options.batchSize * 10;
  let nextLog = startedAt + logEvery;
  const pages = await openPages(ctx, source, target, options, checkpoint.cursor);
  let next: Promise<CopyPage> | undefined = pages.next();
  // Checkpoints are taken in page order, each once its page and every page before it is
  // written. The chain does not wait for the state file: the store folds the checkpoints
  // that arrive while it writes into its next write (one fsync'd write per page was a
  // tenth of the copier's CPU), and the file never holds a cursor past unwritten records.
  let chain: Promise<void> = Promise.resolve();
  let saved: Promise<void> = Promise.resolve();
  let saveFailure: { error: unknown } | undefined;
  while (next) {
    const page: CopyPage = await next;
    next = page.cursor ? pages.next() : undefined;
    const { count, units, limit } = await page.writes();
    // Returns once every write of the page has started: pages stream through one pool
    // of writers, with no lull at page boundaries.
    const { written } = await writer.writeAll(units, limit);
    const mark = { copied: count, cursor: page.cursor };
    chain = chain
      .then(() => written)
      .then(() => {
        checkpoint.copied += mark.copied;
        checkpoint.pages++;
        checkpoint.cursor = mark.cursor;
        const text = copyProgressText(checkpoint.copied, total, startedAt, started);
        const expected = total ?? checkpoint.copied + (mark.cursor ? options.batchSize : 0);
        ctx.progress(checkpoint.copied, Math.max(expected, checkpoint.copied), text);
        if (checkpoint.copied >= nextLog) {
          ctx.logger.info(`memory copy: ${text}`);
          nextLog = checkpoint.copied + logEvery;
        }
        saved = ctx.saveCheckpoint({ ...checkpoint });
        saved.catch((error: unknown) => (saveFailure ??= { error }));
      });
    chain.catch(() => undefined);
    writer.throwIfFailed();
    if (saveFailure) throw saveFailure.error;
  }
  await chain;
  // Every checkpoint is on disk once the last one is (the store writes in order).
  await saved;
  if (writer.queued) ctx.metric('memory_writes_queued', writer.queued);
  // This run's share: a resumed copy counts only what it wrote itself.
  ctx.metric('memory_records_copied', checkpoint.copied - startedAt);
  ctx.metric('memory_copy_ms', Date.now() - started);
}

/** A source page and how to write it: units of work (a batch or a record) and how many may run at once. */
interface CopyPage {
  cursor?: string;
  writes(): Promise<{ count: number; units: (() => Promise<WriteResult[]>)[]; limit: number }>;
}

/**
 * The source's pages, as record texts where both servers allow it (the source serves
 * NDJSON, the target client takes texts): each record's JSON text goes from the source's
 * answer into the target's batch as it is, never parsed or serialized by the copier.
 * Otherwise as records, through list and setMany (or set).
 */
async function openPages(
  ctx: StepContext,
  source: MemoryClient,
  target: MemoryClient,
  options: CopyOptions,
  cursor: string | undefined,
): Promise<PageReader<CopyPage>> {
  const limit = options.batchSize;
  const signal = ctx.signal;
  if (source.listTexts && target.setTexts) {
    const listTexts = source.listTexts.bind(source);
    const setTexts = target.setTexts.bind(target);
    const textPage = (page: TextPage): CopyPage => ({
      cursor: page.cursor,
      writes: async () => ({
        count: page.texts.length,
        units: slices(page.texts, COPY_BATCH_RECORDS).map(
          (texts) => () => setTexts(texts, texts.map(copyTextId), { signal }),
        ),
        limit: COPY_BATCHES_IN_FLIGHT,
      }),
    });
    const first = await listTexts('', cursor, { limit, signal });
    if (first) {
      return new PageReader(
        async (c) => textPage((await listTexts('', c, { limit, signal })) ?? noTexts()),
        cursor,
        textPage(first),
      );
    }
  }
  const writeMany = hasSetMany(target) ? target.setMany.bind(target) : undefined;
  const concurrency = options.concurrency ?? COPY_CONCURRENCY;
  return new PageReader(async (c) => {
    const page = await source.list(undefined, c, { limit, includeContent: true, signal });
    return {
      cursor: page.cursor,
      writes: async () => {
        const records = await withContent(ctx, source, page);
        // With the batch route a unit is a slice of records, else one record.
        return writeMany
          ? {
              count: records.length,
              units: slices(records, COPY_BATCH_RECORDS).map((slice) => () => writeBatch(ctx, writeMany, slice)),
              limit: COPY_BATCHES_IN_FLIGHT,
            }
          : { count: records.length, units: records.map((r) => () => writeOne(target, r)), limit: concurrency };
      },
    };
  }, cursor);
}

function noTexts(): never {
  throw new OrchestraError(
    'MEMORY_COPY_SOURCE_CHANGED',
    'The source memory server stopped serving record texts mid-copy.',
    {
      where: 'memory-system/copy',
      fix: 'Run execute again: the copy resumes from its last checkpoint.',
    },
  );
}

/**
 * Source pages read ahead of the writes. The cursor allows one read at a time, so the
 * reader issues the next read as soon as a page arrives, up to READ_AHEAD_PAGES waiting:
 * the source serves pages while the copy writes, instead of each waiting for the other.
 */
class PageReader<P extends { cursor?: string }> {
  private readonly ready: Promise<P>[] = [];
  private reading = false;
  private last = false;

  constructor(
    private readonly read: (cursor?: string) => Promise<P>,
    private cursor: string | undefined,
    first?: P,
  ) {
    if (first) {
      this.ready.push(Promise.resolve(first));
      if (first.cursor) this.cursor = first.cursor;
      else this.last = true;
    }
    this.fill();
  }

  /**
   * The next page. Call it only once the previous page arrived with a cursor: the reader
   * then has its read started or done (a read started here would repeat a cursor).
   */
  next(): Promise<P> {
    const page = this.ready.shift() ?? this.start();
    this.fill();
    return page;
  }

  private fill(): void {
    if (!this.reading && !this.last && this.ready.length < READ_AHEAD_PAGES) this.ready.push(this.start());
  }

  private start(): Promise<P> {
    this.reading = true;
    const page = this.read(this.cursor);
    page.then(
      (p) => {
        this.reading = false;
        if (p.cursor) this.cursor = p.cursor;
        else this.last = true;
        this.fill();
      },
      // The copy sees the error when it takes this page; nothing is read after it.
      () => (this.last = true),
    );
    return page;
  }
}

/** Runs units of writes, at most `limit` at once, in one pool shared by every page. */
class WritePipeline {
  private inFlight = 0;
  private waiting: (() => void)[] = [];
  private failure: unknown;
  queued = 0;

  constructor(private readonly ctx: StepContext) {}

  /**
   * Starts every unit (waiting for free slots) and returns their completion. Wrapped in
   * an object: an async function returning a bare promise would wait for it.
   */
  async writeAll(units: (() => Promise<WriteResult[]>)[], limit: number): Promise<{ written: Promise<void> }> {
    const writes: Promise<void>[] = [];
    for (const unit of units) {
      while (this.inFlight >= limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.throwIfFailed();
      if (this.ctx.signal.aborted) throw this.ctx.signal.reason;
      this.inFlight++;
      writes.push(
        this.run(unit).finally(() => {
          this.inFlight--;
          this.waiting.shift()?.();
        }),
      );
    }
    const written = Promise.all(writes).then(() => undefined);
    written.catch(() => undefined);
    return { written };
  }

  private async run(unit: () => Promise<WriteResult[]>): Promise<void> {
    try {
      for (const result of await unit()) if (result.queued) this.queued++;
    } catch (error) {
      this.failure ??= error;
      throw error;
    }
  }

  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

function writeBatch(
  ctx: StepContext,
  setMany: BatchWriter['setMany'],
  records: MemoryRecord[],
): Promise<WriteResult[]> {
  const batch = new Array<SetManyRecord>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    // Serialized once: the text is both hashed for the id and sent as the content.
    const contentJson = JSON.stringify(r.content);
    batch[i] = {
      key: r.key,
      content: r.content,
      contentJson,
      scope: r.scope,
      ttl: r.ttl,
      // The same ids as single writes: a page redone after a resume is applied once.
      idempotencyKey: copyWriteIdOf(r.key, contentJson),
    };
  }
  // Not kept as last known values: a copy would only push the client's hot keys out.
  return setMany(batch, { signal: ctx.signal, remember: false });
}

async function writeOne(target: MemoryClient, record: MemoryRecord): Promise<WriteResult[]> {
  return [
    await target.set(record.key, record.content, {
      scope: record.scope,
      ttl: record.ttl,
      idempotencyKey: copyWriteId(record),
      // No signal per write: an abort listener per call costs as much as the call's own
      // policy work. Cancellation is checked before each write starts instead, and the
      // writes already in flight take milliseconds.
    }),
  ];
}

function slices<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The same record copied again (a page redone after a resume, a retry whose answer was
 * lost) carries the same idempotency key, so the server applies it once.
 *
 * The value is hashed as the source serialized it (JSON.parse keeps its key order), not
 * in canonical form: the same source gives the same text for the same record, and the
 * sorting of canonical JSON plus a second hash was a quarter of the copier's CPU. The
 * verification pass still compares canonical hashes, so a target that reorders keys
 * is not a mismatch.
 */
export function copyWriteId(record: MemoryRecord): string {
  return copyWriteIdOf(record.key, JSON.stringify(record.content));
}

/**
 * The id of a record copied as its text: the text names the key, the content, the scope
 * and the ttl, so the same source record sent again (a page redone after a resume) is
 * applied once, and a record changed on the source in between is copied anew.
 */
export function copyTextId(text: string): string {
  return `copy-${quickSha256(text, 'base64url').slice(0, 22)}`;
}

/**
 * copyWriteId from the content's JSON text, for callers that have it already. 132 bits of
 * the hash in base64url: as collision-proof as a random UUID (122 bits), and 27 characters
 * where hex took 55. The target parses and keeps every id (its idempotency table), and the
 * shorter ids cost it measurably less per record.
 */
function copyWriteIdOf(key: string, contentJson: string): string {
  return `copy-${quickSha256(`${key}\u0000${contentJson}`, 'base64url').slice(0, 22)}`;
}

/** Writes parked in the client's durable outbox (breaker open) must land before we compare. */
async function drainOutbox(ctx: StepContext, target: MemoryClient): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const health = await target.health();
    if (health.pendingWrites === 0) return;
    await target.flush().catch(() => 0);
    if (Date.now() > deadline) {
      throw new OrchestraError(
        'MEMORY_OUTBOX_STUCK',
        `${health.pendingWrites} copied records are still waiting in the outbox.`,
        {
          where: health.endpoint,
          fix: 'Check the target memory server is reachable, then run execute again: the copy resumes and re-verifies.',
        },
      );
    }
    await sleep(250, ctx.signal);
  }
}
