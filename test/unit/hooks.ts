/**
 * Root hooks of the unit suite (loaded by .mocharc.json). The suite runs without mocha's
 * `exit`: a server, child process or timer a test leaves behind keeps Node alive, and
 * the run would never end. The last hook fails the suite naming what is still open.
 */
import { ChildProcess } from 'node:child_process';
import * as net from 'node:net';

import { LEFT_OPEN } from './memory/fixtures/mcp-http-proxy';

interface Leak {
  kind: 'server' | 'child process' | 'MCP session';
  what: string;
}

/** Node's own list of what keeps the process alive (no public API lists the objects). */
function activeHandles(): unknown[] {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
}

export function leaks(): Leak[] {
  const found: Leak[] = [...LEFT_OPEN].map((what) => ({
    kind: 'MCP session' as const,
    what: `${what} (never DELETEd)`,
  }));
  for (const handle of activeHandles()) {
    if (handle instanceof ChildProcess && handle.exitCode === null && handle.signalCode === null) {
      found.push({ kind: 'child process', what: `pid ${handle.pid}: ${handle.spawnargs.join(' ').slice(0, 200)}` });
    } else if (handle instanceof net.Server && handle.listening) {
      const address = handle.address();
      found.push({
        kind: 'server',
        what: typeof address === 'string' ? address : `${address?.address}:${address?.port}`,
      });
    }
  }
  return found;
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
