import { levelEnabled, type Logger, type LogLevel } from '../logger';
import { createRedactor, type Redactor } from './redact';

/** Passes every message and argument through the redactor before the inner logger sees it. */
export function redactingLogger(inner: Logger, redactor: Redactor): Logger {
  const wrap =
    (level: LogLevel) =>
    (message: string, ...args: unknown[]) =>
      inner[level](redactor.redact(message), ...args.map((arg) => redactor.redactValue(arg)));
  return {
    trace: wrap('trace'),
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
  };
}

export interface StreamLoggerOptions {
  /** Prefix each line with an ISO timestamp (default true). */
  timestamps?: boolean;
}

/** One redacted line per call, `2026-01-01T00:00:00.000Z [level] message args`. */
export function streamLogger(
  stream: NodeJS.WritableStream,
  level: LogLevel,
  redactor: Redactor = createRedactor(),
  options: StreamLoggerOptions = {},
): Logger {
  const timestamps = options.timestamps ?? true;
  const write =
    (lineLevel: LogLevel) =>
    (message: string, ...args: unknown[]) => {
      if (!levelEnabled(level, lineLevel)) return;
      const parts = [redactor.redact(message), ...args.map((arg) => redactor.redactValue(arg))];
      const prefix = timestamps ? `${new Date().toISOString()} [${lineLevel}] ` : `[${lineLevel}] `;
      stream.write(prefix + parts.join(' ') + '\n');
    };
  return {
    trace: write('trace'),
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}

/** The CLI's logger: stderr, so stdout stays clean for --json output. */
export function consoleLogger(level: LogLevel, redactor: Redactor = createRedactor()): Logger {
  return streamLogger(process.stderr, level, redactor);
}
