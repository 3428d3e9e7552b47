// `npm test`: every check, in order, on a real VS Code; fails if any fails.
//   setup -> lint -> typecheck -> build -> unit -> package -> vsix -> extension-host -> ui
// A step whose prerequisite failed is skipped (and the run fails). The last line is
//   N passed, N failed[, N skipped]
// summing mocha's counts of the unit, extension-host and UI suites; a failed step that
// is not a mocha suite (lint, typecheck, build, package, vsix, setup) counts as one failure.
// Usage: node scripts/test.mjs [--only step,step] [--skip step,step]
import { spawn, spawnSync } from 'node:child_process';
import { ROOT } from './lib/harness.mjs';

const STEPS = [
  { name: 'setup', command: ['bash', 'scripts/setup-test-env.sh'] },
  { name: 'lint', command: ['npm', 'run', '--silent', 'lint'] },
  { name: 'typecheck', command: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'build', command: ['npm', 'run', '--silent', 'build'] },
  { name: 'unit', command: ['npm', 'run', '--silent', 'test:unit'], mocha: true },
  {
    // A rehearsal's execute read back by the real gcloud; only where gcloud is installed.
    name: 'gcloud',
    command: ['bash', 'scripts/check-emulator-with-gcloud.sh'],
    skipUnless: () => (onPath('gcloud') ? undefined : 'gcloud is not installed'),
  },
  { name: 'package', command: ['npm', 'run', '--silent', 'package'], needs: ['build'] },
  { name: 'vsix', command: ['node', 'scripts/check-vsix.mjs'], needs: ['package'] },
  {
    name: 'extension-host',
    command: ['node', 'scripts/run-extension-tests.mjs', '--no-build'],
    mocha: true,
    needs: ['setup', 'package'],
  },
  {
    name: 'ui',
    command: ['node', 'scripts/run-ui-tests.mjs', '--no-package'],
    mocha: true,
    needs: ['setup', 'package'],
  },
];

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function listArg(flag) {
  const index = process.argv.indexOf(flag);
  if (index < 0) return undefined;
  const names = (process.argv[index + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !STEPS.some((s) => s.name === n));
  if (unknown.length) {
    console.error(`unknown step(s) ${unknown.join(', ')}; steps: ${STEPS.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  return names;
}

/** mocha's spec reporter closes with "N passing", "N failing", "N pending": take the last of each. */
export function mochaCounts(output) {
  // eslint-disable-next-line no-control-regex
  const text = output.replace(/\x1b\[[0-9;]*m/g, '');
  const last = (word) => {
    const matches = [...text.matchAll(new RegExp(`^\\s*(\\d+) ${word}\\b`, 'gm'))];
    return matches.length ? Number(matches[matches.length - 1][1]) : undefined;
  };
  return { passed: last('passing'), failed: last('failing'), pending: last('pending') };
}

let current;
function runStep(step) {
  return new Promise((resolve) => {
    const [command, ...args] = step.command;
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    current = child;
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
      process.stderr.write(chunk);
    });
    child.on('error', (error) => {
      output += String(error);
      process.stderr.write(`${error}\n`);
    });
    child.on('close', (code, signal) => {
      current = undefined;
      resolve({ code: code ?? (signal ? 1 : 0), output });
    });
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    // The runners end their own servers on SIGTERM.
    current?.kill('SIGTERM');
    process.exitCode = 130;
  });
}

async function main() {
  const only = listArg('--only');
  const skip = listArg('--skip') ?? [];
  const results = [];
  const status = new Map();
  const totals = { passed: 0, failed: 0, pending: 0 };
  const started = Date.now();
  const steps = STEPS.filter((s) => (!only || only.includes(s.name)) && !skip.includes(s.name));

  for (const [index, step] of steps.entries()) {
    const blocked = (step.needs ?? []).filter((n) => status.get(n) === 'failed' || status.get(n) === 'skipped');
    if (blocked.length) {
      status.set(step.name, 'skipped');
      results.push({ step, state: `skipped (${blocked.join(', ')} failed)`, seconds: 0 });
      continue;
    }
    const unavailable = step.skipUnless?.();
    if (unavailable) {
      status.set(step.name, 'skipped');
      process.stdout.write(`\n=== [${index + 1}/${steps.length}] ${step.name}: SKIPPED (${unavailable})\n`);
      // Not a failure: this machine cannot run it, and the summary says so.
      results.push({ step, state: `skipped (${unavailable})`, seconds: 0, optional: true });
      continue;
    }
    process.stdout.write(`\n=== [${index + 1}/${steps.length}] ${step.name}: ${step.command.join(' ')}\n`);
    const t0 = Date.now();
    const { code, output } = await runStep(step);
    const seconds = (Date.now() - t0) / 1000;
    let counts = '';
    let failedTests = 0;
    if (step.mocha) {
      const c = mochaCounts(output);
      totals.passed += c.passed ?? 0;
      totals.pending += c.pending ?? 0;
      failedTests = c.failed ?? 0;
      totals.failed += failedTests;
      counts = ` ${c.passed ?? 0} passed, ${failedTests} failed${c.pending ? `, ${c.pending} pending` : ''}`;
    }
    if (code !== 0 && failedTests === 0) totals.failed += 1; // the step itself failed
    status.set(step.name, code === 0 ? 'passed' : 'failed');
    results.push({ step, state: `${code === 0 ? 'ok' : `FAILED (exit ${code})`}${counts}`, seconds });
    if (process.exitCode === 130) break;
  }

  const width = Math.max(...results.map((r) => r.step.name.length));
  process.stdout.write(`\n=== npm test summary (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  for (const r of results) {
    process.stdout.write(`  ${r.step.name.padEnd(width)}  ${r.seconds.toFixed(1).padStart(6)} s  ${r.state}\n`);
  }
  const ok = results.every((r) => r.state.startsWith('ok') || r.optional);
  process.stdout.write(
    `\n${totals.passed} passed, ${totals.failed} failed${totals.pending ? `, ${totals.pending} skipped` : ''}\n`,
  );
  process.exitCode = ok && process.exitCode !== 130 ? 0 : process.exitCode || 1;
}

await main();
