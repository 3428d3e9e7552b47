/**
 * The origin project's own command lines, run as a user types them (a child process of
 * the bundled CLI): init --project, phases as MEMORY_SYSTEM, execute --verify-only,
 * <command> --help; and the log file every run leaves under log.dir.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { shippedCli } from '../bundles';
import { cliWorkspace, startWorld, type World } from './world';

const PLANTED = 'planted-memory-key-9c2e71f0ab';

describe("the seed's command lines, as child processes", function () {
  this.timeout(120_000);
  let world: World;
  let cliBundle: string;

  before(async () => {
    world = await startWorld({ records: 20 });
    cliBundle = await shippedCli();
  });
  after(async () => world?.close());

  function run(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
    const child = spawn(process.execPath, [cliBundle, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
      child.on('exit', (code) => resolve({ code, out, err })),
    );
  }

  const emulatorWorkspace = (name: string, extra: Record<string, unknown> = {}) =>
    cliWorkspace(world, { dir: path.join(world.dir, name), apiSource: false, extra });

  it('init --project=cherry-ai-project --location=europe-west4 writes both into config/common.json', async () => {
    const dir = path.join(world.dir, 'init');
    await mkdir(dir);
    const { code, out } = await run(['init', '--project=cherry-ai-project', '--location', 'europe-west4'], dir);
    assert.equal(code, 0, out);
    assert.match(out, /set {6}projectId = cherry-ai-project in config\/common.json/);
    const common = JSON.parse(await readFile(path.join(dir, 'config', 'common.json'), 'utf8'));
    assert.equal(common.projectId, 'cherry-ai-project');
    assert.equal(common.location, 'europe-west4');
    // Again on the existing file: the project changes, the rest of the file stays.
    const again = await run(['init', '--project=cherry-ai-staging'], dir);
    assert.equal(again.code, 0, again.out + again.err);
    const after = JSON.parse(await readFile(path.join(dir, 'config', 'common.json'), 'utf8'));
    assert.deepEqual({ ...after, projectId: 'cherry-ai-project' }, common);
  });

  it('init with a malformed project ID exits 2 naming --project, and writes nothing', async () => {
    const dir = path.join(world.dir, 'init-bad');
    await mkdir(dir);
    const { code, err } = await run(['init', '--project=Cherry_AI'], dir);
    assert.equal(code, 2);
    assert.match(err, /'Cherry_AI' is not a Google Cloud project ID/);
    assert.match(err, /--project/);
    assert.deepEqual(await readdir(dir), [], 'nothing was written');
  });

  it('<command> --help prints the usage and exits 0 without running anything', async () => {
    const dir = await emulatorWorkspace('help');
    for (const command of ['execute', 'verify', 'init', 'status']) {
      const { code, out } = await run([command, '--help'], dir);
      assert.equal(code, 0, `${command} --help`);
      assert.match(out, new RegExp(`Usage: orchestra-migrate ${command}`));
    }
    assert.ok(!existsSync(path.join(dir, '.orchestra')), 'no state written');
  });

  it('--phase=MEMORY_SYSTEM is the memory-system phase; execute --verify-only verifies and changes nothing', async () => {
    const dir = await emulatorWorkspace('phases');
    world.emulator.clearRequestLog();
    const verify = await run(['execute', '--verify-only', '--phase=MEMORY_SYSTEM'], dir);
    assert.ok(verify.code === 0 || verify.code === 1, verify.err);
    assert.match(verify.out, /Memory System/);
    assert.doesNotMatch(verify.out, /^Core Infrastructure/m, 'only the phase asked for');
    const mutating = world.emulator
      .requestLog()
      .filter((r) => r.method !== 'GET' && !/:(getIamPolicy|testIamPermissions)$/.test(r.path));
    assert.deepEqual(mutating, [], 'verify-only sent nothing that changes the project');
    const core = await run(['execute', '--phase=CORE_INFRASTRUCTURE', '--yes'], dir);
    assert.equal(core.code, 0, core.out + core.err);
    const unknown = await run(['execute', '--phase=MEMORY_SYSTEMS', '--yes'], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /Unknown phase 'MEMORY_SYSTEMS'.*memory-system/s);
  });

  it('every run writes a redacted log under ./logs/migration (latest.log too), at the level asked', async () => {
    const dir = await emulatorWorkspace('logs');
    const env = { ORCHESTRA_MEMORY_API_KEY: PLANTED };
    const first = await run(['execute', '--phase', 'core-infrastructure', '--yes'], dir, env);
    assert.equal(first.code, 0, first.out + first.err);
    const logs = path.join(dir, 'logs', 'migration');
    const latest = await readFile(path.join(logs, 'latest.log'), 'utf8');
    assert.match(latest, /\[info\] run \w+ started/);
    assert.match(latest, /\[info\] core-infrastructure\/service-account: (created|already up to date)/);
    assert.match(latest, /\[info\] run \w+ completed/);
    const files = (await readdir(logs)).filter((f) => f.startsWith('run-'));
    assert.equal(files.length, 1);
    const report = await run(['report', '--stdout'], dir);
    assert.match(
      report.out,
      new RegExp(`- Log: \`[^\`]*${files[0].replace(/[.]/g, '\\.')}\``),
      'the report names the run log',
    );
    assert.equal(await readFile(path.join(logs, files[0]), 'utf8'), latest);

    const quiet = await run(['execute', '--phase', 'core-infrastructure', '--yes'], dir, {
      ...env,
      ORCHESTRA_LOG__LEVEL: 'error',
    });
    assert.equal(quiet.code, 0, quiet.err);
    const quietLog = await readFile(path.join(logs, 'latest.log'), 'utf8');
    assert.doesNotMatch(quietLog, /\[info\]/, 'level error: no info lines');

    const verbose = await run(['execute', '--phase', 'memory-system', '--yes'], dir, {
      ...env,
      ORCHESTRA_LOG__LEVEL: 'debug',
    });
    assert.equal(verbose.code, 0, verbose.out + verbose.err);
    const verboseLog = await readFile(path.join(logs, 'latest.log'), 'utf8');
    assert.match(verboseLog, /\[debug\] memory-system\/copy: \d+\/\d+ [\d,]+ \/ [\d,]+ records copied/);
    assert.match(verboseLog, /Nothing to change|memory copy: checksums match/);
    for (const name of await readdir(logs)) {
      assert.ok(!(await readFile(path.join(logs, name), 'utf8')).includes(PLANTED), `${name} holds no key`);
    }
    assert.equal((await readdir(logs)).filter((f) => f.startsWith('run-')).length, 4, 'three executes and the report');
    // status is a query scripts poll: it leaves the run logs as they are (the folder keeps the newest 20).
    const before = await readdir(logs);
    for (let i = 0; i < 21; i++) assert.equal((await run(['status', '--json'], dir)).code, 0);
    assert.deepEqual(await readdir(logs), before, 'status wrote no log and pushed none out');
  });
});
