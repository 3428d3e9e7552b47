/**
 * Reads and sets single settings in the config files (config/<env>.json) in place:
 * comments and layout are kept (jsonc-parser edits), and each file is written
 * atomically, only when its text changes, so a setting written twice is written once.
 * The cutover switches endpoints with it, and its rollback puts them back.
 */
import { createHash } from 'node:crypto';
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

/** One file's text before and after the edits (undefined: no file). */
export interface FileChange {
  readonly file: string;
  readonly before: string | undefined;
  readonly after: string | undefined;
}

/**
 * How to give a file back exactly as it was: what the edits wrote (its hash, so a file
 * someone changed since is never overwritten by the restore) and the one span they changed,
 * with its text before. A created file is deleted. Only the changed span is kept, not the file.
 */
export interface FileRestore {
  /** sha256 (hex) of the text the edits wrote. */
  readonly after: string;
  /** The edits created the file: restoring deletes it. */
  readonly created?: boolean;
  /** Where the changed span starts in the written text, its length there, and its text before. */
  readonly offset?: number;
  readonly length?: number;
  readonly text?: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The restore record of a change that wrote a file (undefined for a deletion). */
export function restoreOf(change: FileChange): FileRestore | undefined {
  if (change.after === undefined) return undefined;
  const after = sha256(change.after);
  if (change.before === undefined) return { after, created: true };
  const a = change.before;
  const b = change.after;
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  return { after, offset: start, length: b.length - start - end, text: a.slice(start, a.length - end) };
}

/**
 * Gives the file back as it was when `restore` was recorded, if it still holds exactly what
 * was written then: resolves true when restored (or already as it was), false when the file
 * changed since (the caller then edits its settings one by one instead).
 */
export async function restoreFile(file: string, restore: FileRestore): Promise<boolean> {
  const text = await readText(file);
  if (text === undefined) return false;
  if (sha256(text) !== restore.after) return false;
  if (restore.created) {
    await rm(file, { force: true });
    return true;
  }
  const offset = restore.offset ?? 0;
  await writeFileAtomic(
    file,
    `${text.slice(0, offset)}${restore.text ?? ''}${text.slice(offset + (restore.length ?? 0))}`,
  );
  return true;
}

/** Applies the edits, file by file; resolves with the files whose text changed. */
export async function writeSettings(edits: readonly SettingEdit[]): Promise<string[]> {
  const changes = await plannedSettings(edits);
  for (const change of changes) {
    if (change.after === undefined) await rm(change.file, { force: true });
    else await writeFileAtomic(change.file, change.after);
  }
  return changes.map((c) => c.file);
}

/** What writeSettings would write, file by file, without writing: only the files whose text changes. */
export async function plannedSettings(edits: readonly SettingEdit[]): Promise<FileChange[]> {
  const byFile = new Map<string, SettingEdit[]>();
  for (const edit of edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
  const changed: FileChange[] = [];
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
      changed.push({ file, before, after: undefined });
      continue;
    }
    if (text === before) continue;
    changed.push({ file, before, after: text });
  }
  return changed;
}
