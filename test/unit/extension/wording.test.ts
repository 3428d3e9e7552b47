/**
 * The engine's advice names CLI commands; the editor shows the same advice with its palette
 * commands. Checked against the real manifest, the real CLI command list, and every advice
 * the engine's sources write.
 */
import './vscode-stub';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { InputError, OrchestraError } from '../../../src/core/errors';
import { CommandFailures } from '../../../src/extension/failures';
import { splitFailure } from '../../../src/extension/plan-panel-model';
import { forEditor, PALETTE_TITLES } from '../../../src/extension/wording';

const ROOT = path.join(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

describe('the editor names its palette commands where the engine names CLI commands', () => {
  it('each palette title is a command of package.json, under the Orchestra category', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      contributes: { commands: { title: string; category?: string }[] };
    };
    const titles = new Set(manifest.contributes.commands.map((c) => `${c.category}: ${c.title}`));
    for (const [command, title] of Object.entries(PALETTE_TITLES)) {
      assert.ok(titles.has(title), `${command}: no palette command is titled "${title}"`);
    }
  });

  it('each advised CLI command exists in the CLI', () => {
    const cli = readFileSync(path.join(ROOT, 'src', 'cli', 'commands', 'index.ts'), 'utf8');
    const names = new Set([...cli.matchAll(/name: '([a-z-]+)'/g)].map((m) => m[1]));
    for (const command of Object.keys(PALETTE_TITLES)) assert.ok(names.has(command), `no CLI command ${command}`);
  });

  it('rewrites the forms the engine writes, and keeps the prose around them', () => {
    assert.equal(
      forEditor(
        'Fix the cause, then run orchestra-migrate cutover again to finish, or orchestra-migrate rollback-cutover to go back to the source.',
      ),
      'Fix the cause, then run "Orchestra: Cutover to the Cloud…" again to finish, or "Orchestra: Rollback Cutover…" to go back to the source.',
    );
    // A flag without a value is not followed by its value: "lists" stays prose.
    assert.equal(
      forEditor(
        'Unset ORCHESTRA_MEMORY__ENDPOINT; orchestra-migrate cutover --plan-only lists what still overrides the config files.',
      ),
      'Unset ORCHESTRA_MEMORY__ENDPOINT; "Orchestra: Cutover to the Cloud…" lists what still overrides the config files.',
    );
    assert.equal(
      forEditor('Run orchestra-migrate verify --out plan.json again, review the new plan, then execute it.'),
      'Run "Orchestra: Verify Migration Plan" again, review the new plan, then execute it.',
    );
    assert.equal(
      forEditor('Reset the phase first (orchestra-migrate reset ai-coding).'),
      'Reset the phase first ("Orchestra: Reset Phase" on ai-coding).',
    );
    assert.equal(
      forEditor('No run is recorded yet: run `orchestra-migrate verify`, then `orchestra-migrate execute`.'),
      'No run is recorded yet: run "Orchestra: Verify Migration Plan", then "Orchestra: Execute Migration".',
    );
    assert.equal(
      forEditor('Wait for that run to finish (orchestra-migrate monitor shows it), or stop it.'),
      'Wait for that run to finish (the Orchestra phase tree shows it), or stop it.',
    );
    // Terminal commands with no palette command stay as they are: they still work in a terminal.
    const terminal =
      'Sign in: gcloud auth application-default login, or orchestra-migrate login; or run `orchestra-migrate sandbox`.';
    assert.equal(forEditor(terminal), terminal);
  });

  it('leaves no advised CLI command in any advice the engine writes', () => {
    const advised = new RegExp(`orchestra-migrate (?:${[...Object.keys(PALETTE_TITLES), 'monitor'].join('|')})\\b`);
    let checked = 0;
    for (const file of sources(path.join(ROOT, 'src', 'core'))) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const code = line.trim();
        if (code.startsWith('*') || code.startsWith('//') || code.startsWith('/**')) continue;
        // Each string literal that advises a command, as the user reads it once rendered.
        for (const literal of code.match(/'[^']*'|`[^`]*(?:`[^`]*`[^`]*)*`|"[^"]*"/g) ?? []) {
          if (!advised.test(literal)) continue;
          checked++;
          assert.doesNotMatch(forEditor(literal), advised, `${path.relative(ROOT, file)}: ${literal}`);
        }
      }
    }
    assert.ok(checked >= 15, `only ${checked} advices found: the scan lost them`);
  });

  it("a command failure's toast and fix name the palette command", () => {
    const failures = new CommandFailures();
    const failure = failures.record(
      'orchestra.execute',
      new OrchestraError('CUTOVER_FAILED', 'The cutover stopped at step 4.', {
        fix: 'Fix the cause, then run orchestra-migrate cutover again.',
      }),
    );
    assert.match(failure.toast, /run "Orchestra: Cutover to the Cloud…" again\./);
    assert.equal(failure.fix, 'Fix the cause, then run "Orchestra: Cutover to the Cloud…" again.');
    assert.doesNotMatch(failure.toast, /orchestra-migrate/);
    failures.dispose();
  });

  it("the Plan & Run pane's failure names the palette command", () => {
    const split = splitFailure(
      new InputError('The phase is completed.', {
        fix: 'Reset the phase first (orchestra-migrate reset memory-system).',
      }).message + ' Fix: Reset the phase first (orchestra-migrate reset memory-system).',
    );
    assert.equal(split.cause, 'The phase is completed.');
    assert.equal(split.fix, 'Reset the phase first ("Orchestra: Reset Phase" on memory-system).');
  });
});
