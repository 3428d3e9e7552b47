import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../../src/cli/main';
import { builtInPhases } from '../../../src/core/migration/phases';

const PHASES = builtInPhases().infos();

const ROOT = path.resolve(__dirname, '..', '..', '..');

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await main(argv, { stdout, stderr, cwd: ROOT, env: {} });
  return { code, stdout: out, stderr: err };
}

describe('foundation: the orchestra-migrate command line', () => {
  it('prints the package version for --version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const { code, stdout } = await cli(['--version']);
    assert.equal(code, 0);
    assert.equal(stdout.trim(), version);
  });

  it('lists the seven phases with status', async () => {
    const { code, stdout } = await cli(['status']);
    assert.equal(code, 0);
    for (const phase of PHASES) assert.match(stdout, new RegExp(phase.title));
  });

  it('exits 2 on an unknown command', async () => {
    const { code, stderr } = await cli(['no-such-command']);
    assert.equal(code, 2);
    assert.match(stderr, /unknown command/);
  });
});
