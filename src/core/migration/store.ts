/**
 * Durable state: the in-memory document is the truth during a run; every change is
 * followed by an atomic write (temp file, fsync, rename, fsync of the folder) so a
 * crash leaves either the old file or the new one, never half of one. Writes go
 * through one writer: concurrent steps mutate the document synchronously and share
 * the next write, so neither clobbers the other and bursts coalesce.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { OrchestraError } from '../errors';
import { writeFileAtomic } from '../util/atomic-write';
import { emptyState, migrateState, type MigrationState } from './state';

export function statePath(stateDir: string, projectId: string): string {
  return path.join(stateDir, `state-${projectId}.json`);
}

/** Reads a state file; undefined when there is none yet. Throws with the file named when it is unreadable. */
export async function readStateFile(file: string, projectId: string): Promise<MigrationState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return migrateState(JSON.parse(text), projectId);
  } catch (error) {
    throw new OrchestraError(
      'STATE_UNREADABLE',
      `The migration state file cannot be read: ${(error as Error).message}.`,
      {
        where: file,
        fix: 'Move the file aside to start over (every step re-reads the cloud first, so nothing is created twice).',
        cause: error,
      },
    );
  }
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

  static async open(stateDir: string, projectId: string): Promise<StateStore> {
    await fs.mkdir(stateDir, { recursive: true });
    const file = statePath(stateDir, projectId);
    const state = (await readStateFile(file, projectId)) ?? emptyState(projectId);
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
