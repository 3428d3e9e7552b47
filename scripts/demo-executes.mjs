// The demo, executed N times in a row through the command line, as `npm start`'s demo
// runs it: `orchestra-migrate sandbox --seed 5000` (default latencies and operation times),
// the project's default configuration pointed at it, then `execute --yes --json` from an
// empty state on a project of its own each time (so every run creates every resource,
// copies the records and validates). Counts the runs that completed; any other outcome is
// printed with its failures. Writes .test-runs/demo-executes/summary.json.
// Usage: node scripts/demo-executes.mjs [--runs N] [--no-build]
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, RUNS_DIR, killGroup, log, run, startDetached } from './lib/harness.mjs';

const args = process.argv.slice(2);
const runsFlag = args.indexOf('--runs');
const RUNS = runsFlag >= 0 ? Number(args[runsFlag + 1]) : 20;
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 200) {
  console.error(`--runs needs a number of runs between 1 and 200, got '${args[runsFlag + 1] ?? ''}'`);
  process.exit(2);
}
const CLI = path.join(ROOT, 'dist', 'cli.js');
const BASE = path.join(RUNS_DIR, 'demo-executes');
const projectOf = (i) => `demo-execute-${String(i).padStart(3, '0')}`;

/** The sandbox's one JSON line of URLs; rejects if it exits first. */
function urlsOf(child) {
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      try {
        const value = JSON.parse(line);
        if (typeof value?.gcp === 'string') resolve(value);
      } catch {
        // not the JSON line
      }
    });
    child.once('exit', (code) => reject(new Error(`the sandbox exited with ${code}; see ${BASE}/sandbox.log`)));
  });
}

/** One CLI run in the workspace; resolves with its exit code, stdout and stderr. */
function cli(workspace, cliArgs) {
  const child = spawn(process.execPath, [CLI, ...cliArgs], {
    cwd: workspace,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

async function main() {
  if (!args.includes('--no-build') || !existsSync(CLI)) run('npm', ['run', '--silent', 'build']);
  rmSync(BASE, { recursive: true, force: true });
  mkdirSync(BASE, { recursive: true });
  const projects = Array.from({ length: RUNS }, (_, i) => projectOf(i + 1));
  const sandbox = startDetached(
    process.execPath,
    [
      CLI,
      'sandbox',
      '--port',
      '0',
      '--json',
      '--seed',
      '5000',
      '--data',
      path.join(BASE, 'sandbox'),
      ...projects.flatMap((p) => ['--project', p]),
    ],
    { logFile: path.join(BASE, 'sandbox.log') },
  );
  const results = [];
  try {
    const urls = await urlsOf(sandbox);
    log('demo', `sandbox: Google Cloud ${urls.gcp}, memory ${urls.memory} -> ${urls.memoryTarget}`);
    for (const [index, project] of projects.entries()) {
      const workspace = path.join(BASE, project);
      mkdirSync(path.join(workspace, 'config'), { recursive: true });
      cpSync(path.join(ROOT, 'demo', 'api'), path.join(workspace, 'api'), { recursive: true });
      // What `sandbox` tells a rehearsal to put in the config, on the default configuration.
      writeFileSync(
        path.join(workspace, 'config', 'common.json'),
        JSON.stringify({
          projectId: project,
          gcp: { emulator: true },
          endpoints: { memory: urls.memory, gcpEmulator: urls.gcp },
          phases: { memorySystem: { targetEndpoint: urls.memoryTarget } },
        }),
      );
      const started = Date.now();
      const { code, out, err } = await cli(workspace, ['execute', '--yes', '--json']);
      const ms = Date.now() - started;
      let result;
      try {
        result = JSON.parse(out);
      } catch {
        result = undefined;
      }
      const passed = code === 0 && result?.status === 'completed';
      results.push({
        run: index + 1,
        project,
        passed,
        exit: code,
        status: result?.status,
        ms,
        failures: result?.failures,
      });
      log('demo', `run ${index + 1}/${RUNS} ${project}: ${passed ? 'completed' : `FAILED (exit ${code})`} in ${ms} ms`);
      if (!passed) process.stdout.write(`${JSON.stringify(result?.failures ?? out, null, 2)}\n${err.slice(-3000)}\n`);
    }
  } finally {
    await killGroup(sandbox);
  }
  const passes = results.filter((r) => r.passed).length;
  const summary = { runs: RUNS, passes, at: new Date().toISOString(), results };
  writeFileSync(path.join(BASE, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  log('demo', `${passes} of ${RUNS} executes completed; details in ${path.relative(ROOT, BASE)}/summary.json`);
  process.exit(passes === RUNS ? 0 : 1);
}

main().catch((error) => {
  console.error(`[demo] ${error.stack ?? error}`);
  process.exit(1);
});
