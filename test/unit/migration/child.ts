/** Spawns the execute child from a bundle built once per test run (a plain node start is fast). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import type { OrchestraConfig } from '../../../src/core/config/types';

let bundle: Promise<string> | undefined;

/** Built once per test process into its own folder (worlds come and go), removed at exit. */
export function childBundle(): Promise<string> {
  bundle ??= (async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestra-child-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const outfile = path.join(dir, 'execute-child.cjs');
    await build({
      entryPoints: [path.join(__dirname, 'fixtures', 'execute-child.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile,
      logLevel: 'error',
      external: ['vscode'],
      mainFields: ['module', 'main'],
    });
    return outfile;
  })();
  return bundle;
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
