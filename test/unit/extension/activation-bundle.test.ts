/**
 * What activation loads: the extension's entry bundle, as the build makes it, holds the tree,
 * the status bar items and one stub per command, and none of the commands' or panels' code;
 * each command's module loads from its own file when the command first runs.
 */
import './vscode-stub';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { window } from './vscode-stub';
import { COMMANDS, loadCommand, runCommand } from '../../../src/extension/commands';
import { CommandFailures } from '../../../src/extension/failures';
import { COMMAND_IDS, type CommandId } from '../../../src/extension/constants';
import type { OrchestraContext } from '../../../src/extension/context';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { extensionBuilds } = require(path.join(ROOT, 'esbuild.js')) as { extensionBuilds(): BuildOptions[] };

interface Built {
  readonly inputs: readonly string[];
  readonly text: string;
}

/** The entry bundle (dist/extension.js) built in memory, unminified: its source files and its code. */
async function activationBundle(): Promise<Built> {
  const config = extensionBuilds().find((c) => c.outfile === 'dist/extension.js');
  assert.ok(config, 'esbuild.js builds dist/extension.js');
  const result = await build({
    ...config,
    absWorkingDir: ROOT,
    minify: false,
    sourcemap: false,
    metafile: true,
    write: false,
    logLevel: 'error',
  });
  const metafile = result.metafile as Metafile;
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint);
  assert.ok(output, 'the build has an output for the entry');
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  assert.ok(js);
  return { inputs: Object.keys(output.inputs), text: js.text };
}

describe('the activation bundle', function () {
  this.timeout(60_000);
  let bundle: Built;
  before(async () => {
    bundle = await activationBundle();
  });

  it('holds no command module and no panel: they load on first use', () => {
    const helpers = ['index.ts', 'command.ts', 'failures.ts'].map((f) => `src/extension/commands/${f}`);
    const commands = bundle.inputs.filter((f) => f.startsWith('src/extension/commands/') && !helpers.includes(f));
    assert.deepEqual(commands, [], 'command modules bundled into dist/extension.js');
    for (const view of [
      'plan-panel',
      'plan-panel-model',
      'plan-panel-html',
      'report-panel',
      'health-pick',
      'teardown-view',
    ])
      assert.ok(!bundle.inputs.includes(`src/extension/${view}.ts`), `${view}.ts is in dist/extension.js`);
    assert.ok(bundle.inputs.includes('src/extension/phase-tree.ts'), 'the tree is built at activation');
  });

  it("requires each command's own file, beside it", () => {
    const files = new Set([...bundle.text.matchAll(/require\("\.\/(extension-[\w-]+\.js)"\)/g)].map((m) => m[1]));
    for (const entry of COMMANDS) {
      const source = /require\(["']\.\/([\w-]+)["']\)/.exec(entry.load.toString())?.[1];
      assert.ok(source, `the stub of ${entry.id} requires its module by a literal path`);
      assert.ok(files.has(`extension-command-${source}.js`), `${entry.id}: no require of its bundle file`);
    }
  });

  it('reads the editor API with one plain require, not a copy of it per file', () => {
    assert.doesNotMatch(bundle.text, /__toESM\(require\("vscode"\)\)/);
    assert.match(bundle.text, /= require\("vscode"\)/);
  });
});

describe('the command table', () => {
  it('has one stub for every command package.json declares, and no other', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      contributes: { commands: { command: string }[] };
    };
    const declared = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(COMMANDS.map((c) => c.id).sort(), declared);
  });

  it('each stub loads the module of its own command', () => {
    for (const entry of COMMANDS) assert.equal(loadCommand(entry).id, entry.id);
  });

  it('a stub whose module gives another command fails with the id and the fix', () => {
    const wrong = { id: 'orchestra.verify' as CommandId, load: () => loadCommand(COMMANDS[0]) };
    assert.throws(
      () => loadCommand(wrong),
      /command orchestra\.verify: its module gave orchestra\.refresh; fix its line/,
    );
  });

  it('a command whose module fails to load fails as any command does: recorded, logged and shown', async () => {
    const failures = new CommandFailures();
    const logged: string[] = [];
    const log = { debug: () => undefined, error: (line: string) => logged.push(line) };
    const ctx = { failures, log } as unknown as OrchestraContext;
    const missing = "Cannot find module './extension-command-verify.js'";
    const entry = {
      id: COMMAND_IDS.verify,
      load: () => {
        throw new Error(missing);
      },
    };
    window.errorMessages.length = 0;
    assert.equal(await runCommand(ctx, entry, []), undefined);
    assert.equal(failures.last?.command, COMMAND_IDS.verify);
    assert.deepEqual(window.errorMessages, [{ message: `Orchestra: ${missing}`, items: ['Show Log'] }]);
    assert.deepEqual(logged, [`command orchestra.verify failed: ${missing}`]);
    failures.dispose();
  });
});
