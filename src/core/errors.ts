/**
 * Base of every error the engine throws on purpose. Users see `message`; `where`
 * says which file, resource or endpoint it concerns, `fix` what to do about it.
 * `code` is stable for programs (CLI --json, tests).
 */
export class OrchestraError extends Error {
  readonly code: string;
  readonly where?: string;
  readonly fix?: string;

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
  constructor(message: string, options: { where?: string; fix?: string; cause?: unknown } = {}) {
    super('BAD_INPUT', message, options);
    this.name = 'InputError';
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof OrchestraError) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}
