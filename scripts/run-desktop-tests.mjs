// The extension-host suite on an installed desktop VS Code, through @vscode/test-electron
// (2.5.x runs on Node 20). VSCODE_EXECUTABLE must point at the `code` binary: nothing
// is downloaded. Fresh user-data and extensions folders under .test-runs/.
// Usage: VSCODE_EXECUTABLE=/path/to/code npm run test:desktop
import path from 'node:path';
import { ROOT, freshRunDirs, isolatedEnv, run } from './lib/harness.mjs';

async function main() {
  const executable = process.env.VSCODE_EXECUTABLE;
  if (!executable) {
    console.error(
      'Set VSCODE_EXECUTABLE to a desktop VS Code binary, for example\n' +
        '  VSCODE_EXECUTABLE=/usr/share/code/code npm run test:desktop\n' +
        '(On machines without a desktop VS Code, `npm run test:integration` runs the same suite in code-server.)',
    );
    return 2;
  }
  run(process.execPath, [path.join(ROOT, 'esbuild.js')]);
  run(process.execPath, [path.join(ROOT, 'scripts', 'run-extension-tests.mjs'), '--no-build', '--build-only']);
  const { runTests } = await import('@vscode/test-electron');
  const dirs = freshRunDirs('desktop');
  // VS Code inherits this process's environment: keep its XDG folders and TMPDIR in the run folder.
  Object.assign(process.env, isolatedEnv(dirs));
  return runTests({
    vscodeExecutablePath: executable,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(ROOT, 'out', 'test', 'integration', 'index.js'),
    launchArgs: [dirs.workspace, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions],
    extensionTestsEnv: { OM_TEST_GREP: process.env.OM_TEST_GREP ?? '' },
  });
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`[desktop] ${error.stack ?? error}`);
    process.exit(1);
  },
);
