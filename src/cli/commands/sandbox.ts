/**
 * `orchestra-migrate sandbox`: the local Google Cloud emulator and memory server
 * for rehearsals, until SIGINT/SIGTERM. With --json, exactly one JSON line on
 * stdout carries the URLs (`npm start` reads it).
 */
import * as path from 'node:path';
import { InputError } from '../../core/errors';
import { DEFAULT_PORTS, emulatorOverrideEnv, rehearsalProject } from '../../core/workspace/rehearsal';
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
  /** Projects the emulator creates (it knows no other): --project flags, else the configured one. */
  projects: string[];
  embeddings: number;
}

/** Google's project ID rule: 6-30 characters, lowercase letters, digits and hyphens, a letter first. */
const PROJECT_ID = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;

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
    projects: [],
    embeddings: 0,
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
      case '--project': {
        const id = argv[++i] ?? '';
        if (!PROJECT_ID.test(id)) {
          throw new InputError(`--project needs a Google Cloud project ID, got '${id}'`, {
            where: flag,
            fix: 'e.g. --project rehearsal-project (6-30 lowercase letters, digits and hyphens, a letter first)',
          });
        }
        args.projects.push(id);
        break;
      }
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
      case '--embeddings': {
        const value = argv[++i];
        const dimension = Number(value);
        if (value === undefined || !Number.isInteger(dimension) || dimension < 0 || dimension > 16000) {
          throw new InputError(`--embeddings needs a dimension between 0 and 16000, got '${value ?? ''}'`, {
            where: flag,
            fix: 'e.g. --embeddings 768 (phases.memorySystem.vectorStore.dimension)',
          });
        }
        args.embeddings = dimension;
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
  access: { projects: string[]; token: string },
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
    `Projects:              ${access.projects.join(', ') || '(none yet: restart with --project ID)'}  (the emulator knows no other, as Google would not)`,
    '',
    'Rehearse against it: put this in config/local.json (merged over your settings), use one of the projects',
    'above as the project ID (e.g. ORCHESTRA_PROJECT_ID=...), then run verify and execute:',
    ...JSON.stringify(rehearsal, null, 2)
      .split('\n')
      .map((line) => `  ${line}`),
    '',
    'For gcloud (a throw-away config folder, so your own gcloud settings stay untouched):',
    ...gcloudInstructions(urls.gcp, access).map((line) => `  ${line}`),
    '',
    'Press Ctrl+C to stop.',
  ];
  ctx.stdout.write(lines.join('\n') + '\n');
}

/**
 * Environment for gcloud: every API override, a token the emulator issued (it refuses any
 * other), and the emulator as HTTP proxy, because `gcloud run` reads services through
 * Knative v1 on a regional host ('us-central1-127.0.0.1') that no resolver knows; the
 * emulator serves absolute-form requests for every host, so all groups work through it.
 */
export function gcloudInstructions(gcpUrl: string, access: { projects: string[]; token: string }): string[] {
  const port = new URL(gcpUrl).port;
  return [
    'export CLOUDSDK_CONFIG=$(mktemp -d)',
    ...Object.entries(emulatorOverrideEnv(gcpUrl)).map(([k, v]) => `export ${k}=${v}`),
    `export CLOUDSDK_AUTH_ACCESS_TOKEN=${access.token}`,
    ...(access.projects[0] ? [`export CLOUDSDK_CORE_PROJECT=${access.projects[0]}`] : []),
    `export CLOUDSDK_PROXY_TYPE=http CLOUDSDK_PROXY_ADDRESS=127.0.0.1 CLOUDSDK_PROXY_PORT=${port}`,
    `# the token lasts 12 hours; another: curl -s -d grant_type=client_credentials ${gcpUrl}/token`,
  ];
}

export const sandboxCommand: CliCommand = {
  runsUntilStopped: true,
  usage:
    'orchestra-migrate sandbox [--port P] [--memory-port Q] [--memory-target-port R] [--data DIR] [--json]\n' +
    '                          [--lro-delay-ms N] [--latency-ms N] [--run-latency-ms N] [--seed N] [--project ID] [--embeddings D]\n' +
    '  --port P            Google Cloud emulator port (default 8085; 0 picks a free one for every server)\n' +
    '  --memory-port Q     memory server, the copy source (default 8765)\n' +
    '  --memory-target-port R  rehearsal target memory server (default 8766)\n' +
    '  --data DIR          where state persists (default .orchestra/sandbox)\n' +
    '  --json              print one line {"gcp":URL,"memory":URL,"memoryTarget":URL} and nothing else on stdout\n' +
    '  --lro-delay-ms N    how long long-running operations take (default 1000)\n' +
    '  --latency-ms N      added to every Google API answer\n' +
    '  --run-latency-ms N  latency of the deployed Cloud Run service URLs (Validation rehearsals)\n' +
    '  --seed N            write N demo records into the source memory server if it is empty\n' +
    '  --project ID        a project the emulator creates (repeatable; default: the configured projectId)\n' +
    "  --embeddings D      give each demo record an embedding of D dimensions (768: vectorStore's default)\n" +
    'Faults can also be changed while it runs: POST /__admin/faults (docs/emulator.md).',
  async run(ctx) {
    const args = parseSandboxArgs(ctx.argv, ctx.cwd);
    const configured = args.projects.length ? undefined : await rehearsalProject(ctx.cwd, ctx.env);
    const projects = configured ? [configured] : args.projects;
    const sandbox = await startSandbox({
      port: args.port,
      memoryPort: args.memoryPort,
      memoryTargetPort: args.memoryTargetPort,
      dataDir: args.dataDir,
      seedRecords: args.seed,
      seedEmbeddingDimension: args.embeddings,
      gcp: {
        ...(args.lroDelayMs === undefined ? {} : { lroDelayMs: args.lroDelayMs }),
        ...(args.latencyMs === undefined ? {} : { latencyMs: args.latencyMs }),
        ...(args.runLatencyMs === undefined ? {} : { runServiceLatencyMs: args.runLatencyMs }),
        projects,
      },
    });
    if (args.json) ctx.stdout.write(JSON.stringify(sandbox.urls) + '\n');
    else
      printHuman(
        ctx,
        sandbox.urls,
        args.dataDir,
        { seeded: sandbox.seeded, held: sandbox.memory.store.size },
        { projects: sandbox.gcp.projects(), token: sandbox.gcp.issueToken() },
      );
    await waitForAbort(ctx.signal);
    await sandbox.close();
    if (!args.json) ctx.stderr.write('sandbox stopped; state kept in ' + args.dataDir + '\n');
    return EXIT_OK;
  },
};
