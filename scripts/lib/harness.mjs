// What the test runners and `npm start` share: paths, fresh per-run folders, the
// pinned code-server, child processes in their own process group, ports, Chromium.
// See shared/TESTING-IN-VSCODE.md for why each piece is the way it is.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CODE_SERVER_VERSION = '4.100.3';
export const CODE_SERVER_DIR = process.env.ORCHESTRA_CODE_SERVER_DIR ?? path.join(ROOT, '.code-server');
export const CODE_SERVER = path.join(CODE_SERVER_DIR, 'node_modules', 'code-server');
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER, 'out', 'node', 'entry.js');
export const SERVER_MAIN = path.join(CODE_SERVER, 'lib', 'vscode', 'out', 'server-main.js');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const VSIX = path.join(ROOT, 'orchestra-migrate.vsix');
export const RUNS_DIR = path.join(ROOT, '.test-runs');
export const EXTENSION_ID = 'orchestra.orchestra-migrate';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function log(prefix, message) {
  process.stdout.write(`[${prefix}] ${message}\n`);
}

/** Runs a command to completion with inherited output; throws on a non-zero exit. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: ROOT, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
}

/** Installs code-server (and the Debian packages it needs) when it is missing. */
export function ensureCodeServer() {
  const marker = path.join(CODE_SERVER_DIR, `.installed-${CODE_SERVER_VERSION}`);
  if (existsSync(marker) && existsSync(SERVER_MAIN) && existsSync(CHROMIUM)) return;
  run('bash', [path.join(ROOT, 'scripts', 'setup-test-env.sh')]);
}

/**
 * Fresh folders for one run, under the git-ignored .test-runs/: VS Code's user data,
 * extensions, server data, XDG folders and TMPDIR (so nothing lands in ~/.config or /tmp).
 */
export function freshRunDirs(name, { persistent = false } = {}) {
  // Short names: VS Code's IPC socket paths under TMPDIR must stay below 108 characters.
  const stamp = Date.now().toString(36);
  const base = persistent ? path.join(RUNS_DIR, name) : path.join(RUNS_DIR, `${name}-${stamp}`);
  const dirs = {
    base,
    userData: path.join(base, 'user-data'),
    extensions: path.join(base, 'extensions'),
    serverData: path.join(base, 'server-data'),
    xdgConfig: path.join(base, 'xdg', 'config'),
    xdgData: path.join(base, 'xdg', 'data'),
    xdgCache: path.join(base, 'xdg', 'cache'),
    xdgState: path.join(base, 'xdg', 'state'),
    tmp: path.join(base, 'tmp'),
    workspace: path.join(base, 'workspace'),
    logs: path.join(base, 'logs'),
  };
  if (!persistent) pruneRuns(name);
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  return dirs;
}

/** Keeps the newest few run folders of a kind (for their logs) and removes the rest. */
function pruneRuns(name, keep = 4) {
  if (!existsSync(RUNS_DIR)) return;
  const runs = readdirSync(RUNS_DIR)
    .filter((n) => n.startsWith(`${name}-`))
    .map((n) => ({ dir: path.join(RUNS_DIR, n), time: statSync(path.join(RUNS_DIR, n)).mtimeMs }))
    .sort((a, b) => b.time - a.time);
  for (const old of runs.slice(keep)) rmSync(old.dir, { recursive: true, force: true });
}

/** The environment for VS Code processes of one run: its own XDG folders and TMPDIR. */
export function isolatedEnv(dirs, extra = {}) {
  // code-server lets $PORT override --bind-addr, so a PORT meant for us (npm start's) must not reach it.
  const { PORT: _port, ...inherited } = process.env;
  return {
    ...inherited,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: dirs.xdgCache,
    XDG_STATE_HOME: dirs.xdgState,
    XDG_RUNTIME_DIR: dirs.tmp,
    TMPDIR: dirs.tmp,
    VSCODE_CLI_DATA_DIR: dirs.serverData,
    ...extra,
  };
}

/** Quiet user settings: no welcome page, telemetry or update checks. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  // The run folders live inside this repository: no prompt to open the parent repository.
  'git.openRepositoryInParentFolders': 'never',
};

/** Writes settings where both code-server and the plain VS Code server read user settings. */
export function writeUserSettings(dirs, settings = QUIET_SETTINGS) {
  const text = JSON.stringify(settings, null, 2) + '\n';
  for (const dir of [path.join(dirs.userData, 'User'), path.join(dirs.serverData, 'data', 'User')]) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'settings.json'), text);
  }
}

/** A port the OS says is free now. */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether a port can be listened on. */
export function portIsFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * Starts a long-running child in its own process group (so the whole tree can be
 * ended at once), with its output appended to a log file and, when echo is set, to ours.
 */
export function startDetached(command, args, { env, cwd = ROOT, logFile, echo = false, prefix = 'child' }) {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      out?.write(chunk);
      if (echo) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) process.stdout.write(`[${prefix}] ${line}\n`);
      }
    });
  }
  child.on('exit', () => out?.end());
  return child;
}

/** Ends a child's whole process group: SIGTERM, then SIGKILL after a grace period. */
export async function killGroup(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const timer = new Promise((resolve) => setTimeout(() => resolve('timeout'), graceMs));
  if ((await Promise.race([exited, timer])) === 'timeout') {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000))]);
  }
}

/** Waits until an HTTP GET answers (any status below 500), or the child exits, or time runs out. */
export async function waitForHttp(url, { timeoutMs = 60_000, child } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before answering`);
    try {
      const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
      if (response.status < 500) return;
      lastError = new Error(`HTTP ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${lastError?.message ?? 'no answer'}`);
}

/**
 * Headless Debian Chromium through playwright-core (never a downloaded browser), with
 * the run's XDG folders and TMPDIR so its profile and crash reports stay in the run folder.
 */
export async function launchChromium(dirs) {
  const { chromium } = await import('playwright-core');
  const env = isolatedEnv(dirs);
  process.env.TMPDIR = dirs.tmp; // playwright puts the browser profile under os.tmpdir()
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, env });
}

/** Installs the VSIX into a fresh extensions folder with code-server's own CLI. */
export function installVsix(dirs, env, vsix = VSIX) {
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing: run npm run package first`);
  run(
    process.execPath,
    [
      CODE_SERVER_ENTRY,
      '--user-data-dir',
      dirs.userData,
      '--extensions-dir',
      dirs.extensions,
      '--install-extension',
      vsix,
      '--force',
    ],
    { env },
  );
}

/** Arguments for serving code-server on 127.0.0.1 without auth, telemetry or update checks. */
export function codeServerArgs(dirs, port, folder) {
  return [
    CODE_SERVER_ENTRY,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--ignore-last-opened',
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.extensions,
    folder,
  ];
}

/** Ends the given children (in reverse start order) when this process is told to stop. */
export function cleanupOnSignals(cleanup) {
  let stopping = false;
  const handler = (signal) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n[cleanup] ${signal}: stopping children\n`);
    Promise.resolve(cleanup()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', handler);
}
