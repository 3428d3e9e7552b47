export { consoleLogger, redactingLogger, streamLogger, type StreamLoggerOptions } from './loggers';
export { createRedactor, maskSecret, type Redactor } from './redact';
