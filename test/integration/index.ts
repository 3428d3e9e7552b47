/**
 * The extension-host test entry: VS Code loads this file (extensionTestsPath) inside
 * its real extension host and awaits run(). A rejected promise makes the test run
 * exit with code 1. Every *.test.js beside this file (bundled by
 * scripts/run-extension-tests.mjs) is a mocha suite.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import { activated, watchUnexpectedFailures } from './helpers';

/**
 * Marks the report's lines when scripts/run-extension-tests.mjs asks (OM_TEST_MARK=1),
 * so it can tell them from the workbench's own log, which arrives through the same channel.
 */
export const REPORT_MARK = process.env.OM_TEST_MARK === '1' ? '[mocha] ' : '';
// The runner's variables stay outside the ORCHESTRA_* namespace: the extension under test
// shares this environment, and the engine rejects ORCHESTRA_* variables that name no setting.
const GREP = process.env.OM_TEST_GREP;

// The web extension host forwards console calls with their arguments joined by commas:
// format them first, so mocha's report reads as it does in a terminal.
const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
base.consoleLog = (...args: unknown[]) => console.log(REPORT_MARK + format(...args));

export function run(): Promise<void> {
  // Per-test bound for a stuck test; waits inside tests are on conditions.
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  if (GREP) mocha.grep(GREP);
  let unexpected: () => { command: string; message: string }[] = () => [];
  mocha.rootHooks({
    async beforeAll() {
      unexpected = watchUnexpectedFailures(await activated());
    },
    // A command that failed without the test asking for it (fails()) fails that test.
    afterEach() {
      const failures = unexpected();
      if (failures.length) {
        throw new Error(
          `a command failed unexpectedly:\n${failures.map((f) => `${f.command}: ${f.message}`).join('\n')}`,
        );
      }
    },
  });
  for (const file of readdirSync(__dirname).sort()) {
    if (file.endsWith('.test.js')) mocha.addFile(path.join(__dirname, file));
  }
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
        else resolve();
      });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
