/** The commands' argument parsing and failure record, on plain Node. */
import './vscode-stub';
import * as assert from 'node:assert/strict';
import { ConfigValidationError } from '../../../src/core/config/validate';
import { InputError, OrchestraError } from '../../../src/core/errors';
import { builtInPhases } from '../../../src/core/migration/phases';
import { CommandFailures, type CommandFailure } from '../../../src/extension/failures';
import { runArgs } from '../../../src/extension/commands/run-args';
import { COMMAND_IDS } from '../../../src/extension/constants';

const PHASES = builtInPhases().infos();

describe('verify and execute arguments', () => {
  const phase = PHASES[2];

  it('from the palette (no argument): every phase, and execute asks first', () => {
    assert.deepEqual(runArgs(undefined), {});
    assert.deepEqual(runArgs('memory-system'), {}, 'a bare string is no request');
  });

  it("from a phase's row or one of its steps: that phase", () => {
    assert.deepEqual(runArgs({ kind: 'phase', phase, status: 'not-started', detail: {} }), { phases: [phase.id] });
    assert.deepEqual(runArgs({ kind: 'step', phase, step: { id: 's' } }), { phases: [phase.id] });
  });

  it('from other code: { phases, yes }, only what is well formed', () => {
    assert.deepEqual(runArgs({ phases: ['ai-coding', 'validation'], yes: true }), {
      phases: ['ai-coding', 'validation'],
      yes: true,
    });
    assert.deepEqual(runArgs({ phases: [], yes: 'yes' }), {}, 'an empty list is every phase; yes must be true');
    assert.deepEqual(runArgs({ phases: 'ai-coding' }), {}, 'phases must be a list');
    assert.deepEqual(runArgs({ kind: 'phase' }), {}, 'a row without its phase is nothing');
  });
});

describe('the command failure record', () => {
  it('keeps what the user was told: the toast with where and fix, the code; fires once per failure', () => {
    const failures = new CommandFailures();
    const seen: CommandFailure[] = [];
    failures.onDidFail((f) => seen.push(f));
    const error = new InputError('No Google Cloud project is configured.', { where: 'projectId', fix: 'Set it.' });
    const failure = failures.record(COMMAND_IDS.verify, error);
    assert.deepEqual(failure, {
      command: COMMAND_IDS.verify,
      code: 'BAD_INPUT',
      message: 'No Google Cloud project is configured.\n  where: projectId\n  fix: Set it.',
      toast: 'Orchestra: No Google Cloud project is configured.\n  where: projectId\n  fix: Set it.',
      where: 'projectId',
      fix: 'Set it.',
      actions: ['Show Log'],
    });
    assert.deepEqual(seen, [failure]);
    assert.equal(failures.last, failure);
    failures.dispose();
  });

  it('a configuration error offers Open at its first issue with a file, line and column', () => {
    const failures = new CommandFailures();
    const error = new ConfigValidationError(
      [
        { code: 'schema', layer: 'env', source: 'ORCHESTRA_X', path: 'x', message: 'bad', fix: 'fix it' },
        {
          code: 'schema',
          layer: 'common',
          source: '/w/config/common.json',
          file: '/w/config/common.json',
          line: 3,
          column: 16,
          path: 'memory.timeoutMs',
          message: 'must be a whole number',
          fix: 'Write a number of milliseconds.',
        },
      ],
      { root: '/w' },
    );
    const failure = failures.record(COMMAND_IDS.verify, error);
    assert.deepEqual(failure.open, { file: '/w/config/common.json', line: 3, column: 16 });
    assert.deepEqual(failure.actions, ['Open', 'Show Log']);
    assert.match(failure.toast, /config\/common\.json:3:16 memory\.timeoutMs: must be a whole number/);
    failures.dispose();
  });

  it('a plain error keeps its name as the code; a non-error its type', () => {
    const failures = new CommandFailures();
    assert.deepEqual(failures.record(COMMAND_IDS.refresh, new TypeError('x is undefined')), {
      command: COMMAND_IDS.refresh,
      code: 'TypeError',
      message: 'x is undefined',
      toast: 'Orchestra: x is undefined',
      actions: ['Show Log'],
    });
    assert.equal(failures.record(COMMAND_IDS.refresh, 'text').code, 'string');
    assert.equal(
      failures.record(COMMAND_IDS.refresh, new OrchestraError('ILLEGAL_TRANSITION', 'no')).code,
      'ILLEGAL_TRANSITION',
    );
  });
});
