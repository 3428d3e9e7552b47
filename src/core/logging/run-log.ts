/**
 * Log files: every CLI or editor run writes one redacted file under `log.dir`
 * (`run-<time>-<name>.log`), mirrored to `latest.log`, so "check the logs in
 * ./logs/migration" (the origin project's advice) finds the run. Older run files are
 * pruned to the newest `keep`. Files are private to the user (0600): a log names
 * projects, URLs and errors even with secrets masked.
 */
import { constants, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import type { Logger, LogLevel } from '../logger';
import { streamLogger } from './loggers';
import { createRedactor, type Redactor } from './redact';
import { notInTheWay } from '../util/in-the-way';

export const LATEST_LOG = 'latest.log';
/** Run files kept in the folder; older ones are deleted when a run starts. */
export const DEFAULT_LOGS_KEPT = 20;
const RUN_FILE = /^run-.+\.log$/;

export interface RunLogOptions {
  /** The folder (absolute, or relative to the process's working directory). */
  dir: string;
  level: LogLevel;
  /** What runs: the command (`execute`, `verify`) or `editor`; part of the file name. */
  name: string;
  redactor?: Redactor;
  keep?: number;
  now?: () => Date;
}

const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

export interface RunLog {
  readonly logger: Logger;
  /** This run's file. */
  readonly file: string;
  readonly latest: string;
  /** Flushes and closes both files. */
  close(): Promise<void>;
}

export async function openRunLog(options: RunLogOptions): Promise<RunLog> {
  const dir = path.resolve(options.dir);
  const where = `log.dir ${dir}`;
  await notInTheWay(dir, 'folder', where, () => mkdir(dir, { recursive: true }));
  const stamp = (options.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
  const safeName = options.name.replace(/[^A-Za-z0-9_-]+/g, '-');
  const file = path.join(dir, `run-${stamp}-${safeName}-${process.pid}.log`);
  await prune(dir, Math.max(1, (options.keep ?? DEFAULT_LOGS_KEPT) - 1));
  const latest = path.join(dir, LATEST_LOG);
  // latest.log is rewritten every run: removed first, and never opened through a link, so
  // a link a repository ships in its place cannot send the log over a file elsewhere.
  await notInTheWay(latest, 'file', where, () => rm(latest, { force: true }));
  const handles: FileHandle[] = [];
  try {
    for (const f of [file, latest]) handles.push(await open(f, NEW_FILE, 0o600));
  } catch (error) {
    await Promise.all(handles.map((h) => h.close()));
    throw error;
  }
  const streams = handles.map((fd) => createWriteStream('', { fd }));
  // A write that fails later (a full disk) must not crash the run; close() reports it.
  let failure: unknown;
  for (const stream of streams) stream.on('error', (error) => (failure ??= error));
  const redactor = options.redactor ?? createRedactor();
  // One line, formatted once, to both files: latest.log is the run's file byte for byte.
  const both = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const stream of streams) stream.write(chunk);
      callback();
    },
  });
  const logger = streamLogger(both, options.level, redactor);
  logger.info(`orchestra-migrate ${options.name}: log level ${options.level}, this file ${file}`);
  let closing: Promise<void> | undefined;
  return {
    logger,
    file,
    latest,
    close: () =>
      (closing ??= Promise.all(streams.map(end)).then(() => {
        if (failure) throw new Error(`Could not write the log file ${file}: ${(failure as Error).message}`);
      })),
  };
}

/** Every line goes to each logger. */
export function teeLogger(...loggers: Logger[]): Logger {
  const each =
    (level: LogLevel) =>
    (message: string, ...args: unknown[]) => {
      for (const logger of loggers) logger[level](message, ...args);
    };
  return { trace: each('trace'), debug: each('debug'), info: each('info'), warn: each('warn'), error: each('error') };
}

/** Keeps the newest `keep` run files (names sort by time). */
async function prune(dir: string, keep: number): Promise<void> {
  const runs = (await readdir(dir)).filter((name) => RUN_FILE.test(name)).sort();
  const old = runs.slice(0, Math.max(0, runs.length - keep));
  await Promise.all(old.map((name) => rm(path.join(dir, name), { force: true })));
}

function end(stream: WriteStream): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => stream.end(() => resolve()));
}
