/**
 * Reads and sets single settings in the config files (config/<env>.json) in place:
 * comments and layout are kept (jsonc-parser edits), and each file is written
 * atomically, only when its text changes, so a setting written twice is written once.
 * The cutover switches endpoints with it, and its rollback puts them back.
 */
import { readFile, rm } from 'node:fs/promises';
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
  /**
   * With a removal: the object (dotted; `''` the file) that setting the value had created.
   * It goes too once nothing else is left in it, so a removal undoes the write exactly.
   */
  readonly prune?: string;
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

/**
 * What writing `setting` into `file` would create besides the setting itself: the outermost
 * object on its path that is absent (dotted), `''` when the file is absent, undefined when
 * every object on the path is there already.
 */
export async function missingParent(file: string, setting: string): Promise<string | undefined> {
  const text = await readText(file);
  if (text === undefined) return '';
  const root = parseTree(text);
  const keys = setting.split('.');
  for (let depth = 1; depth < keys.length; depth++) {
    if (!root || !findNodeAtLocation(root, keys.slice(0, depth))) return keys.slice(0, depth).join('.');
  }
  return undefined;
}

/** Whether `text` holds an empty object at `at` (dotted; `''` the whole document). */
function emptyObjectAt(text: string, at: string): boolean {
  const root = parseTree(text);
  const node = root && (at === '' ? root : findNodeAtLocation(root, at.split('.')));
  return node?.type === 'object' && (node.children ?? []).length === 0;
}

function compactEmpty(text: string, at: string[]): string {
  const root = parseTree(text);
  const node = root && findNodeAtLocation(root, at);
  if (node?.type !== 'object' || (node.children ?? []).length > 0) return text;
  return `${text.slice(0, node.offset)}{}${text.slice(node.offset + node.length)}`;
}

const FORMAT = { insertSpaces: true, tabSize: 2 };

const depth = (dotted: string) => (dotted === '' ? 0 : dotted.split('.').length);

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
    // jsonc-parser's formatter re-lays every line an edit touches: on a file written on one
    // line (minified) that is the whole file. Such a file gets its edits unformatted, so it
    // stays on one line and the removal that undoes them gives back its bytes.
    const formattingOptions = before === undefined || before.trim().includes('\n') ? FORMAT : undefined;
    for (const edit of fileEdits) {
      const keys = edit.setting.split('.');
      text = applyEdits(text, modify(text, keys, edit.value, formattingOptions ? { formattingOptions } : {}));
      // A removal leaves its object as '{\n  }'; written as '{}', it reads as it did before a
      // setting went in (how JSON.stringify, init and editors write an empty object).
      if (edit.value === undefined && keys.length > 1) text = compactEmpty(text, keys.slice(0, -1));
    }
    // The objects the settings' writes created, deepest first, each removed once empty: an
    // object two removed settings shared is empty only once both are gone; '' is the file.
    const created = new Set<string>();
    for (const edit of fileEdits) {
      if (edit.value !== undefined || edit.prune === undefined) continue;
      const keys = edit.setting.split('.');
      for (let n = keys.length - 1; n >= depth(edit.prune); n--) created.add(keys.slice(0, n).join('.'));
    }
    let removeFile = false;
    for (const at of [...created].sort((a, b) => depth(b) - depth(a))) {
      if (!emptyObjectAt(text, at)) continue;
      if (at === '') removeFile = true;
      else text = applyEdits(text, modify(text, at.split('.'), undefined, {}));
    }
    if (removeFile) {
      await rm(file, { force: true });
      changed.push(file);
      continue;
    }
    if (text === before) continue;
    await writeFileAtomic(file, text);
    changed.push(file);
  }
  return changed;
}
