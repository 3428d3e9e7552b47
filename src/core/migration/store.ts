/**
 * Durable state: the in-memory document is the truth during a run; every change is
 * followed by an atomic write (temp file, fsync, rename, fsync of the folder) so a
 * crash leaves either the old file or the new one, never half of one. Writes go
 * through one writer: concurrent steps mutate the document synchronously and share
 * the next write, so neither clobbers the other and bursts coalesce.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';
import { writeFileAtomic } from '../util/atomic-write';
import { fileInTheWay } from '../util/in-the-way';
import type { PhaseId } from './catalog';
import { emptyState, ensurePhases, type MigrationState } from './state';
import { checkState, StateFileError } from './state-check';

export function statePath(stateDir: string, projectId: string): string {
  return path.join(stateDir, `state-${projectId}.json`);
}

/**
 * Reads a state file, checked against its schema (state-check.ts); undefined when there
 * is none yet. Throws StateFileError (bad input) naming the file and the field.
 */
export async function readStateFile(
  file: string,
  projectId: string,
  options: { resetPhase?: string } = {},
): Promise<MigrationState | undefined> {
  let text: string;
  try {
    text = await readBounded(file);
  } catch (error) {
    if (error instanceof StateFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') await refuseFileInTheWay(file, error);
    throw new StateFileError(file, [{ field: '', message: unreadable(code, error) }]);
  }
  return checkState(text, file, projectId, options);
}

/**
 * A state holds a bounded history and one record per step: far below this. A file over
 * it is not one the engine wrote, and reading it whole would take the memory (or, past
 * V8's string limit, crash) before any check could name it.
 */
export const STATE_FILE_MAX_BYTES = 64 * 1024 * 1024;

async function readBounded(file: string): Promise<string> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size > STATE_FILE_MAX_BYTES) {
      const n = (v: number) => v.toLocaleString('en');
      throw new StateFileError(file, [
        {
          field: '',
          message: `the file is too large (${n(size)} bytes; a state is at most ${n(STATE_FILE_MAX_BYTES)})`,
        },
      ]);
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** `.orchestra` (or a folder above it) is a file: the state file is not what to move aside. */
async function refuseFileInTheWay(file: string, cause: unknown): Promise<void> {
  const blocker = await fileInTheWay(path.dirname(file));
  if (!blocker) return;
  throw new InputError(`A file is in the way: ${blocker} is not a folder, so the state file ${file} cannot be read.`, {
    where: `state.dir ${path.dirname(file)}`,
    cause,
    fix: `Move ${blocker} aside (the state folder holds the state, the lock and the reports), or set state.dir to another folder.`,
  });
}

function unreadable(code: string | undefined, error: unknown): string {
  if (code === 'EISDIR') return 'a folder is in the place of the state file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot be read (${code ?? (error as Error).message})`;
}

export class StateStore {
  private dirty = false;
  private writing: Promise<void> | undefined;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private listeners = new Set<(state: MigrationState) => void>();
  /** Count of files written, for tests and metrics. */
  writes = 0;

  private constructor(
    readonly file: string,
    readonly state: MigrationState,
  ) {}

  /**
   * Reads the state (or starts an empty one), with a record for each of `phases` (a phase
   * registered since the file was written starts not started); creates nothing until the
   * first write.
   */
  static async open(
    stateDir: string,
    projectId: string,
    options: { resetPhase?: string; phases?: readonly PhaseId[] } = {},
  ): Promise<StateStore> {
    const file = statePath(stateDir, projectId);
    const state = (await readStateFile(file, projectId, options)) ?? emptyState(projectId);
    ensurePhases(state, options.phases ?? []);
    return new StateStore(file, state);
  }

  /** Applies a change now; resolves when a file containing it is on disk. */
  update(mutate: (state: MigrationState) => void): Promise<void> {
    mutate(this.state);
    this.state.updatedAt = new Date().toISOString();
    for (const listener of this.listeners) listener(this.state);
    this.dirty = true;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.writing ??= this.drain();
    return done;
  }

  onChange(listener: (state: MigrationState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when every change made so far is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing.catch(() => undefined);
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        const waiters = this.waiters;
        this.waiters = [];
        try {
          await fs.mkdir(path.dirname(this.file), { recursive: true });
          await writeFileAtomic(this.file, JSON.stringify(this.state, null, 2) + '\n');
          this.writes++;
          for (const w of waiters) w.resolve();
        } catch (error) {
          for (const w of waiters) w.reject(error);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}
