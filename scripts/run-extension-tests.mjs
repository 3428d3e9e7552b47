// Runs test/integration (mocha) inside the real extension host of VS Code 1.100.3,
// the one bundled in code-server: its server-main.js serves the workbench, headless
// Chromium opens it with a payload naming this folder as the extension under
// development and out/test/integration/index.js as the tests; the workbench reports
// the tests' console through codeAutomationLog and their exit code through
// codeAutomationExit (--enable-smoke-test-driver makes it honour the payload).
// Usage: node scripts/run-extension-tests.mjs [--no-build] [--build-only] [--grep TEXT]
import { createWriteStream, existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import {
  ROOT,
  SERVER_MAIN,
  cleanupOnSignals,
  ensureCodeServer,
  freePort,
  freshRunDirs,
  isolatedEnv,
  killGroup,
  launchChromium,
  log,
  run,
  startDetached,
  waitForHttp,
  writeUserSettings,
} from './lib/harness.mjs';

// A bound for a stuck run, not a budget: under load (npm run test:load) the suite takes a few times longer.
const TIMEOUT_MS = Number(process.env.OM_TEST_TIMEOUT_MS ?? 600_000);
const args = process.argv.slice(2);
const grepIndex = args.indexOf('--grep');
const grep = grepIndex >= 0 ? args[grepIndex + 1] : undefined;
const OUT = path.join(ROOT, 'out', 'test', 'integration');
const REPORT_MARK = '[mocha] '; // as in test/integration/index.ts

/** Bundles the test index and every *.test.ts into out/test/integration ('vscode' and mocha stay external). */
export async function buildIntegrationTests() {
  const dir = path.join(ROOT, 'test', 'integration');
  const entries = readdirSync(dir)
    .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
    .map((f) => path.join(dir, f));
  rmSync(OUT, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: entries,
    outdir: OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
}

async function runInExtensionHost() {
  const dirs = freshRunDirs('ext');
  const env = isolatedEnv(dirs, { OM_TEST_MARK: '1', ...(grep ? { OM_TEST_GREP: grep } : {}) });
  writeUserSettings(dirs);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const serverLog = path.join(dirs.logs, 'server.log');
  let server;
  let browser;
  const cleanup = async () => {
    await browser?.close().catch(() => undefined);
    await killGroup(server);
  };
  cleanupOnSignals(cleanup);
  try {
    log('ext', `VS Code server on ${host}; run folder ${path.relative(ROOT, dirs.base)}`);
    server = startDetached(
      process.execPath,
      [
        SERVER_MAIN,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--without-connection-token',
        '--accept-server-license-terms',
        '--enable-smoke-test-driver',
        '--disable-telemetry',
        '--disable-workspace-trust',
        '--user-data-dir',
        dirs.userData,
        '--server-data-dir',
        dirs.serverData,
        '--extensions-dir',
        dirs.extensions,
      ],
      { env, logFile: serverLog },
    );
    await waitForHttp(`http://${host}/version`, { timeoutMs: 180_000, child: server }); // slow under load, not stuck

    browser = await launchChromium(dirs);
    const page = await browser.newPage();
    let resolveExit;
    const exited = new Promise((resolve) => (resolveExit = resolve));
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
    const workbenchLog = createWriteStream(path.join(dirs.logs, 'workbench.log'));
    await page.exposeFunction('codeAutomationLog', (level, message) => {
      const text = String(message);
      workbenchLog.write(`${level}: ${text}\n`);
      // The report (marked by test/integration/index.ts) as it is; the workbench's errors prefixed.
      if (text.startsWith(REPORT_MARK)) process.stdout.write(`${text.slice(REPORT_MARK.length)}\n`);
      else if (level === 'error' && !/ENOTFOUND|ServiceWorker/.test(text)) {
        process.stdout.write(`[workbench] ${text.split('\n').slice(0, 5).join('\n')}\n`);
      }
    });
    const payload = [
      ['extensionDevelopmentPath', `vscode-remote://${host}${ROOT}`],
      ['extensionTestsPath', `vscode-remote://${host}${path.join(OUT, 'index.js')}`],
    ];
    const url = `http://${host}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url);
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), TIMEOUT_MS));
    const code = await Promise.race([exited, timeout]);
    if (code === 'timeout') {
      log('ext', `no exit code from the extension host within ${TIMEOUT_MS} ms; server log: ${serverLog}`);
      return 1;
    }
    log('ext', `extension host tests exited with ${code}`);
    if (code !== 0) log('ext', `server log: ${path.relative(ROOT, serverLog)}`);
    return code;
  } finally {
    await cleanup();
  }
}

async function main() {
  if (!args.includes('--no-build') || !existsSync(path.join(ROOT, 'dist', 'extension.js'))) {
    run(process.execPath, [path.join(ROOT, 'esbuild.js')]);
  }
  await buildIntegrationTests();
  if (args.includes('--build-only')) return 0;
  ensureCodeServer();
  return runInExtensionHost();
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`[ext] ${error.stack ?? error}`);
    process.exit(1);
  },
);
