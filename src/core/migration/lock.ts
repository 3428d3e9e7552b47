/**
 * One run per project and workspace: `<state.dir>/lock-<projectId>.json` holds the
 * owner's pid, host, start time and a heartbeat. It is created with O_EXCL, so of two
 * runs starting together exactly one wins. A lock whose pid is dead on this host, or
 * whose heartbeat stopped, is stale and is taken over: the stale file is renamed to
 * a unique grave name first (only one contender can rename a given file), checked to
 * be the stale lock that was judged, and only then is a new lock created with O_EXCL.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../errors';
import type { Logger } from '../logger';
import { writeFileAtomic } from '../util/atomic-write';
import { isPidAlive } from '../util/pid';
import { sleep } from '../util/sleep';

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  heartbeat: string;
  owner: string;
  purpose: string;
}

export interface LockOptions {
  /** Heartbeat period, ms (default 2 000). */
  heartbeatMs?: number;
  /** A lock whose heartbeat is older than this many periods is stale (default 5). */
  staleAfterBeats?: number;
  purpose?: string;
  logger?: Logger;
  /** Called when the heartbeat finds the lock no longer ours (another run took it over). */
  onLost?: (holder: LockInfo | undefined) => void;
  now?: () => number;
}

export class LockedError extends InputError {
  constructor(
    readonly holder: LockInfo,
    file: string,
    ageMs: number,
  ) {
    super(
      `The migration is locked by pid ${holder.pid} on host ${holder.host} since ${holder.startedAt} ` +
        `(heartbeat ${Math.round(ageMs / 1000)}s ago, ${holder.purpose}).`,
      {
        where: file,
        fix: 'Wait for that run to finish (orchestra-migrate monitor shows it), or stop it; a lock left by a dead process is taken over automatically.',
      },
    );
  }
}

export const DEFAULT_HEARTBEAT_MS = 2000;
export const DEFAULT_STALE_BEATS = 5;

/**
 * Why no live run holds the project's lock (no lock file, or a stale one), or undefined
 * while one does. For views that find a state saying "running": is anyone still running?
 * An unreadable lock counts as held: its writer may be caught mid-write.
 */
export async function lockVacancy(
  stateDir: string,
  projectId: string,
  nowMs = Date.now(),
): Promise<string | undefined> {
  const holder = await readLock(lockPath(stateDir, projectId));
  if (holder === undefined) return 'no process holds the migration lock';
  if (holder === 'unparsable') return undefined;
  return heldStaleReason(holder, nowMs);
}

/** Why a lock read from disk is stale by execute's default rules, or undefined when it is live. */
export function heldStaleReason(info: LockInfo, nowMs = Date.now()): string | undefined {
  return staleReason(info, nowMs, DEFAULT_HEARTBEAT_MS, DEFAULT_STALE_BEATS);
}

export function lockPath(stateDir: string, projectId: string): string {
  return path.join(stateDir, `lock-${projectId}.json`);
}

/** Why a lock is stale, or undefined when it is live. */
export function staleReason(info: LockInfo, nowMs: number, heartbeatMs: number, beats: number): string | undefined {
  if (info.host === os.hostname() && !isPidAlive(info.pid))
    return `pid ${info.pid} is no longer running on ${info.host}`;
  const age = nowMs - Date.parse(info.heartbeat);
  if (!(age <= heartbeatMs * beats)) return `its heartbeat stopped ${Math.round(age / 1000)}s ago`;
  return undefined;
}

