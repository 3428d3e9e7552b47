/**
 * The durable outbox: writes the server could not take yet, kept on disk in order
 * until it acknowledges them. An append-only JSON-lines file: `{"t":"w","seq":N,...}`
 * per write (fsync'd before the caller hears "queued"), `{"t":"a","seq":N}` once the
 * server acknowledged every write up to N. A restart reads the file back and
 * replays what is not acknowledged.
 *
 * One file belongs to one process at a time: a lock file beside it holds the
 * owner's pid. A second client of the same endpoint (the editor and the CLI at
 * once) gets a file of its own (suffix = its pid); files left by processes that
 * died are adopted, in order, by the next client that opens the outbox.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { isPidAlive } from '../util/pid';
import { AppendLog } from './append-log';
import { OutboxLockedError } from './errors';
import type { WriteOperation } from './transport';

export interface OutboxEntry extends WriteOperation {
  seq: number;
  /** ISO time the write was queued. */
  at: string;
}

type Line = ({ t: 'w' } & OutboxEntry) | { t: 'a'; seq: number };

const COMPACT_ACKED_LINES = 5_000;

export class Outbox {
  private pending: OutboxEntry[] = [];
  private nextSeq = 1;
  private ackedLines = 0;
  private readonly byKey = new Map<string, OutboxEntry>();

  private constructor(
    readonly file: string,
    private readonly lockFile: string,
    private readonly log: AppendLog,
  ) {}

  /** Opens (or creates) the outbox of `endpoint` in `dir`, taking its lock and adopting orphans. */
  static async open(dir: string, endpoint: string): Promise<Outbox> {
    await fsp.mkdir(dir, { recursive: true });
    const base = `outbox-${createHash('sha256').update(endpoint).digest('hex').slice(0, 12)}`;
    let file = path.join(dir, `${base}.jsonl`);
    if (!(await takeLock(`${file}.lock`))) {
      file = path.join(dir, `${base}-${process.pid}.jsonl`);
      if (!(await takeLock(`${file}.lock`))) {
        throw new OutboxLockedError(`the outbox ${file} is locked by another live process`, {
          where: dir,
          fix: 'give each memory client its own outboxDir, or stop the other process',
        });
      }
    }
    const lines = await AppendLog.read<Line>(file);
    const outbox = new Outbox(file, `${file}.lock`, await AppendLog.open(file));
    outbox.load(lines);
    await outbox.adoptOrphans(dir, base);
    return outbox;
  }

  get size(): number {
    return this.pending.length;
  }

  /** Entries not yet acknowledged, oldest first. */
  peek(max: number): OutboxEntry[] {
    return this.pending.slice(0, max);
  }

  /** The newest queued write of a key, for read-your-writes while it waits. */
  latest(key: string): OutboxEntry | undefined {
    return this.byKey.get(key);
  }

  /** Resolves once the write is on disk. */
  async append(op: WriteOperation): Promise<OutboxEntry> {
    const entry = outboxEntry(op, this.nextSeq++, new Date().toISOString());
    this.pending.push(entry);
    this.byKey.set(entry.key, entry);
    try {
      await this.log.append({ t: 'w', ...entry });
    } catch (error) {
      this.pending = this.pending.filter((e) => e !== entry);
      if (this.byKey.get(entry.key) === entry) this.byKey.delete(entry.key);
      throw error;
    }
    return entry;
  }

  /**
   * Queues several writes with one fsync (a batch the server could not take), in the
   * given order. Resolves once all are on disk; on failure none of them is queued.
   */
  async appendMany(ops: WriteOperation[]): Promise<OutboxEntry[]> {
    const at = new Date().toISOString();
    const entries = ops.map((op) => outboxEntry(op, this.nextSeq++, at));
    const previous = new Map(entries.map((e) => [e.key, this.byKey.get(e.key)]));
    this.pending.push(...entries);
    for (const entry of entries) this.byKey.set(entry.key, entry);
    try {
      await this.log.appendMany(entries.map((entry) => ({ t: 'w', ...entry })));
    } catch (error) {
      const failed = new Set(entries);
      this.pending = this.pending.filter((e) => !failed.has(e));
      for (const [key, before] of previous) {
        if (!failed.has(this.byKey.get(key)!)) continue;
        if (before) this.byKey.set(key, before);
        else this.byKey.delete(key);
      }
      throw error;
    }
    return entries;
  }

