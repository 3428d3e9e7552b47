/**
 * The unit suite's end-of-suite check (test/unit/hooks.ts) fails a run that leaves a
 * server, a child process, a process a child started, or an MCP session open, naming
 * each, and passes one that closes them: run on a test file of its own in a mocha
 * with the suite's configuration, as `npm run test:unit` runs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'mocha';

const ROOT = path.resolve(__dirname, '../../..');
const MOCHA = require.resolve('mocha/bin/mocha.js');
const FIXTURE = path.join(__dirname, 'fixtures', 'leaves-open.fixture.ts');

function runFixture(leave: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [MOCHA, '--reporter', 'spec', FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, LEAK_FIXTURE: leave },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** What the fixture left ends once its mocha is gone (each watches that pid): wait for it. */
async function waitGone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (pids.some(alive)) {
    if (Date.now() > deadline) throw new Error(`pids ${pids.filter(alive).join(', ')} outlived the fixture`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the end-of-suite check for what tests leave open', function () {
  this.timeout(120_000);

  it('fails the run naming each server, child process, process a child left, and MCP session left open', async () => {
    const { code, out } = await runFixture('server,child,orphan,session');
    const pids = [...out.matchAll(/ pid (\d+): /g)].map((m) => Number(m[1]));
    await waitGone(pids);
    assert.notEqual(code, 0, out);
    assert.match(out, /1 failing/);
    assert.match(
      out,
      /"after all" hook: afterAll[\s\S]*the unit tests left 4 server\(s\), child process\(es\) or MCP session\(s\) open/,
    );
    assert.match(out, /^ {2}server 127\.0\.0\.1:\d+$/m);
    assert.match(out, /^ {2}child process pid \d+: \S+node -e const p = Number/m);
    assert.match(out, /^ {2}process left by a child pid \d+: \S+node -e const p = Number/m);
    assert.match(out, /^ {2}MCP session http:\/\/127\.0\.0\.1:\d+\/mcp [0-9a-f-]{36} \(never DELETEd\)$/m);
  });

  it('passes a run that closes what it opened', async () => {
    const { code, out } = await runFixture('none');
    assert.equal(code, 0, out);
    assert.match(out, /1 passing/);
    assert.doesNotMatch(out, /left \d+ server/);
  });
});
