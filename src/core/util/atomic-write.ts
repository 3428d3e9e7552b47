/**
 * Atomic file replacement: a reader, or a crash, sees the old file or the new one,
 * never half of one. The data goes to a temp file beside the target (same folder, so
 * the rename never crosses file systems), is fsynced, renamed over the target, and
 * the folder is fsynced so the rename itself survives a power cut.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of a new file, e.g. 0o600 for credentials (the temp file has it from the start). */
  mode?: number;
  /**
   * false: skip the fsyncs. Still atomic for readers and for a crash of the process,
   * not across a power cut; for files that are cheap to lose and written very often.
   */
  durable?: boolean;
}

function tempName(file: string): string {
  return `${file}.${process.pid}.${randomUUID()}.tmp`;
}

export async function writeFileAtomic(file: string, data: string, options: AtomicWriteOptions = {}): Promise<void> {
  const durable = options.durable !== false;
  const temp = tempName(file);
  try {
    const handle = await fsp.open(temp, 'w', options.mode);
    try {
      await handle.writeFile(data, 'utf8');
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, file);
  } catch (error) {
    await fsp.rm(temp, { force: true });
    throw error;
  }
  if (durable) await fsyncDir(path.dirname(file));
}

/** The same, for callers that must finish before returning (a process about to exit, a sync API). */
export function writeFileAtomicSync(file: string, data: string, options: AtomicWriteOptions = {}): void {
  const durable = options.durable !== false;
  const temp = tempName(file);
  try {
    const fd = fs.openSync(temp, 'w', options.mode);
    try {
      fs.writeFileSync(fd, data, 'utf8');
      if (durable) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  if (durable) fsyncDirSync(path.dirname(file));
}

/** Makes a rename in `dir` durable. Best effort: some platforms and file systems cannot fsync a folder. */
async function fsyncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open a folder, some file systems refuse the fsync; the rename is atomic there all the same.
  } finally {
    await handle?.close();
  }
}

function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // As above.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
