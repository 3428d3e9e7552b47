import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { OrchestraError } from '../../../src/core/errors';
import {
  emptyState,
  HISTORY_LIMIT,
  migrateState,
  pushHistory,
  STATE_SCHEMA_VERSION,
  phaseRecord,
} from '../../../src/core/migration/state';
import { assertTransition, canTransition } from '../../../src/core/migration/status';
import { readStateFile, StateStore, statePath } from '../../../src/core/migration/store';

describe('migration state', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchestra-state-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('allows only the legal phase transitions and says what is legal otherwise', () => {
    assert.ok(canTransition('not-started', 'in-progress'));
    assert.ok(canTransition('in-progress', 'completed'));
    assert.ok(canTransition('failed', 'in-progress'));
    assert.ok(canTransition('skipped', 'not-started'));
    for (const [from, to] of [
      ['not-started', 'completed'],
      ['not-started', 'failed'],
      ['skipped', 'in-progress'],
      ['skipped', 'completed'],
      ['completed', 'failed'],
    ] as const) {
      assert.throws(
        () => assertTransition('hybrid-config', from, to),
        (e: unknown) =>
          e instanceof OrchestraError &&
          e.code === 'ILLEGAL_TRANSITION' &&
          e.message.includes(`from '${from}' to '${to}'`),
      );
    }
    assert.throws(
      () => assertTransition('validation', 'skipped', 'in-progress'),
      (e: unknown) =>
        e instanceof OrchestraError && e.fix === 'Reset the phase first (orchestra-migrate reset validation).',
    );
  });

  it('migrates a version 1 file (phases as a list) and keeps its statuses', () => {
    const v1 = {
      projectId: 'p',
      createdAt: '2026-01-01T00:00:00.000Z',
      phases: [
        { id: 'core-infrastructure', status: 'completed' },
        { id: 'validation', status: 'skipped' },
      ],
    };
    const state = migrateState(v1, 'p');
    assert.equal(state.schemaVersion, STATE_SCHEMA_VERSION);
    assert.equal(state.phases['core-infrastructure'].status, 'completed');
    assert.equal(state.phases.validation.status, 'skipped');
    // Phases the file does not list read as not started (the engine adds their records when it opens the store).
    assert.equal(phaseRecord(state, 'memory-system').status, 'not-started');
    assert.equal(state.createdAt, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(state.steps, {});
    assert.equal(phaseRecord(state, 'ai-coding').metrics.steps, 0);
  });

  it('refuses a file from a newer build, naming the file and the fix', async () => {
    const file = statePath(dir, 'future');
    await writeFile(file, JSON.stringify({ schemaVersion: 99 }));
    await assert.rejects(readStateFile(file, 'future'), (e: unknown) => {
      assert.ok(e instanceof OrchestraError);
      assert.equal(e.code, 'BAD_INPUT');
      assert.match(e.message, /version 99 is newer than this build understands/);
      assert.equal(e.where, `${file}, field schemaVersion`);
      assert.match(e.fix ?? '', /Move the file aside/);
      return true;
    });
  });

  it('keeps a bounded history', () => {
    const state = emptyState('p');
    for (let i = 0; i < HISTORY_LIMIT + 50; i++) pushHistory(state, { at: String(i), type: 't', message: `e${i}` });
    assert.equal(state.history.length, HISTORY_LIMIT);
    assert.equal(state.history[0].message, 'e50');
  });

  it('serializes concurrent writers: every change lands, bursts share writes, no temp file is left', async () => {
    const store = await StateStore.open(dir, 'concurrent');
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        store.update((s) => {
          s.steps[`core-infrastructure/s${i}`] = {
            id: `core-infrastructure/s${i}`,
            phase: 'core-infrastructure',
            status: 'done',
            attempts: 1,
          };
        }),
      ),
    );
    const onDisk = JSON.parse(await readFile(store.file, 'utf8'));
    assert.equal(Object.keys(onDisk.steps).length, 200);
    assert.ok(store.writes < 200 && store.writes >= 1, `${store.writes} writes for 200 changes`);
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.tmp')),
      [],
    );
    const reopened = await StateStore.open(dir, 'concurrent');
    assert.equal(Object.keys(reopened.state.steps).length, 200);
  });
});
