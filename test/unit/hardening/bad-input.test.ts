/**
 * Bad input from files, through the command line in a child process: each case asserts
 * the exit code, a message naming the file and the field or position, the fix, and
 * that nothing changed outside the workspace (the workspace's parent is hashed before
 * and after). No server is needed: every case is refused before any request.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { builtInPhases } from '../../../src/core/migration/phases';
import { emptyState } from '../../../src/core/migration/state';
import { leftovers, runCli, treeHash } from './harness';

// A state as the CLI writes it lists every registered phase; the damage below needs them present.
const PHASE_IDS = builtInPhases()
  .infos()
  .map((p) => p.id);

const PROJECT = 'orchestra-test';
const STATE = `state-${PROJECT}.json`;

describe('bad input files: clear errors, exit 2, nothing changed outside the workspace', function () {
  this.timeout(120_000);
  let parent: string;
  let ws: string;
  let before: string[];

  beforeEach(async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'orchestra-bad-'));
    ws = path.join(parent, 'ws');
    await mkdir(path.join(ws, 'config'), { recursive: true });
    await writeFile(path.join(parent, 'neighbour.txt'), 'outside\n');
    // An emulator address nobody listens on: a request would fail with exit 1, not 2.
    await writeConfig({ projectId: PROJECT, gcp: { emulator: true, endpointOverrides: closedOverrides() } });
    before = treeHash(parent, ['ws']).entries;
  });
  afterEach(async () => {
    assert.deepEqual(treeHash(parent, ['ws']).entries, before, 'something changed outside the workspace');
    assert.deepEqual(leftovers(ws), [], 'a lock or temp file was left behind');
    await rm(parent, { recursive: true, force: true });
  });

  function closedOverrides(): Record<string, string> {
    return { serviceusage: 'http://127.0.0.1:9' };
  }
  async function writeConfig(value: unknown, name = 'common.json') {
    await writeFile(path.join(ws, 'config', name), JSON.stringify(value));
  }
  // A state document to damage on purpose: any shape goes.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function writeState(mutate: (s: any) => void) {
    const state: unknown = JSON.parse(JSON.stringify(emptyState(PROJECT, new Date(), PHASE_IDS)));
    mutate(state);
    await mkdir(path.join(ws, '.orchestra'), { recursive: true });
    await writeFile(path.join(ws, '.orchestra', STATE), JSON.stringify(state, null, 2));
  }

  describe('config files: bounded parsing', () => {
    it('a config nested 5,000 deep: exit 2 naming the file, line and column, no stack overflow', async () => {
      const deep = '{"labels":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
      await writeFile(path.join(ws, 'config', 'common.json'), `{\n  "projectId": "${PROJECT}",\n  "x": ${deep}\n}`);
      const r = await runCli(['status'], ws);
      assert.equal(r.code, 2, r.stderr);
      // The file's "{" is level 1, {"labels" level 2 (column 8); level 65 is the 63rd "[" (column 18 + 62).
      assert.match(r.stderr, /config\/common\.json:3:80: objects and lists nest more than 64 levels deep here/);
      assert.match(r.stderr, /fix: No setting nests that deep/);
      assert.doesNotMatch(r.stderr, /Maximum call stack/);
    });

    it('deep nesting inside strings and comments does not count', async () => {
      const text = `{\n  // ${'['.repeat(200)}\n  "projectId": "${PROJECT}", "gcp": { "emulator": true, "region": "${'{'.repeat(200)}" }\n}`;
      await writeFile(path.join(ws, 'config', 'common.json'), text);
      const r = await runCli(['config', 'validate'], ws);
      assert.doesNotMatch(r.stderr, /nest more than/);
    });

    it('a config file over 1 MiB: exit 2, "too large", the file named, not read whole', async () => {
      await writeFile(path.join(ws, 'config', 'local.json'), `{"x": "${'a'.repeat(1_100_000)}"}`);
      const r = await runCli(['status'], ws, { ORCHESTRA_ENV: 'local' });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /config\/local\.json:1:1: the file is too large \(1,100,0\d\d bytes; at most 1,048,576\)/);
      assert.match(r.stderr, /fix: A config file holds settings only/);
    });
  });

  describe('the state file, checked on load', () => {
    it('an unknown phase status: execute exits 2 naming the file and field, suggests reset; reset repairs it', async () => {
      await writeState((s) => (s.phases['memory-system'].status = 'exploded'));
      const r = await runCli(['execute', '--yes'], ws);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`${STATE} is not valid: phases\\.memory-system\\.status: unknown value`));
      assert.match(r.stderr, /where: .*state-orchestra-test\.json, field phases\.memory-system\.status/);
      assert.match(r.stderr, /fix: Reset the phase \(orchestra-migrate reset memory-system/);
      assert.doesNotMatch(r.stderr, /TypeError/);
      const reset = await runCli(['reset', 'memory-system'], ws);
      assert.equal(reset.code, 0, reset.stderr);
      const status = await runCli(['status', '--json'], ws);
      assert.equal(status.code, 0, status.stderr);
      const doc = JSON.parse(status.stdout) as { phases: { id: string; status: string }[] };
      assert.equal(doc.phases.find((p) => p.id === 'memory-system')?.status, 'not-started');
    });

    it('reset of another phase does not hide the damage: exit 2, the damaged phase named', async () => {
      await writeState((s) => (s.phases['memory-system'].status = 'exploded'));
      const r = await runCli(['reset', 'ai-coding'], ws);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /reset memory-system/);
    });

    it('a text metric value: report exits 2 naming the field (it used to crash in toFixed)', async () => {
      await writeState((s) => (s.phases.validation.metrics.custom = { apiP95Ms: 'fast' }));
      const r = await runCli(['report', '--stdout'], ws);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /phases\.validation\.metrics\.custom\.apiP95Ms: expected number/);
      assert.match(r.stderr, /fix: Reset the phase \(orchestra-migrate reset validation/);
    });

    it('markup in a time field: refused (a date-time is expected), never passed to the report', async () => {
      await writeState((s) => (s.updatedAt = '<img src=x onerror=alert(1)>'));
      const r = await runCli(['report', '--stdout'], ws);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /updatedAt: expected a date-time/);
      assert.match(r.stderr, /fix: Move the file aside/);
      assert.equal(r.stdout, '');
    });

    it('an unknown field and a huge count: both listed', async () => {
      await writeState((s) => {
        s.surprise = 1;
        s.metrics.retries = 1e300;
      });
      const r = await runCli(['status'], ws);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /surprise: unknown field/);
      assert.match(r.stderr, /metrics\.retries: (out of range|expected integer)/);
    });

    it('a folder in place of the state file: exit 2, the file named, move it aside', async () => {
      await mkdir(path.join(ws, '.orchestra', STATE), { recursive: true });
      for (const args of [['status'], ['execute', '--yes'], ['report', '--stdout']]) {
        const r = await runCli(args, ws);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(
          r.stderr,
          new RegExp(`${STATE} is not valid: \\(document\\): a folder is in the place of the state file`),
        );
        assert.match(r.stderr, /fix: Move the file aside/);
        assert.doesNotMatch(r.stderr, /EISDIR/);
      }
    });

    it('a state from a newer build: exit 2, update the extension', async () => {
      await writeState((s) => (s.schemaVersion = 3));
      const r = await runCli(['status'], ws);
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        /schemaVersion: version 3 is newer than this build understands \(2\); update Orchestra Migrate/,
      );
    });

    it('a version 1 state is migrated: its statuses show, the file is left as it was until a write', async () => {
      await mkdir(path.join(ws, '.orchestra'), { recursive: true });
      const v1 = JSON.stringify({ phases: [{ id: 'core-infrastructure', status: 'completed' }] });
      await writeFile(path.join(ws, '.orchestra', STATE), v1);
      const r = await runCli(['status', '--json'], ws);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { phases: { id: string; status: string }[] };
      assert.equal(doc.phases[0].status, 'completed');
      assert.equal(await readFile(path.join(ws, '.orchestra', STATE), 'utf8'), v1);
    });

    it('a version 1 state with an unknown status is refused like any other', async () => {
      await mkdir(path.join(ws, '.orchestra'), { recursive: true });
      await writeFile(
        path.join(ws, '.orchestra', STATE),
        JSON.stringify({ phases: [{ id: 'core-infrastructure', status: 'half-done' }] }),
      );
      const r = await runCli(['status'], ws);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /phases\.0\.status: unknown value/);
    });

    it('status with no state file creates no folder', async () => {
      const r = await runCli(['status'], ws);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(existsSync(path.join(ws, '.orchestra')), false, (await readdir(ws)).join(', '));
    });
  });
});
