export { consoleLogger, redactingLogger, streamLogger, type StreamLoggerOptions } from './loggers';
export { createRedactor, maskSecret, type Redactor } from './redact';
export { DEFAULT_LOGS_KEPT, LATEST_LOG, openRunLog, teeLogger, type RunLog, type RunLogOptions } from './run-log';
