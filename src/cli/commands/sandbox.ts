/**
 * `orchestra-migrate sandbox`: the local Google Cloud emulator and memory server
 * for rehearsals, until SIGINT/SIGTERM. With --json, exactly one JSON line on
 * stdout carries the URLs (`npm start` reads it).
 */
import * as path from 'node:path';
import { InputError } from '../../core/errors';
import { DEFAULT_PORTS, emulatorOverrideEnv } from '../../core/workspace/rehearsal';
import { startSandbox } from '../../sandbox';
import { EXIT_OK, type CliCommand, type CliContext } from '../command';

interface SandboxArgs {
  port: number;
  memoryPort: number;
  memoryTargetPort: number;
  dataDir: string;
  json: boolean;
  lroDelayMs?: number;
  latencyMs?: number;
  runLatencyMs?: number;
  seed: number;
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
  // Ports not given follow the config's port table, so a default config reaches the
  // sandbox as it is; with --port 0 (tests, npm start) every server takes a free port.
  const given: { memoryPort?: number; memoryTargetPort?: number } = {};
  const args: SandboxArgs = {
    port: DEFAULT_PORTS.gcpEmulator,
    memoryPort: 0,
    memoryTargetPort: 0,
    dataDir: path.resolve(cwd, '.orchestra/sandbox'),
    json: false,
    seed: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--port':
        args.port = parsePort(argv[++i], flag);
        break;
      case '--memory-port':
        given.memoryPort = parsePort(argv[++i], flag);
        break;
      case '--memory-target-port':
        given.memoryTargetPort = parsePort(argv[++i], flag);
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
      case '--seed': {
        const value = argv[++i];
        const count = Number(value);
        if (value === undefined || !Number.isInteger(count) || count < 0 || count > 1_000_000) {
          throw new InputError(`--seed needs a number of records between 0 and 1000000, got '${value ?? ''}'`, {
            where: flag,
            fix: 'e.g. --seed 20000',
          });
        }
        args.seed = count;
        break;
      }
      default:
        throw new InputError(`Unknown option '${flag}'`, {
          where: 'orchestra-migrate sandbox',
          fix: `Usage: ${sandboxCommand.usage}`,
        });
    }
  }
  const free = args.port === 0;
  args.memoryPort = given.memoryPort ?? (free ? 0 : DEFAULT_PORTS.memory);
  args.memoryTargetPort = given.memoryTargetPort ?? (free ? 0 : DEFAULT_PORTS.memory + 1);
  return args;
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function printHuman(
  ctx: CliContext,
  urls: { gcp: string; memory: string; memoryTarget: string },
  dataDir: string,
  records: { seeded: number; held: number },
): void {
  const rehearsal = {
    gcp: { emulator: true },
    endpoints: { memory: urls.memory, gcpEmulator: urls.gcp },
    phases: { memorySystem: { targetEndpoint: urls.memoryTarget } },
  };
  const lines = [
    `Google Cloud emulator: ${urls.gcp}  (every API on this host, paths as on Google's)`,
    `Memory server:         ${urls.memory}  (the copy's source: ${records.held.toLocaleString('en')} records${
      records.seeded ? `, ${records.seeded.toLocaleString('en')} demo records written now` : ''
    })`,
    `Target memory server:  ${urls.memoryTarget}  (stands in for the cloud memory server)`,
    `State:                 ${dataDir}`,
    '',
    'Rehearse against it: put this in config/local.json (merged over your settings), set a project ID',
    '(any, e.g. ORCHESTRA_PROJECT_ID=rehearsal-project), then run verify and execute:',
    ...JSON.stringify(rehearsal, null, 2)
      .split('\n')
      .map((line) => `  ${line}`),
    '',
    'For gcloud:',
    ...Object.entries(emulatorOverrideEnv(urls.gcp)).map(([k, v]) => `  export ${k}=${v}`),
    '  export CLOUDSDK_AUTH_ACCESS_TOKEN=sandbox',
    '',
    'Press Ctrl+C to stop.',
  ];
  ctx.stdout.write(lines.join('\n') + '\n');
}

export const sandboxCommand: CliCommand = {
  usage:
    'orchestra-migrate sandbox [--port P] [--memory-port Q] [--memory-target-port R] [--data DIR] [--json]\n' +
    '                          [--lro-delay-ms N] [--latency-ms N] [--run-latency-ms N] [--seed N]\n' +
    '  --port P            Google Cloud emulator port (default 8085; 0 picks a free one for every server)\n' +
    '  --memory-port Q     memory server, the copy source (default 8765)\n' +
    '  --memory-target-port R  rehearsal target memory server (default 8766)\n' +
    '  --data DIR          where state persists (default .orchestra/sandbox)\n' +
    '  --json              print one line {"gcp":URL,"memory":URL,"memoryTarget":URL} and nothing else on stdout\n' +
    '  --lro-delay-ms N    how long long-running operations take (default 1000)\n' +
    '  --latency-ms N      added to every Google API answer\n' +
    '  --run-latency-ms N  latency of the deployed Cloud Run service URLs (Validation rehearsals)\n' +
    '  --seed N            write N demo records into the source memory server if it is empty\n' +
    'Faults can also be changed while it runs: POST /__admin/faults (docs/emulator.md).',
  async run(ctx) {
    const args = parseSandboxArgs(ctx.argv, ctx.cwd);
    const sandbox = await startSandbox({
      port: args.port,
      memoryPort: args.memoryPort,
      memoryTargetPort: args.memoryTargetPort,
      dataDir: args.dataDir,
      seedRecords: args.seed,
      gcp: {
        ...(args.lroDelayMs === undefined ? {} : { lroDelayMs: args.lroDelayMs }),
        ...(args.latencyMs === undefined ? {} : { latencyMs: args.latencyMs }),
        ...(args.runLatencyMs === undefined ? {} : { runServiceLatencyMs: args.runLatencyMs }),
      },
    });
    if (args.json) ctx.stdout.write(JSON.stringify(sandbox.urls) + '\n');
    else printHuman(ctx, sandbox.urls, args.dataDir, { seeded: sandbox.seeded, held: sandbox.memory.store.size });
    await waitForAbort(ctx.signal);
    await sandbox.close();
    if (!args.json) ctx.stderr.write('sandbox stopped; state kept in ' + args.dataDir + '\n');
    return EXIT_OK;
  },
};
