/**
 * Where `report --out FILE` may write. Creating folders on a user's say-so is how a typo
 * made /nonexistent/dir at the filesystem root: inside the workspace the file's own folder
 * may be created (its parent must exist); elsewhere the folder must exist already. Special
 * file systems and non-regular files (a FIFO, a device) are refused: a write there can
 * block or spin instead of failing.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { escapeOf, isInside } from '../config/confine';
import { InputError } from '../errors';

// The CLI writes the report through the workspace layer, which owns where files go.
export { notInTheWay } from '../util/in-the-way';

const SPECIAL = ['/proc', '/sys', '/dev'];

function inside(root: string, file: string): boolean {
  return isInside(root, file) && path.relative(root, file) !== '';
}

async function kind(p: string): Promise<'file' | 'dir' | 'other' | 'missing' | 'notdir'> {
  try {
    const stat = await fs.stat(p);
    return stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : 'other';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ENOTDIR') return 'notdir';
    throw error;
  }
}

/** The first ancestor of `p` that exists and is not a folder (what stands in the way). */
async function fileInTheWay(p: string): Promise<string | undefined> {
  for (let dir = p; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const k = await kind(dir);
    if (k === 'file' || k === 'other') return dir;
  }
  return undefined;
}

/** Checks `file` and creates its folder when allowed; throws bad input naming the path and the fix. */
export async function prepareOutFile(file: string, workspaceRoot: string): Promise<void> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const where = `--out ${target}`;
  if (SPECIAL.some((s) => target === s || target.startsWith(`${s}/`))) {
    throw new InputError(`${target} is on a special file system (${target.split('/')[1]}), not a place for a report.`, {
      where,
      fix: 'Write the report to a regular folder, e.g. --out reports/migration.md.',
    });
  }
  const existing = await kind(target);
  if (existing === 'dir') {
    throw new InputError(`${target} is a folder.`, {
      where,
      fix: `Name a file inside it, e.g. --out ${path.join(target, 'migration-report.md')}.`,
    });
  }
  if (existing === 'other') {
    throw new InputError(`${target} is not a regular file (a device, a pipe or a socket).`, {
      where,
      fix: 'Write to a regular file.',
    });
  }
  const folder = await kind(dir);
  if (folder === 'dir') return;
  if (folder === 'notdir' || folder === 'file' || folder === 'other') {
    const blocker = await fileInTheWay(dir);
    throw new InputError(`A file is in the way: ${blocker ?? dir} is not a folder.`, {
      where,
      fix: 'Choose another path, or move that file aside.',
    });
  }
  if (inside(workspaceRoot, dir) && (await kind(path.dirname(dir))) === 'dir') {
    await fs.mkdir(dir);
    return;
  }
  throw new InputError(`The folder ${dir} does not exist.`, {
    where,
    fix: inside(workspaceRoot, dir)
      ? `Create ${path.dirname(dir)} first (only the file's own folder is created inside the workspace).`
      : `Create ${dir} first: outside the workspace, reports go only into existing folders.`,
  });
}

/**
 * A file inside the workspace is never written through a link leading out of it (a
 * repository can ship `reports/x.md -> ~/.bashrc`); outside it, the user named the path.
 */
export async function assertNoEscapingLink(file: string, workspaceRoot: string, where: string): Promise<void> {
  if (!isInside(workspaceRoot, path.resolve(file))) return;
  const why = await escapeOf(workspaceRoot, path.resolve(file));
  if (!why) return;
  throw new InputError(`Refusing to write through a link: ${why}.`, {
    where,
    fix: 'Remove the link, or name a file whose folders are real folders inside the workspace.',
  });
}