  /** The server acknowledged every entry up to and including `seq`. */
  async ack(seq: number): Promise<void> {
    const done = this.pending.filter((e) => e.seq <= seq);
    if (done.length === 0) return;
    this.pending = this.pending.slice(done.length);
    for (const entry of done) if (this.byKey.get(entry.key) === entry) this.byKey.delete(entry.key);
    this.ackedLines += done.length;
    // An ack lost in a crash only means a replay, which idempotency keys make harmless.
    await this.log.append({ t: 'a', seq });
    if (this.pending.length === 0 || this.ackedLines >= COMPACT_ACKED_LINES) await this.compact();
  }

  /**
   * The server refused the head entry for good (a 400: the write itself is bad). It leaves
   * the queue, so the writes behind it can go, but is kept beside it for a person to see.
   */
  async reject(entry: OutboxEntry, reason: string): Promise<void> {
    await fsp.appendFile(
      `${this.file}.rejected`,
      JSON.stringify({ ...entry, reason, rejectedAt: new Date().toISOString() }) + '\n',
    );
    await this.ack(entry.seq);
  }

  async close(): Promise<void> {
    await this.log.close();
    await fsp.rm(this.lockFile, { force: true });
  }

  private async compact(): Promise<void> {
    await this.log.rewrite(this.pending.map((entry) => ({ t: 'w', ...entry })));
    this.ackedLines = 0;
  }

  private load(lines: Line[]): void {
    let acked = 0;
    const writes: OutboxEntry[] = [];
    for (const line of lines) {
      if (line.t === 'a') acked = Math.max(acked, line.seq);
      else if (line.t === 'w') writes.push(stripTag(line));
    }
    this.pending = writes.filter((w) => w.seq > acked).sort((a, b) => a.seq - b.seq);
    this.nextSeq = Math.max(acked, ...writes.map((w) => w.seq), 0) + 1;
    for (const entry of this.pending) this.byKey.set(entry.key, entry);
  }

  private async adoptOrphans(dir: string, base: string): Promise<void> {
    const names = (await fsp.readdir(dir)).filter(
      (n) => n.startsWith(base) && n.endsWith('.jsonl') && path.join(dir, n) !== this.file,
    );
    for (const name of names) {
      const orphan = path.join(dir, name);
      if (!(await takeLock(`${orphan}.lock`))) continue; // a live client still owns it
      const lines = await AppendLog.read<Line>(orphan);
      const probe = new Outbox(orphan, `${orphan}.lock`, this.log);
      probe.load(lines);
      for (const entry of probe.pending) {
        const { seq: _seq, at: _at, ...op } = entry;
        await this.append(op);
      }
      await fsp.rm(orphan, { force: true });
      await fsp.rm(`${orphan}.lock`, { force: true });
    }
  }
}

function stripTag(line: { t: 'w' } & OutboxEntry): OutboxEntry {
  const { t: _t, ...entry } = line;
  return entry;
}

/** Creates the lock with our pid, or takes over one whose owner is dead. */
async function takeLock(lockFile: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fsp.writeFile(lockFile, String(process.pid), { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await fsp.readFile(lockFile, 'utf8').catch(() => '')).trim());
    if (owner === process.pid) return false;
    if (isPidAlive(owner)) return false;
    await fsp.rm(lockFile, { force: true });
  }
  return false;
}

/** The write as kept on disk: `content` only, not a serialized copy of it the caller attached. */
function outboxEntry(op: WriteOperation, seq: number, at: string): OutboxEntry {
  const { contentJson: _serialized, ...write } = op;
  return { ...write, seq, at };
}
