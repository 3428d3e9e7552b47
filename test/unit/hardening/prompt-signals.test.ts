/**
 * Ctrl-C and SIGTERM at a confirmation prompt (execute, destroy and cutover ask on a
 * terminal unless --yes), in a child process on a real terminal: `script` gives it a
 * pseudo-terminal, as a user's shell does. readline reads Ctrl-C as a key there; it used
 * to end the command with exit 1 ("Aborted with Ctrl+C"), and a SIGTERM meanwhile printed
 * "stopping" and then waited for an answer forever. Now: 130 / 143 at once, nothing run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { cliBundle, leftovers, treeHash } from './harness';

/** The pid of the node process under `script` (script -> sh -> node, or script -> node). */
function nodeUnder(pid: number): number | undefined {
  const children = (p: number): number[] => {
    const file = `/proc/${p}/task/${p}/children`;
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
  };
  for (const child of children(pid)) {
    if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'node') return child;
    const deeper = nodeUnder(child);
    if (deeper) return deeper;
  }
  return undefined;
}

describe('a signal at a confirmation prompt on a terminal (child process under script)', function () {
  this.timeout(120_000);
  let parent: string;
  let ws: string;

  before(async function () {
    if (!existsSync('/usr/bin/script') || !existsSync('/proc/self/task')) this.skip();
    parent = await mkdtemp(path.join(os.tmpdir(), 'orchestra-prompt-'));
    ws = path.join(parent, 'ws');
    await mkdir(path.join(ws, 'config'), { recursive: true });
    await writeFile(
      path.join(ws, 'config', 'common.json'),
      JSON.stringify({
        projectId: 'orchestra-test',
        gcp: { emulator: true, endpointOverrides: { serviceusage: 'http://127.0.0.1:9' } },
      }),
    );
  });
  after(async () => parent && rm(parent, { recursive: true, force: true }));

  async function atPrompt(how: 'ctrl-c' | 'SIGTERM', code: number) {
    const cli = await cliBundle();
    const outside = treeHash(parent, ['ws']).entries;
    const child = spawn('script', ['-qfec', `exec ${process.execPath} ${cli} execute`, '/dev/null'], {
      cwd: ws,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const deadline = Date.now() + 60_000;
    while (!/\[y\/N\]/.test(out)) {
      if (Date.now() > deadline) assert.fail(`no prompt: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const sentAt = Date.now();
    if (how === 'ctrl-c') child.stdin.write('\x03');
    else {
      const node = nodeUnder(child.pid!);
      assert.ok(node, 'the node process under script');
      process.kill(node, 'SIGTERM');
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const exit = await exited;
    clearTimeout(timer);
    assert.equal(exit, code, out);
    assert.ok(Date.now() - sentAt < 20_000, 'stopped at once');
    assert.match(out, /stopping/);
    assert.match(out, /Stopped before an answer: nothing was changed/);
    assert.doesNotMatch(out, /Aborted with Ctrl\+C|run \S+ started/);
    assert.deepEqual(leftovers(ws), []);
    assert.equal(existsSync(path.join(ws, '.orchestra')), false, 'no state written');
    assert.deepEqual(treeHash(parent, ['ws']).entries, outside);
  }

  it('Ctrl-C at "Execute every phase ...? [y/N]": exit 130, nothing run', async () => {
    await atPrompt('ctrl-c', 130);
  });

  it('SIGTERM at the prompt: exit 143 at once, not a wait for an answer', async () => {
    await atPrompt('SIGTERM', 143);
  });
});
