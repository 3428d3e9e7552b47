// `npm start`: the product, running. Builds and packages the extension, installs the
// VSIX into code-server (persistent folders under .test-runs/start), prepares a demo
// workspace (.test-runs/demo-workspace), starts the local emulators when the CLI has
// `sandbox` and points the workspace's settings at them, then serves code-server on
// 127.0.0.1 and prints the URL. Ctrl-C stops everything it started.
// Environment: PORT (default 8080; a free port when taken), OM_START_FRESH=1 (new folders, emulator data
// and demo migration state).
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  ROOT,
  RUNS_DIR,
  codeServerArgs,
  ensureCodeServer,
  freePort,
  freshRunDirs,
  installVsix,
  isolatedEnv,
  killGroup,
  log,
  portIsFree,
  run,
  startDetached,
  waitForHttp,
  writeUserSettings,
} from './lib/harness.mjs';

const CLI = path.join(ROOT, 'dist', 'cli.js');
const DEMO = path.join(RUNS_DIR, 'demo-workspace');
const children = [];

function cliHas(command) {
  const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  return new RegExp(`^\\s+${command}\\s`, 'm').test(help.stdout ?? '');
}

/** The demo workspace: the project's default config files (never overwriting edits) and a short README. */
function prepareDemoWorkspace() {
  const config = path.join(DEMO, 'config');
  mkdirSync(path.join(config, 'schema'), { recursive: true });
  mkdirSync(path.join(DEMO, '.vscode'), { recursive: true });
  const defaults = path.join(ROOT, 'config');
  for (const sub of ['', 'schema']) {
    const from = path.join(defaults, sub);
    if (!existsSync(from)) continue;
    for (const name of readdirSync(from).filter((n) => n.endsWith('.json'))) {
      const to = path.join(config, sub, name);
      if (!existsSync(to)) copyFileSync(path.join(from, name), to);
    }
  }
  // The API's source (phases.apiDeployment.source defaults to 'api'): Execute builds it with Cloud Build.
  const api = path.join(DEMO, 'api');
  if (!existsSync(api)) cpSync(path.join(ROOT, 'demo', 'api'), api, { recursive: true });
  // The extension activates on config/common.json; an empty object takes every default.
  const common = path.join(config, 'common.json');
  if (!existsSync(common)) writeFileSync(common, '{}\n');
  const readme = path.join(DEMO, 'README.md');
  if (!existsSync(readme)) {
    writeFileSync(
      readme,
      '# Orchestra Migrate demo workspace\n\nMade by `npm start`. Open the Orchestra view in the activity bar.\n' +
        'When the local emulators run, `.vscode/settings.json` points the extension at them.\n',
    );
  }
}

/** Every Google API this project calls, mapped to the emulator (the same list the engine uses). */
async function emulatorOverrides(gcpUrl) {
  const { tsImport } = await import('tsx/esm/api');
  const endpoints = await tsImport(path.join(ROOT, 'src', 'core', 'gcp', 'endpoints.ts'), import.meta.url);
  return endpoints.emulatorOverrides(gcpUrl);
}

/**
 * The ports the sandbox had last time, where still free: its data outlives a restart, and
 * so do the URLs recorded in it and in the demo's state (the deployed API's URL is the
 * emulator's). A port taken since then becomes a free one.
 */
async function sandboxPorts(file) {
  let last = {};
  try {
    last = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // first start, or a file from an older layout
  }
  const keep = async (port) => (Number.isInteger(port) && port > 0 && (await portIsFree(port)) ? port : 0);
  return {
    gcp: await keep(last.gcp),
    memory: await keep(last.memory),
    memoryTarget: await keep(last.memoryTarget),
  };
}

const portOf = (url) => Number(new URL(url).port);

async function startSandbox(env, dataDir) {
  const portsFile = path.join(path.dirname(dataDir), 'sandbox-ports.json');
  const ports = await sandboxPorts(portsFile);
  // Demo records in the source memory server (first start only), so a rehearsal's copy has work to do.
  // The demo's project: the emulator knows no other, as Google would not.
  const args = [
    CLI,
    'sandbox',
    '--port',
    String(ports.gcp),
    '--memory-port',
    String(ports.memory),
    '--project',
    'orchestra-rehearsal',
  ];
  args.push('--memory-target-port', String(ports.memoryTarget), '--data', dataDir, '--json', '--seed', '5000');
  const child = startDetached(process.execPath, args, {
    env,
    logFile: path.join(RUNS_DIR, 'start', 'logs', 'sandbox.log'),
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout });
  const urls = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the sandbox printed no URLs within 30 s')), 30_000);
    lines.on('line', (line) => {
      try {
        const value = JSON.parse(line);
        if (value && typeof value.gcp === 'string') {
          clearTimeout(timer);
          resolve(value);
        }
      } catch {
        // not the JSON line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the sandbox exited with ${code}; see .test-runs/start/logs/sandbox.log`));
    });
  });
  writeFileSync(
    portsFile,
    JSON.stringify({ gcp: portOf(urls.gcp), memory: portOf(urls.memory), memoryTarget: portOf(urls.memoryTarget) }) +
      '\n',
  );
  return urls;
}

