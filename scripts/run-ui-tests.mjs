// UI test: code-server with the packaged VSIX installed (--install-extension), served on
// 127.0.0.1 from fresh folders, driven by test/e2e (mocha + playwright-core + Debian's
// Chromium). Screenshots of every step land in test-results/screenshots/.
// Usage: node scripts/run-ui-tests.mjs [--no-package] [--grep TEXT]   (--grep: only the tests whose title holds TEXT)
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  CODE_SERVER_ENTRY,
  ROOT,
  VSIX,
  cleanupOnSignals,
  codeServerArgs,
  ensureCodeServer,
  freePort,
  freshRunDirs,
  installVsix,
  isolatedEnv,
  killGroup,
  log,
  run,
  startDetached,
  waitForHttp,
  writeUserSettings,
} from './lib/harness.mjs';

const args = process.argv.slice(2);
const grepIndex = args.indexOf('--grep');
const grep = grepIndex >= 0 ? args[grepIndex + 1] : undefined;
const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');

function runMocha(env) {
  const mocha = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const child = spawn(
    process.execPath,
    [
      mocha,
      '--no-config',
      '--require',
      'tsx/cjs',
      '--extension',
      'ts',
      '--timeout',
      '90000',
      ...(grep ? ['--grep', grep] : []),
      'test/e2e/**/*.test.ts',
    ],
    { cwd: ROOT, env, stdio: 'inherit' },
  );
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

async function main() {
  if (!args.includes('--no-package') || !existsSync(VSIX)) run('npm', ['run', '--silent', 'package']);
  ensureCodeServer();

  const dirs = freshRunDirs('ui');
  const env = isolatedEnv(dirs);
  writeUserSettings(dirs);
  log('ui', `installing ${path.basename(VSIX)} into ${path.relative(ROOT, dirs.extensions)}`);
  installVsix(dirs, env);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const server = startDetached(process.execPath, codeServerArgs(dirs, port, dirs.workspace), {
    env,
    logFile: path.join(dirs.logs, 'code-server.log'),
  });
  cleanupOnSignals(() => killGroup(server));
  try {
    log('ui', `code-server on ${url}; run folder ${path.relative(ROOT, dirs.base)}`);
    await waitForHttp(`${url}healthz`, { timeoutMs: 180_000, child: server }); // slow under load, not stuck
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    const browserEnv = JSON.stringify({
      XDG_CONFIG_HOME: env.XDG_CONFIG_HOME,
      XDG_DATA_HOME: env.XDG_DATA_HOME,
      XDG_CACHE_HOME: env.XDG_CACHE_HOME,
      TMPDIR: env.TMPDIR,
    });
    const code = await runMocha({
      ...process.env,
      TMPDIR: dirs.tmp,
      OM_UI_URL: url,
      OM_UI_SCREENSHOTS: SCREENSHOTS,
      // The folder code-server opened: a test writes a project's config and state there.
      OM_UI_WORKSPACE: dirs.workspace,
      OM_UI_BROWSER_ENV: browserEnv,
      // One definition of how Chromium runs here (scripts/lib/harness.mjs), for the tests too.
      OM_UI_BROWSER: JSON.stringify({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
      // For a test that needs a code-server of its own (workspace trust on): the same extension.
      OM_UI_CODE_SERVER_ENTRY: CODE_SERVER_ENTRY,
      OM_UI_EXTENSIONS: dirs.extensions,
      OM_UI_RUN_DIR: dirs.base,
    });
    log('ui', `screenshots: ${path.relative(ROOT, SCREENSHOTS)}/`);
    if (code !== 0) log('ui', `code-server log: ${path.relative(ROOT, path.join(dirs.logs, 'code-server.log'))}`);
    return code;
  } finally {
    await killGroup(server);
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`[ui] ${error.stack ?? error}`);
    process.exit(1);
  },
);
