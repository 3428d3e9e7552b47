/**
 * Reads and sets single settings in the config files (config/<env>.json) in place:
 * comments and layout are kept (jsonc-parser edits), and each file is written
 * atomically, only when its text changes, so a setting written twice is written once.
 * The cutover switches endpoints with it, and its rollback puts them back.
 */
import { readFile } from 'node:fs/promises';
import { applyEdits, findNodeAtLocation, modify, parseTree } from 'jsonc-parser';
import { InputError } from '../errors';
import { writeFileAtomic } from '../util/atomic-write';

export interface SettingEdit {
  /** Absolute path of the config file. */
  readonly file: string;
  /** Dotted path, e.g. `memory.endpoint`. */
  readonly setting: string;
  /** undefined removes the setting. */
  readonly value: string | undefined;
}

/** A file's text, or undefined when there is none. */
async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The string a file sets at `setting`; undefined when the file or the setting is absent. */
export async function readSetting(file: string, setting: string): Promise<string | undefined> {
  const text = await readText(file);
  if (text === undefined) return undefined;
  const node = findNodeAtLocation(parseTree(text) ?? { type: 'null', offset: 0, length: 0 }, setting.split('.'));
  if (!node) return undefined;
  if (node.type !== 'string') {
    throw new InputError(`${setting} in ${file} is a ${node.type}, not a URL string.`, {
      where: `${file}: ${setting}`,
      fix: `Make ${setting} a URL string (or remove it), then run the command again.`,
    });
  }
  return node.value as string;
}

/** Applies the edits, file by file; resolves with the files whose text changed. */
export async function writeSettings(edits: readonly SettingEdit[]): Promise<string[]> {
  const byFile = new Map<string, SettingEdit[]>();
  for (const edit of edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
  const changed: string[] = [];
  for (const [file, fileEdits] of byFile) {
    const before = await readText(file);
    // A file that does not exist is only created to set something, never to remove.
    if (before === undefined && fileEdits.every((e) => e.value === undefined)) continue;
    let text = before ?? '{}\n';
    for (const edit of fileEdits) {
      const changes = modify(text, edit.setting.split('.'), edit.value, {
        formattingOptions: { insertSpaces: true, tabSize: 2 },
      });
      text = applyEdits(text, changes);
    }
    if (text === before) continue;
    await writeFileAtomic(file, text);
    changed.push(file);
  }
  return changed;
}
