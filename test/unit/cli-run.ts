import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main';

/**
 * Runs the command line in this process, as `orchestra-migrate <args>` in `cwd` (only PATH
 * inherited). `onErr` sees stderr as it grows: a test waits on what the command says.
 */
export async function runCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  onErr?: (sofar: string) => void,
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => {
    err += c.toString();
    onErr?.(err);
  });
  const code = await main(args, { cwd, env: { PATH: process.env.PATH, ...env }, stdout, stderr });
  return { code, out, err };
}
