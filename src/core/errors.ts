/**
 * Base of every error the engine throws on purpose. Users see `message`; `where`
 * says which file, resource or endpoint it concerns, `fix` what to do about it.
 * `code` is stable for programs (CLI --json, tests).
 *
 * Recognise these errors with isOrchestraError/isInputError, never `instanceof`:
 * dist/extension.js and dist/engine.js each bundle their own copy of these classes,
 * so an error thrown by one bundle is no instance of the other's class. A marker
 * property survives any bundle split (cockatiel's isBrokenCircuitError does the same).
 */
export class OrchestraError extends Error {
  readonly code: string;
  readonly where?: string;
  readonly fix?: string;
  /** The marker isOrchestraError reads. */
  readonly isOrchestraError = true;

  constructor(code: string, message: string, options: { where?: string; fix?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OrchestraError';
    this.code = code;
    this.where = options.where;
    this.fix = options.fix;
  }

  /** One or more lines for people: message, then where and fix when known. */
  describe(): string {
    const lines = [this.message];
    if (this.where) lines.push(`  where: ${this.where}`);
    if (this.fix) lines.push(`  fix: ${this.fix}`);
    return lines.join('\n');
  }
}

/** Input the user can correct (CLI exit code 2). */
export class InputError extends OrchestraError {
  /** The marker isInputError reads. */
  readonly isInputError = true;

  constructor(message: string, options: { where?: string; fix?: string; cause?: unknown } = {}) {
    super('BAD_INPUT', message, options);
    this.name = 'InputError';
  }
}

function marked(error: unknown, marker: 'isOrchestraError' | 'isInputError'): boolean {
  return typeof error === 'object' && error !== null && (error as Record<string, unknown>)[marker] === true;
}

/** An OrchestraError from any bundle (see the class comment). */
export function isOrchestraError(error: unknown): error is OrchestraError {
  return marked(error, 'isOrchestraError') && typeof (error as OrchestraError).describe === 'function';
}

/** An InputError (or a subclass, such as a configuration error) from any bundle. */
export function isInputError(error: unknown): error is InputError {
  return isOrchestraError(error) && marked(error, 'isInputError');
}

/** What people read: an engine error's message with its where and fix lines (or its own describe()). */
export function errorMessage(error: unknown): string {
  if (isOrchestraError(error)) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}
