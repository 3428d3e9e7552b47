/** Spawns the execute child from a bundle built once per test run (a plain node start is fast). */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { scriptBundle } from '../bundles';
import type { OrchestraConfig } from '../../../src/core/config/types';

/** Built once per test process (worlds come and go). */
export function childBundle(): Promise<string> {
  return scriptBundle('test/unit/migration/fixtures/execute-child.ts');
}

export interface Child {
  process: ChildProcess;
  ready: Promise<void>;
  /** Resolves when execute returned (before the process tidies up and exits). */
  finished: Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export async function spawnExecute(
  dir: string,
  job: { config: OrchestraConfig; workspace: string; phases?: string[] },
  name: string,
): Promise<Child> {
  const script = await childBundle();
  const jobFile = path.join(dir, `${name}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const child = spawn(process.execPath, [script, jobFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  let onFinished: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (onFinished = resolve));
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('ready\n')) onReady();
    if (stdout.includes('{"')) onFinished();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) =>
      child.on('exit', (code, signal) => {
        onReady();
        resolve({ code, signal, stdout, stderr });
      }),
  );
  return { process: child, ready, finished, exit };
}
