/**
 * An append-only JSON-lines file whose appends resolve only once the bytes are
 * fsync'd. Appends that arrive while a flush is in progress are written and
 * fsync'd together (group commit): durability per write at the cost of one fsync
 * per batch, not per write. Used by the client's outbox and the local memory server.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { OrchestraError } from '../errors';
import { writeFileAtomic } from '../util/atomic-write';

interface Pending {
  line: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class AppendLog {
  private handle: fsp.FileHandle | undefined;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private paused: Promise<void> | undefined;
  /** Bytes written through this handle since open (plus the size at open). */
  size = 0;

  private constructor(readonly file: string) {}

  static async open(file: string): Promise<AppendLog> {
    const log = new AppendLog(file);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await refuseLink(file);
    await truncateTornTail(file);
    log.handle = await fsp.open(file, 'a');
    log.size = (await log.handle.stat()).size;
    return log;
  }

  /** Reads every complete line of a log; a torn last line (crash mid-append) is skipped. */
  static async read<T>(file: string): Promise<T[]> {
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: T[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        // Only the last line can be torn; a crash never leaves garbage in the middle.
      }
    }
    return out;
  }

  append(record: unknown): Promise<void> {
    return this.appendMany([record]);
  }

  appendMany(records: unknown[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`append log ${this.file} is closed`));
    const line = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      if (this.paused) await this.paused;
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const data = batch.map((p) => p.line).join('');
        try {
          await this.handle!.write(data);
          await this.handle!.datasync();
          this.size += Buffer.byteLength(data);
          for (const p of batch) p.resolve();
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Waits for every append made so far. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /**
   * Replaces the file's content atomically with `records` (temp file, fsync,
   * rename, fsync of the folder), then appends continue on the new file.
   */
  async rewrite(records: unknown[]): Promise<void> {
    await this.drain();
    // Appends made meanwhile wait for the new file instead of landing in the old one.
    let release!: () => void;
    this.paused = new Promise<void>((resolve) => (release = resolve));
    try {
      const data = records.map((r) => JSON.stringify(r) + '\n').join('');
      // Closed first: Windows cannot replace a file that is open.
      await this.handle?.close();
      try {
        await writeFileAtomic(this.file, data);
      } finally {
        // After a failed rewrite the old file is intact: appends go on there.
        this.handle = await fsp.open(this.file, 'a');
      }
      this.size = Buffer.byteLength(data);
    } finally {
      this.paused = undefined;
      release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    await this.handle?.close();
    this.handle = undefined;
  }
}

/**
 * Cuts a partial last line (a crash mid-append: never acknowledged) so the next
 * append starts on a line of its own instead of gluing onto the fragment.
 */
async function truncateTornTail(file: string): Promise<void> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    let end = size;
    const chunk = Buffer.alloc(64 * 1024);
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await handle.read(chunk, 0, end - start, start);
      const at = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (at >= 0) {
        end = start + at + 1;
        break;
      }
      end = start;
    }
    if (end < size) {
      await handle.truncate(end);
      await handle.sync();
    }
  } finally {
    await handle.close();
  }
}

/** A link in the outbox's place could send queued writes (and truncation) to a file elsewhere. */
async function refuseLink(file: string): Promise<void> {
  const stat = await fsp.lstat(file).catch(() => undefined);
  if (stat?.isSymbolicLink()) {
    throw new OrchestraError('OUTBOX_IS_A_LINK', `The outbox file ${file} is a symbolic link.`, {
      where: file,
      fix: 'Remove the link (the outbox is a regular file the client creates), then run again.',
    });
  }
}
