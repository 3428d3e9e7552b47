import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { OrchestraApi } from '../../src/extension/context';
import type { CommandFailure } from '../../src/extension/failures';
import { EXTENSION_ID, OUTPUT_CHANNEL_NAME } from '../../src/extension/constants';

export interface ManifestCommand {
  command: string;
  title: string;
}

export interface Manifest {
  contributes: {
    commands: ManifestCommand[];
    views: Record<string, { id: string }[]>;
    configuration: {
      properties: Record<string, { default?: unknown; description?: string; markdownDescription?: string }>;
    };
  };
  activationEvents: string[];
}

export function extension(): vscode.Extension<OrchestraApi> {
  const ext = vscode.extensions.getExtension<OrchestraApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this extension host`);
  return ext;
}

export function manifest(): Manifest {
  return extension().packageJSON as Manifest;
}

/** Activates the extension (once) and returns its test API. */
export async function activated(): Promise<OrchestraApi> {
  const api = await extension().activate();
  assert.ok(api, 'activate() returned no API');
  return api;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until it gives a value (not undefined or false). The deadline is for
 * a stuck condition, not a tuned wait: a busy machine is slow, not wrong.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}

/** What the Output view's Orchestra channel holds: the file its LogOutputChannel writes. */
export async function logText(api: OrchestraApi): Promise<string> {
  return fs.readFile(path.join(api.logUri.fsPath, `${OUTPUT_CHANNEL_NAME}.log`), 'utf8').catch(() => '');
}

/** Waits until the log has a line matching `pattern` and returns the log. */
export function logged(api: OrchestraApi, pattern: RegExp): Promise<string> {
  return waitFor(`the log to match ${pattern}`, async () => {
    const text = await logText(api);
    return pattern.test(text) ? text : undefined;
  });
}

/**
 * Failures a test expected (through fails()). Shared through a global symbol: every
 * test file is its own bundle, with its own copy of this module.
 */
function expectedFailures(): WeakSet<CommandFailure> {
  const key = Symbol.for('orchestra-migrate.test.expectedFailures');
  const shared = globalThis as { [key]?: WeakSet<CommandFailure> };
  return (shared[key] ??= new WeakSet());
}

/**
 * Every command failure a test did not ask for through fails(): index.ts fails the test
 * that caused one, so no test can pass over an error toast a user would see.
 */
export function watchUnexpectedFailures(api: OrchestraApi): () => CommandFailure[] {
  let seen: CommandFailure[] = [];
  api.failures.onDidFail((failure) => seen.push(failure));
  return () => {
    const unexpected = seen.filter((failure) => !expectedFailures().has(failure));
    seen = [];
    return unexpected;
  };
}

/** Runs a command the wrapper records failures of; returns its result and its failures during the call. */
async function runRecorded<T>(
  id: string,
  args: unknown[],
): Promise<{ result: T | undefined; failures: CommandFailure[] }> {
  const api = await activated();
  const failures: CommandFailure[] = [];
  const subscription = api.failures.onDidFail((failure) => failures.push(failure));
  try {
    const result = await vscode.commands.executeCommand<T>(id, ...args);
    return { result, failures };
  } finally {
    subscription.dispose();
  }
}

/**
 * Runs a command that must succeed: no failure recorded (the user saw no error toast).
 * Returns what the command returned.
 */
export async function succeeds<T = unknown>(id: string, ...args: unknown[]): Promise<T | undefined> {
  const { result, failures } = await runRecorded<T>(id, args);
  assert.deepEqual(
    failures.map((f) => f.message),
    [],
    `${id} failed`,
  );
  return result;
}

/**
 * Runs a command that must fail as a user sees it: it returns nothing, and the command
 * wrapper records exactly one failure of it (the error toast). Returns that failure.
 */
export async function fails(id: string, ...args: unknown[]): Promise<CommandFailure> {
  const { result, failures } = await runRecorded(id, args);
  assert.equal(result, undefined, `${id} returned a result, yet should have failed`);
  assert.equal(failures.length, 1, `${id} should fail once, failed ${failures.length} time(s)`);
  assert.equal(failures[0].command, id);
  expectedFailures().add(failures[0]);
  return failures[0];
}

/**
 * The workspace as a user's rehearsal leaves it: the demo API where the default config looks
 * for it ('api'), and config/common.json naming `project` on the sandbox's emulator and memory
 * servers (3 latency samples against `targetMs`); `extra` adds top-level keys.
 */
export async function writeRehearsalConfig(
  root: string,
  sandbox: { urls: { memory: string; gcp: string; memoryTarget: string } },
  project: string,
  targetMs: number,
  extra: Record<string, unknown> = {},
): Promise<void> {
  // The bundle runs from out/test/integration.
  await fs.cp(path.resolve(__dirname, '../../../demo/api'), path.join(root, 'api'), { recursive: true });
  await fs.mkdir(path.join(root, 'config'), { recursive: true });
  await fs.writeFile(
    path.join(root, 'config', 'common.json'),
    JSON.stringify({
      projectId: project,
      gcp: { emulator: true },
      endpoints: { memory: sandbox.urls.memory, gcpEmulator: sandbox.urls.gcp },
      phases: { memorySystem: { targetEndpoint: sandbox.urls.memoryTarget }, validation: { samples: 3 } },
      validation: { targets: { memoryReadMs: targetMs, apiMs: targetMs } },
      ...extra,
    }),
  );
}
