import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigValidationError } from '../../../src/core/config/validate';
import type { ConfigIssue } from '../../../src/core/config/types';

/** A temporary workspace with the given files (paths relative to it); removed by cleanup(). */
export function workspace(files: Record<string, string | object> = {}): {
  dir: string;
  cleanup(): void;
  write(rel: string, content: string | object): void;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'orchestra-config-'));
  const write = (rel: string, content: string | object) => {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  };
  for (const [rel, content] of Object.entries(files)) write(rel, content);
  return { dir, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs fn and returns the issues of the ConfigValidationError it must throw. */
export async function issuesOf(fn: () => Promise<unknown>): Promise<readonly ConfigIssue[]> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigValidationError, but loading succeeded');
}