export async function readLock(file: string): Promise<LockInfo | undefined | 'unparsable'> {
  try {
    const info = JSON.parse(await fs.readFile(file, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' && typeof info.owner === 'string' ? info : 'unparsable';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // Not a lock a run left: taking it over would move the user's folder.
    if (code === 'EISDIR') {
      throw new InputError(`A folder is in the place of the migration lock file ${file}.`, {
        where: file,
        cause: error,
        fix: `Move the folder ${file} aside: the lock is a file that execute creates and removes.`,
      });
    }
    return 'unparsable';
  }
}

export class MigrationLock {
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  /** The heartbeat write in flight, if any: release waits for it, or its rename would put the file back. */
  private beating: Promise<void> | undefined;
  /** Set when this lock replaced a stale one: says whose and why, for the user. */
  tookOver?: string;

  private constructor(
    readonly file: string,
    readonly info: LockInfo,
    private readonly options: LockOptions,
  ) {}

  static async acquire(stateDir: string, projectId: string, options: LockOptions = {}): Promise<MigrationLock> {
    await fs.mkdir(stateDir, { recursive: true });
    const file = lockPath(stateDir, projectId);
    const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    const beats = options.staleAfterBeats ?? DEFAULT_STALE_BEATS;
    const now = options.now ?? Date.now;
    let tookOver: string | undefined;
    for (let attempt = 0; attempt < 20; attempt++) {
      const info: LockInfo = {
        pid: process.pid,
        host: os.hostname(),
        startedAt: new Date(now()).toISOString(),
        heartbeat: new Date(now()).toISOString(),
        owner: randomUUID(),
        purpose: options.purpose ?? 'execute',
      };
      if (await createExclusive(file, info)) {
        const lock = new MigrationLock(file, info, { ...options, heartbeatMs });
        lock.tookOver = tookOver;
        lock.startHeartbeat();
        return lock;
      }
      const holder = await readLock(file);
      if (holder === undefined) continue; // released meanwhile: try again
      if (holder === 'unparsable') {
        // A lock is written whole by one writeFile; give a writer caught mid-write a moment.
        await sleep(50);
        const again = await readLock(file);
        if (again === 'unparsable')
          tookOver = await takeOver(file, undefined, 'the lock file is unreadable', options.logger);
        continue;
      }
      const reason = staleReason(holder, now(), heartbeatMs, beats);
      if (!reason) throw new LockedError(holder, file, now() - Date.parse(holder.heartbeat));
      tookOver = (await takeOver(file, holder, reason, options.logger)) ?? tookOver;
    }
    throw new InputError('Could not acquire the migration lock: it keeps changing hands.', { where: file });
  }

  /** True while the file on disk still names this run. */
  async stillOwned(): Promise<boolean> {
    const holder = await readLock(this.file);
    return typeof holder === 'object' && holder.owner === this.info.owner;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    await this.beating;
    if (await this.stillOwned()) await fs.rm(this.file, { force: true });
  }

  private startHeartbeat(): void {
    this.timer = setInterval(() => {
      this.beating ??= this.beat().finally(() => (this.beating = undefined));
    }, this.options.heartbeatMs);
    // A forgotten lock must never keep the process alive.
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    if (this.released) return;
    try {
      const holder = await readLock(this.file);
      if (typeof holder !== 'object' || holder.owner !== this.info.owner) {
        if (this.timer) clearInterval(this.timer);
        this.options.onLost?.(typeof holder === 'object' ? holder : undefined);
        return;
      }
      this.info.heartbeat = new Date((this.options.now ?? Date.now)()).toISOString();
      await writeFileAtomic(this.file, JSON.stringify(this.info, null, 2) + '\n');
    } catch (error) {
      this.options.logger?.warn(`lock heartbeat failed: ${(error as Error).message}`);
    }
  }
}

async function createExclusive(file: string, info: LockInfo): Promise<boolean> {
  try {
    await fs.writeFile(file, JSON.stringify(info, null, 2) + '\n', { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function takeOver(
  file: string,
  judged: LockInfo | undefined,
  reason: string,
  logger?: Logger,
): Promise<string | undefined> {
  const grave = `${file}.stale-${randomUUID()}`;
  try {
    await fs.rename(file, grave);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // another contender moved it first
    throw error;
  }
  const moved = await readLock(grave);
  const sameLock = judged ? typeof moved === 'object' && moved.owner === judged.owner : moved === 'unparsable';
  if (!sameLock) {
    // We raced a contender who had already replaced the stale lock: put theirs back.
    try {
      await fs.link(grave, file);
    } catch {
      /* a third run holds it now; the caller's next attempt sees it */
    }
    await fs.rm(grave, { force: true });
    return undefined;
  }
  await fs.rm(grave, { force: true });
  const who = judged ? `pid ${judged.pid} on ${judged.host} since ${judged.startedAt}` : 'an unknown run';
  const message = `Took over a stale migration lock held by ${who}: ${reason}.`;
  logger?.warn(message);
  return message;
}
