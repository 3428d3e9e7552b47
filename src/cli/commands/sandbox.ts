/**
 * `orchestra-migrate sandbox`: the local Google Cloud emulator and memory server
 * for rehearsals, until SIGINT/SIGTERM. With --json, exactly one JSON line on
 * stdout carries the URLs (`npm start` reads it).
 */
import * as path from 'node:path';
import { InputError } from '../../core/errors';
import type * as SandboxModule from '../../sandbox';
import { emulatorOverrideEnv } from '../../core/gcp/endpoints';
import { EXIT_OK, type CliCommand, type CliContext } from '../command';

interface SandboxArgs {
  port: number;
  memoryPort: number;
  dataDir: string;
  json: boolean;
  lroDelayMs?: number;
  latencyMs?: number;
  runLatencyMs?: number;
}

function parsePort(value: string | undefined, flag: string): number {
  const port = Number(value);
  if (value === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InputError(`${flag} needs a port number between 0 and 65535, got '${value ?? ''}'`, {
      where: flag,
      fix: `e.g. ${flag} 8085, or ${flag} 0 for any free port`,
    });
  }
  return port;
}

function parseMs(value: string | undefined, flag: string): number {
  const ms = Number(value);
  if (value === undefined || !Number.isInteger(ms) || ms < 0 || ms > 600_000) {
    throw new InputError(`${flag} needs milliseconds between 0 and 600000, got '${value ?? ''}'`, {
      where: flag,
      fix: `e.g. ${flag} 250`,
    });
  }
  return ms;
}

export function parseSandboxArgs(argv: string[], cwd: string): SandboxArgs {
  const args: SandboxArgs = {
    port: 8085,
    memoryPort: 0,
    dataDir: path.resolve(cwd, '.orchestra/sandbox'),
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--port':
        args.port = parsePort(argv[++i], flag);
        break;
      case '--memory-port':
        args.memoryPort = parsePort(argv[++i], flag);
        break;
      case '--data':
        if (!argv[i + 1])
          throw new InputError('--data needs a folder', { where: flag, fix: 'e.g. --data .orchestra/sandbox' });
        args.dataDir = path.resolve(cwd, argv[++i]);
        break;
      case '--lro-delay-ms':
        args.lroDelayMs = parseMs(argv[++i], flag);
        break;
      case '--latency-ms':
        args.latencyMs = parseMs(argv[++i], flag);
        break;
      case '--run-latency-ms':
        args.runLatencyMs = parseMs(argv[++i], flag);
        break;
      case '--json':
        args.json = true;
        break;
      default:
        throw new InputError(`Unknown option '${flag}'`, {
          where: 'orchestra-migrate sandbox',
          fix: `Usage: ${sandboxCommand.usage}`,
        });
    }
  }
  return args;
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function printHuman(ctx: CliContext, urls: { gcp: string; memory: string }, dataDir: string): void {
  const lines = [
    `Google Cloud emulator: ${urls.gcp}  (every API on this host, paths as on Google's)`,
    `Memory server:         ${urls.memory}`,
    `State:                 ${dataDir}`,
    '',
    'Point the engine at it: set gcp.emulator to true and gcp.endpointOverrides to the emulator URL, or for gcloud:',
    ...Object.entries(emulatorOverrideEnv(urls.gcp)).map(([k, v]) => `  export ${k}=${v}`),
    '  export CLOUDSDK_AUTH_ACCESS_TOKEN=sandbox',
    '',
    'Press Ctrl+C to stop.',
  ];
  ctx.stdout.write(lines.join('\n') + '\n');
}

export const sandboxCommand: CliCommand = {
  name: 'sandbox',
  summary: 'Run the local Google Cloud emulator and memory server for a rehearsal',
  usage:
    'orchestra-migrate sandbox [--port P] [--memory-port Q] [--data DIR] [--json]\n' +
    '                          [--lro-delay-ms N] [--latency-ms N] [--run-latency-ms N]\n' +
    '  --port P            Google Cloud emulator port (default 8085; 0 picks a free one)\n' +
    '  --data DIR          where state persists (default .orchestra/sandbox)\n' +
    '  --json              print one line {"gcp":URL,"memory":URL} and nothing else on stdout\n' +
    '  --lro-delay-ms N    how long long-running operations take (default 1000)\n' +
    '  --latency-ms N      added to every Google API answer\n' +
    '  --run-latency-ms N  latency of the deployed Cloud Run service URLs (Validation rehearsals)\n' +
    'Faults can also be changed while it runs: POST /__admin/faults (docs/emulator.md).',
  async run(ctx) {
    const args = parseSandboxArgs(ctx.argv, ctx.cwd);
    // Loaded here so other commands never pay for the emulator (require: the CLI is CommonJS).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startSandbox } = require('../../sandbox') as typeof SandboxModule;
    const sandbox = await startSandbox({
      port: args.port,
      memoryPort: args.memoryPort,
      dataDir: args.dataDir,
      gcp: {
        ...(args.lroDelayMs === undefined ? {} : { lroDelayMs: args.lroDelayMs }),
        ...(args.latencyMs === undefined ? {} : { latencyMs: args.latencyMs }),
        ...(args.runLatencyMs === undefined ? {} : { runServiceLatencyMs: args.runLatencyMs }),
      },
    });
    if (args.json) ctx.stdout.write(JSON.stringify(sandbox.urls) + '\n');
    else printHuman(ctx, sandbox.urls, args.dataDir);
    await waitForAbort(ctx.signal);
    await sandbox.close();
    if (!args.json) ctx.stderr.write('sandbox stopped; state kept in ' + args.dataDir + '\n');
    return EXIT_OK;
  },
};
