import { OrchestraError } from '../errors';

/** The memory server cannot be reached now (circuit open, or retries exhausted). */
export class MemoryUnavailableError extends OrchestraError {
  readonly transient = true;
  constructor(message: string, options: { where?: string; fix?: string; cause?: unknown } = {}) {
    super('MEMORY_UNAVAILABLE', message, options);
    this.name = 'MemoryUnavailableError';
  }
}

/** The server answered with an error status. `status` drives the retry decision (429/502/503/504 are transient). */
export class MemoryHttpError extends OrchestraError {
  constructor(
    readonly status: number,
    message: string,
    options: { where?: string; fix?: string; cause?: unknown } = {},
  ) {
    super(status === 401 || status === 403 ? 'MEMORY_AUTH' : 'MEMORY_HTTP', message, options);
    this.name = 'MemoryHttpError';
  }
}

/** The path to the server failed (connection refused/reset, the MCP process died): worth a retry. */
export class MemoryConnectionError extends OrchestraError {
  readonly transient = true;
  constructor(message: string, options: { where?: string; fix?: string; cause?: unknown } = {}) {
    super('MEMORY_CONNECTION', message, options);
    this.name = 'MemoryConnectionError';
  }
}

/** The server speaks, but not what we need (a missing route or tool, an unexpected answer). */
export class MemoryProtocolError extends OrchestraError {
  readonly transient = false;
  constructor(code: string, message: string, options: { where?: string; fix?: string; cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'MemoryProtocolError';
  }
}

/** Two clients tried to use one outbox file at once. */
export class OutboxLockedError extends OrchestraError {
  constructor(message: string, options: { where?: string; fix?: string } = {}) {
    super('MEMORY_OUTBOX_LOCKED', message, options);
    this.name = 'OutboxLockedError';
  }
}
