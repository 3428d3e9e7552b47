/**
 * What the hardening tests share: the command line as a child process (built once per
 * test process), a hash of a folder tree (to prove nothing outside the workspace
 * changed), and a seeded random source (fuzz runs print their seed to be replayed).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { shippedCli } from '../bundles';

/** The CLI as shipped (built by esbuild.js, chunks and all), once per test process. */
export const cliBundle = shippedCli;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  result: Promise<CliResult>;
  kill(signal: NodeJS.Signals): void;
  pid: number | undefined;
  /** Resolves when stdout or stderr has shown text matching the pattern. */
  waitFor(pattern: RegExp): Promise<void>;
}

/** `orchestra-migrate <args>` in `cwd`, with only PATH, HOME and `env`; killed after `timeoutMs`. */
export async function startCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<CliRun> {
  const script = await cliBundle();
  const child = spawn(process.execPath, [script, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...watchers]) {
      if (w.pattern.test(stdout) || w.pattern.test(stderr)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    check();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    check();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const result = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    result,
    pid: child.pid,
    kill: (signal) => child.kill(signal),
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        watchers.push({ pattern, resolve });
        check();
        void result.then(() => reject(new Error(`exited before printing ${pattern}:\n${stdout}\n${stderr}`)));
      }),
  };
}

export async function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000) {
  return (await startCli(args, cwd, env, timeoutMs)).result;
}

/**
 * Every entry under `dir` with its kind and content hash, as one digest (and the list,
 * for a readable diff). `skip`: names of top-level entries left out (the workspace).
 */
export function treeHash(dir: string, skip: readonly string[] = []): { digest: string; entries: string[] } {
  const entries: string[] = [];
  const walk = (folder: string, rel: string) => {
    for (const name of readdirSync(folder).sort()) {
      if (!rel && skip.includes(name)) continue;
      const full = path.join(folder, name);
      const relative = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(full);
      if (stat.isDirectory()) {
        entries.push(`${relative}/`);
        walk(full, relative);
      } else if (stat.isSymbolicLink()) {
        entries.push(`${relative} -> ${readlinkSync(full)}`);
      } else {
        entries.push(`${relative} ${createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 16)}`);
      }
    }
  };
  walk(dir, '');
  return { digest: createHash('sha256').update(entries.join('\n')).digest('hex'), entries };
}

/** mulberry32: small, fast, good enough to pick mutations; the seed replays a run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Files the engine leaves only while it runs: a lock, a temp file of an atomic write. */
export function leftovers(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string) => {
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      return;
    }
    for (const name of names) {
      const full = path.join(folder, name);
      if (lstatSync(full).isDirectory()) walk(full);
      else if (/^lock-.*\.json$|\.tmp$/.test(name)) out.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return out;
}
