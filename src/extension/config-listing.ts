/**
 * The config folder's *.json files by name, size and modification time: what the config
 * watcher's safety net compares. Async, so the extension host's thread never waits on
 * the disk; no 'vscode', so it is tested on plain Node.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** '' while the folder does not exist (or cannot be listed): its appearance is a change. */
export async function configListing(dir: string): Promise<string> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch {
    return '';
  }
  const entries = await Promise.all(
    names.map(async (name) => {
      const stat = await fs.stat(path.join(dir, name)).catch(() => undefined);
      return `${name}:${stat?.size ?? -1}:${stat?.mtimeMs ?? -1}`;
    }),
  );
  return entries.join('|');
}
