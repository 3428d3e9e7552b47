// `npm test` on a busy machine: a CPU hog keeps every core busy while the suite runs N
// times in a row; the last line says how many runs passed. The hog is bounded twice: it
// stops when this script ends (pass, fail or Ctrl-C) and, whatever happens, after
// --max-minutes (a hog process also stops by itself if this script dies).
// Usage: node scripts/test-under-load.mjs [--runs N] [--cores N] [--max-minutes M] [-- <npm test args>]
//   e.g. node scripts/test-under-load.mjs --runs 1 -- --only build,package,extension-host,ui
import { spawn } from 'node:child_process';
import os from 'node:os';
import { ROOT } from './lib/harness.mjs';

const argv = process.argv.slice(2);
const dashDash = argv.indexOf('--');
const own = dashDash < 0 ? argv : argv.slice(0, dashDash);
const testArgs = dashDash < 0 ? [] : argv.slice(dashDash + 1);

function option(name, fallback) {
  const index = own.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(own[index + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} wants a whole number of at least 1, got '${own[index + 1] ?? ''}'`);
    process.exit(2);
  }
  return value;
}

const RUNS = option('--runs', Number(process.env.OM_LOAD_RUNS ?? 5));
const CORES = option('--cores', os.availableParallelism());
const MAX_MINUTES = option('--max-minutes', 120);

// One busy loop per core. Each checks once a second that its parent is alive, and stops at
// its deadline: a hog never outlives the run it loads.
const HOG = `
const parent = Number(process.argv[1]);
const deadline = Date.now() + Number(process.argv[2]);
let next = 0;
for (;;) {
  const now = Date.now();
  if (now > deadline) process.exit(0);
  if (now > next) {
    next = now + 1000;
    try { process.kill(parent, 0); } catch { process.exit(0); }
  }
}`;

function startHogs() {
  return Array.from({ length: CORES }, () =>
    spawn(process.execPath, ['-e', HOG, String(process.pid), String(MAX_MINUTES * 60_000)], { stdio: 'ignore' }),
  );
}

let current;
function npmTest() {
  return new Promise((resolve) => {
    let output = '';
    current = spawn('npm', ['test', '--', ...testArgs], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    current.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    current.stderr.on('data', (chunk) => process.stderr.write(chunk));
    current.on('close', (code, signal) => {
      current = undefined;
      resolve({ code: code ?? (signal ? 1 : 0), output });
    });
  });
}

const hogs = startHogs();
const stopHogs = () => hogs.forEach((hog) => hog.exitCode === null && hog.kill('SIGKILL'));
process.on('exit', stopHogs);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    current?.kill('SIGTERM');
    stopHogs();
    process.exit(130);
  });
}

console.log(`under load: ${CORES} busy loop(s) for up to ${MAX_MINUTES} min; npm test ${testArgs.join(' ')} x ${RUNS}`);
const results = [];
const bound = setTimeout(() => {
  console.error(`under load: stopped after ${MAX_MINUTES} min`);
  current?.kill('SIGTERM');
}, MAX_MINUTES * 60_000);
for (let run = 1; run <= RUNS; run++) {
  console.log(`\n##### under load: run ${run}/${RUNS}`);
  const started = Date.now();
  const { code, output } = await npmTest();
  // npm test's last line: "N passed, N failed[, N skipped]".
  const last = output.trim().split('\n').pop();
  results.push({ run, ok: code === 0, seconds: (Date.now() - started) / 1000, last });
}
clearTimeout(bound);
stopHogs();

console.log('\n##### under load: summary');
for (const r of results) {
  console.log(`  run ${r.run}: ${r.ok ? 'passed' : 'FAILED'} in ${r.seconds.toFixed(0)} s (${r.last})`);
}
const passed = results.filter((r) => r.ok).length;
console.log(`\nunder load: ${passed}/${RUNS} runs passed`);
process.exitCode = passed === RUNS ? 0 : 1;
