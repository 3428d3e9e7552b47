/**
 * What stands where the engine keeps its own files: a file where a folder must be
 * (`logs` as a file), a folder where a file must be (the lock, latest.log). Raw ENOTDIR
 * and EISDIR name neither the path in the way nor what to do, so callers turn them into
 * bad input with the path that blocks and the fix.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';

/** The nearest ancestor of `p` (or `p`) that exists and is not a folder; undefined when none is. */
export async function fileInTheWay(p: string): Promise<string | undefined> {
  const chain: string[] = [];
  for (let at = path.resolve(p); ; at = path.dirname(at)) {
    chain.unshift(at);
    if (path.dirname(at) === at) break;
  }
  for (const at of chain) {
    try {
      if (!(await fs.stat(at)).isDirectory()) return at;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

// ERR_FS_EISDIR: fs.rm's own code for a folder it was not told to remove recursively.
const BLOCKED = new Set(['ENOTDIR', 'EEXIST', 'EISDIR', 'ERR_FS_EISDIR']);

/**
 * Runs `action` (a mkdir, open or rm under `target`); when a file or folder in the way
 * makes it fail, throws bad input naming that path, `where` (the setting) and the fix.
 * `expects`: what `target` must be.
 */
export async function notInTheWay<T>(
  target: string,
  expects: 'folder' | 'file',
  where: string,
  action: () => Promise<T>,
): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code || !BLOCKED.has(code)) throw error;
    const blocker = await fileInTheWay(expects === 'folder' ? target : path.dirname(target));
    if (blocker) {
      throw new InputError(`A file is in the way: ${blocker} is not a folder.`, {
        where,
        cause: error,
        fix: `Move ${blocker} aside (the engine keeps its own files under it), or set ${where.split(' ')[0]} to another folder.`,
      });
    }
    if (expects === 'file' && (await isFolder(target))) {
      throw new InputError(`A folder is in the place of ${target}, a file the engine writes.`, {
        where,
        cause: error,
        fix: `Move the folder ${target} aside: the engine replaces that file on every run.`,
      });
    }
    throw error;
  }
}

async function isFolder(p: string): Promise<boolean> {
  try {
    return (await fs.lstat(p)).isDirectory();
  } catch {
    return false;
  }
}