function writeWorkspaceSettings(settings) {
  const file = path.join(DEMO, '.vscode', 'settings.json');
  let current = {};
  if (existsSync(file)) {
    try {
      current = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      log('start', `${path.relative(ROOT, file)} is not plain JSON; rewriting it`);
    }
  }
  writeFileSync(file, JSON.stringify({ ...current, ...settings }, null, 2) + '\n');
}

async function choosePort() {
  const wanted = Number(process.env.PORT ?? 8080);
  if (Number.isInteger(wanted) && wanted > 0 && (await portIsFree(wanted))) return wanted;
  const port = await freePort();
  // PORT=0 asks for any free port; only a named port that is busy deserves a word.
  if (wanted !== 0) log('start', `port ${wanted} is taken; using ${port}`);
  return port;
}

async function stopAll() {
  for (const child of children.reverse()) await killGroup(child);
}

async function main() {
  if (!existsSync(path.join(ROOT, 'node_modules'))) throw new Error('run `npm ci` first');
  run('npm', ['run', '--silent', 'package']);
  ensureCodeServer();

  if (process.env.OM_START_FRESH === '1') {
    rmSync(path.join(RUNS_DIR, 'start'), { recursive: true, force: true });
    // The demo's migration state describes the emulators' data, which a fresh start wipes.
    rmSync(path.join(DEMO, '.orchestra'), { recursive: true, force: true });
  }
  const dirs = freshRunDirs('start', { persistent: true });
  const env = isolatedEnv(dirs);
  const settingsFile = path.join(dirs.userData, 'User', 'settings.json');
  if (!existsSync(settingsFile)) {
    writeUserSettings(dirs);
  }
  installVsix(dirs, env);
  prepareDemoWorkspace();

  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    log('start', 'stopping');
    await stopAll();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGHUP', () => void stop(0));

  if (cliHas('sandbox')) {
    const urls = await startSandbox(env, path.join(dirs.base, 'sandbox-data'));
    log('start', `local emulators: Google Cloud ${urls.gcp}, memory ${urls.memory}`);
    writeWorkspaceSettings({
      // A rehearsal project: the emulator accepts any ID, and the tree is ready to use.
      'orchestra.projectId': 'orchestra-rehearsal',
      'orchestra.gcp.emulator': true,
      'orchestra.gcp.endpointOverrides': await emulatorOverrides(urls.gcp),
      'orchestra.memory.endpoint': urls.memory,
      // The copy's target: Execute Migration in the demo copies between the two sandbox servers.
      'orchestra.memory.targetEndpoint': urls.memoryTarget,
    });
  } else {
    log('start', 'the CLI has no `sandbox` command yet: no local emulators');
  }

  const port = await choosePort();
  const server = startDetached(process.execPath, codeServerArgs(dirs, port, DEMO), {
    env,
    logFile: path.join(dirs.logs, 'code-server.log'),
  });
  children.push(server);
  server.once('exit', (code) => {
    if (!stopping) {
      log(
        'start',
        `code-server exited with ${code}; see ${path.relative(ROOT, path.join(dirs.logs, 'code-server.log'))}`,
      );
      void stop(code ?? 1);
    }
  });
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 60_000, child: server });
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(DEMO)}`;
  process.stdout.write(
    `\nOrchestra Migrate is running in code-server (VS Code 1.100.3).\n` +
      `  Open: ${url}\n` +
      `  Workspace: ${path.relative(ROOT, DEMO)}\n` +
      `  Logs: ${path.relative(ROOT, dirs.logs)}\n` +
      `Press Ctrl-C to stop.\n\n`,
  );
}

main().catch(async (error) => {
  console.error(`[start] ${error.message ?? error}`);
  await stopAll();
  process.exit(1);
});
