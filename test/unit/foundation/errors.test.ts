import * as assert from 'node:assert/strict';
import type * as validate from '../../../src/core/config/validate';
import type * as errors from '../../../src/core/errors';
import { errorMessage, InputError, isInputError, isOrchestraError, OrchestraError } from '../../../src/core/errors';

/**
 * Second copies of src/core/errors.ts and config/validate.ts, as dist/engine.js carries
 * them beside dist/extension.js's: the same classes, but not the same class objects.
 */
function otherBundle(): { errors: typeof errors; validate: typeof validate } {
  const files = [require.resolve('../../../src/core/errors'), require.resolve('../../../src/core/config/validate')];
  const cached = files.map((file) => require.cache[file]);
  for (const file of files) delete require.cache[file];
  try {
    return {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      errors: require(files[0]) as typeof errors,
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      validate: require(files[1]) as typeof validate,
    };
  } finally {
    files.forEach((file, i) => (require.cache[file] = cached[i]));
  }
}

describe('Engine errors are recognised by their marker, from any bundle', () => {
  const { errors: other, validate: otherValidate } = otherBundle();

  it('the second copy really is another class (instanceof fails across it)', () => {
    assert.notEqual(other.OrchestraError, OrchestraError);
    assert.equal(new other.InputError('x') instanceof OrchestraError, false);
    assert.equal(new otherValidate.ConfigValidationError([]) instanceof InputError, false);
  });

  it("an error of the other bundle keeps its where and fix lines in this bundle's message", () => {
    const error = new other.InputError('No Google Cloud project is configured.', {
      where: 'projectId',
      fix: 'Set projectId in config/common.json.',
    });
    assert.equal(isOrchestraError(error), true);
    assert.equal(isInputError(error), true);
    assert.equal(
      errorMessage(error),
      'No Google Cloud project is configured.\n  where: projectId\n  fix: Set projectId in config/common.json.',
    );
  });

  it('a non-input engine error is an OrchestraError, not an InputError', () => {
    const error = new other.OrchestraError('ILLEGAL_TRANSITION', 'Phase x cannot go on.', { fix: 'Reset it.' });
    assert.equal(isOrchestraError(error), true);
    assert.equal(isInputError(error), false);
    assert.equal(errorMessage(error), 'Phase x cannot go on.\n  fix: Reset it.');
  });

  it("a configuration error's own description (its file:line list) is what the message says", () => {
    const error = new otherValidate.ConfigValidationError(
      [
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
    assert.equal(isInputError(error), true);
    assert.match(errorMessage(error), /\nconfig\/common\.json:3:16 memory\.timeoutMs: must be a whole number\n/);
    assert.match(errorMessage(error), /fix: Write a number of milliseconds\.$/);
  });

  it('plain errors, look-alikes and other values are not engine errors', () => {
    assert.equal(isOrchestraError(new Error('plain')), false);
    assert.equal(isOrchestraError({ isOrchestraError: true }), false, 'a marker without describe()');
    assert.equal(isOrchestraError({ isOrchestraError: 'yes', describe: () => '' }), false);
    assert.equal(isOrchestraError(undefined), false);
    assert.equal(isOrchestraError('BAD_INPUT'), false);
    assert.equal(errorMessage(new Error('plain')), 'plain');
    assert.equal(errorMessage('text'), 'text');
  });

  it('this bundle recognises its own errors too', () => {
    assert.equal(isInputError(new InputError('bad')), true);
    assert.equal(isOrchestraError(new OrchestraError('X', 'x')), true);
  });
});
