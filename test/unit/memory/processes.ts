/** Child processes for tests: a memory server and client scripts, run from source through tsx. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

export const ROOT = path.resolve(__dirname, '../../..');

export interface Child {
  process: ChildProcess;
  lines: unknown[];
  /** Resolves with the first JSON line matching `test`. */
  waitForLine<T>(test: (line: T) => boolean, timeoutMs: number): Promise<T>;
  exited: Promise<number | null>;
  kill9(): Promise<void>;
  stderr(): string;
}

export function runTs(script: string, args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: unknown[] = [];
  const waiters = new Set<() => void>();
  let errText = '';
  child.stderr!.on('data', (chunk: Buffer) => (errText = (errText + chunk.toString()).slice(-4000)));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line));
    } catch {
      return;
    }
    for (const wake of [...waiters]) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  exited.then(
    () => {
      for (const wake of [...waiters]) wake();
    },
    () => undefined,
  );
  let exitedNow = false;
  void exited.then(() => (exitedNow = true));
  return {
    process: child,
    lines,
    exited,
    stderr: () => errText,
    waitForLine<T>(test: (line: T) => boolean, timeoutMs: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const found = (lines as T[]).find(test);
          if (found !== undefined) {
            done();
            resolve(found);
          } else if (exitedNow) {
            done();
            reject(new Error(`${script} exited before the expected line; stderr: ${errText}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${script}: no expected line within ${timeoutMs} ms; stderr: ${errText}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export async function startServerProcess(
  dataDir: string,
  port = 0,
  extra: string[] = [],
): Promise<{ child: Child; url: string }> {
  const child = runTs('src/sandbox/memory/main.ts', ['--port', String(port), '--data', dataDir, ...extra]);
  const line = await child.waitForLine<{ memory?: string }>((l) => typeof l.memory === 'string', 20_000);
  return { child, url: line.memory! };
}
