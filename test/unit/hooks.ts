/**
 * Root hooks of the unit suite (loaded by .mocharc.json). The suite runs without mocha's
 * `exit`: a server, child process or timer a test leaves behind keeps Node alive, and
 * the run would never end. The last hook fails the suite naming what is still open,
 * including what would not keep Node alive: an unref'd server or child process, a
 * process a child left behind (orphaned), and a Streamable HTTP session no client ended.
 * test/unit/foundation/leak-check.test.ts proves that it fails.
 */
import { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';

import { LEFT_OPEN } from './memory/fixtures/mcp-http-proxy';

interface Leak {
  kind: 'server' | 'child process' | 'process left by a child' | 'MCP session';
  what: string;
}

/**
 * Every child process and listening server made in this process, ref'd or not: Node's
 * handle list (below) leaves out unref'd ones, which a test can leave running unnoticed.
 * Each leaves the set when it exits or closes.
 */
const spawned = new Set<ChildProcess>();
const listening = new Set<net.Server>();

function track(): void {
  // Every spawn, exec and fork goes through this (internal, untyped) method.
  const proto = ChildProcess.prototype as unknown as { spawn(this: ChildProcess, ...args: unknown[]): unknown };
  const spawn = proto.spawn;
  proto.spawn = function (this: ChildProcess, ...args: unknown[]) {
    const result = spawn.apply(this, args);
    spawned.add(this);
    this.once('exit', () => spawned.delete(this));
    return result;
  };
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    listening.add(this);
    this.once('close', () => listening.delete(this));
    return (listen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof listen;
}
track();

/** Node's own list of what keeps the process alive (no public API lists the objects). */
function activeHandles(): unknown[] {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
}

function describeServer(server: net.Server): string {
  const address = server.address();
  return typeof address === 'string' ? address : `${address?.address}:${address?.port}`;
}

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  start: number;
}

/** /proc/<pid>/stat, fields after the command name (which may hold spaces and parentheses). */
function procStat(pid: number | 'self'): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      pid: Number(text.slice(0, text.indexOf(' '))),
      state: fields[0],
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      start: Number(fields[19]),
    };
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 200);
  } catch {
    return '?';
  }
}

/**
 * esbuild's service process: tsx (which runs these tests) and the bundle tests start it
 * through esbuild's API, unref'd, and it ends with this process. Not a test's leak.
 */
const RUNNER_SERVICE = /\/esbuild --service=/;

/**
 * Processes a child of ours left behind: in our process group (a child inherits it, and an
 * orphan keeps it), started after this process, alive, and either below us or orphaned
 * (its parent outside the group: init or a subreaper took it). Processes our ancestors
 * started beside us (a load generator) have an ancestor as parent and are not ours.
 * Linux only (/proc); elsewhere the list is empty.
 */
function orphans(exclude: ReadonlySet<number>): Leak[] {
  const self = procStat('self');
  if (!self) return [];
  const all = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.pgrp === self.pgrp) all.set(stat.pid, stat);
  }
  const below = (stat: ProcStat): boolean => {
    for (let p: ProcStat | undefined = stat; p; p = all.get(p.ppid)) if (p.ppid === self.pid) return true;
    return false;
  };
  const found: Leak[] = [];
  for (const stat of all.values()) {
    if (stat.pid === self.pid || exclude.has(stat.pid) || stat.state === 'Z' || stat.start < self.start) continue;
    if (!below(stat) && all.has(stat.ppid)) continue;
    const command = commandLine(stat.pid);
    if (!RUNNER_SERVICE.test(command))
      found.push({ kind: 'process left by a child', what: `pid ${stat.pid}: ${command}` });
  }
  return found;
}

export function leaks(): Leak[] {
  const found: Leak[] = [...LEFT_OPEN].map((what) => ({
    kind: 'MCP session' as const,
    what: `${what} (never DELETEd)`,
  }));
  const children = new Set<ChildProcess>(spawned);
  const servers = new Set<net.Server>(listening);
  for (const handle of activeHandles()) {
    if (handle instanceof ChildProcess) children.add(handle);
    else if (handle instanceof net.Server) servers.add(handle);
  }
  const pids = new Set<number>();
  for (const child of children) {
    // No pid: it never started (ENOENT), and may never emit 'exit'.
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
    pids.add(child.pid);
    if (RUNNER_SERVICE.test(child.spawnargs.join(' '))) continue;
    found.push({ kind: 'child process', what: `pid ${child.pid}: ${child.spawnargs.join(' ').slice(0, 200)}` });
  }
  for (const server of servers) if (server.listening) found.push({ kind: 'server', what: describeServer(server) });
  return [...found, ...orphans(pids)];
}

/** One line per handle still keeping the process alive: what why-is-node-running would name. */
function describeHandles(): string {
  return activeHandles()
    .map((handle) => {
      const name = (handle as object).constructor?.name ?? typeof handle;
      if (handle instanceof net.Socket) return `  ${name} ${handle.remoteAddress ?? ''}:${handle.remotePort ?? ''}`;
      if (handle instanceof ChildProcess) return `  ${name} pid ${handle.pid}: ${handle.spawnargs.join(' ')}`;
      return `  ${name}`;
    })
    .join('\n');
}

/** How long Node may take to exit after the last test before the run counts as held open. */
const EXIT_GRACE_MS = 20_000;

export const mochaHooks = {
  afterAll(): void {
    // Unref'd: it fires only if something else still holds the process open after the suite.
    setTimeout(() => {
      process.stderr.write(
        `\nThe unit suite finished ${EXIT_GRACE_MS / 1000} s ago but Node is still held open by:\n` +
          `${describeHandles()}\n(resources: ${process.getActiveResourcesInfo().join(', ')})\n`,
      );
      process.exit(1);
    }, EXIT_GRACE_MS).unref();
    const open = leaks();
    if (open.length === 0) return;
    throw new Error(
      `the unit tests left ${open.length} server(s), child process(es) or MCP session(s) open; close them in the test that starts them:\n` +
        open.map((leak) => `  ${leak.kind} ${leak.what}`).join('\n'),
    );
  },
};
