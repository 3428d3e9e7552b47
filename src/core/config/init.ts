/**
 * `initConfig(dir)`: writes config/common.json, the four environment files and the
 * schema they reference, and git-ignores the state/log folder. Never overwrites:
 * each file is created exclusively (flag 'wx'), so even a race with the user
 * leaves their file alone. The bytes are a pure function of this version, so a
 * second run changes nothing.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { OrchestraError } from '../errors';
import { initialFiles } from './defaults';
import { formatJson } from './json-format';
import { configDirFor, COMMON_FILE } from './load';
import { SCHEMA } from './schema';
import { ENVIRONMENT_KINDS } from './types';

export interface InitOptions {
  /** For ORCHESTRA_CONFIG_DIR; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface InitResult {
  /** Absolute paths created by this run. */
  written: string[];
  /** Absolute paths that existed and were left untouched. */
  skipped: string[];
  gitignore: 'added' | 'unchanged' | 'created';
  configDir: string;
}

export const SCHEMA_FILE = path.join('schema', 'orchestra.schema.json');
export const GITIGNORE_ENTRY = '.orchestra/';
const GITIGNORE_BLOCK = `# Orchestra Migrate: local state, logs, reports and the memory outbox\n${GITIGNORE_ENTRY}\n`;

/** Every file init writes, relative to the config folder, with its content. */
export function initPlan(): { relative: string; content: string }[] {
  const files = initialFiles();
  return [
    { relative: COMMON_FILE, content: formatJson(files.common) },
    ...ENVIRONMENT_KINDS.map((kind) => ({ relative: `${kind}.json`, content: formatJson(files[kind]) })),
    { relative: SCHEMA_FILE, content: formatJson(SCHEMA) },
  ];
}

async function createExclusive(file: string, content: string): Promise<boolean> {
  try {
    await fs.writeFile(file, content, { encoding: 'utf8', flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new OrchestraError('INIT_WRITE_FAILED', `Cannot create ${file}: ${(error as Error).message}`, {
      where: file,
      fix: 'Check that the folder is writable, then run init again (files already written are kept).',
      cause: error,
    });
  }
}

/** True when a .gitignore line already ignores the .orchestra folder. */
function ignoresStateDir(text: string): boolean {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .some((line) => /^\/?\.orchestra\/?(\*\*?)?$/.test(line));
}

async function ensureGitignore(root: string): Promise<InitResult['gitignore']> {
  const file = path.join(root, '.gitignore');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return (await createExclusive(file, GITIGNORE_BLOCK)) ? 'created' : ensureGitignore(root);
  }
  if (ignoresStateDir(text)) return 'unchanged';
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  await fs.appendFile(file, `${separator}${text.trim() === '' ? '' : '\n'}${GITIGNORE_BLOCK}`, 'utf8');
  return 'added';
}

/** `dir`: the workspace folder; files go to `<dir>/config` (or ORCHESTRA_CONFIG_DIR). */
export async function initConfig(dir: string, options: InitOptions = {}): Promise<InitResult> {
  const root = path.resolve(dir);
  const configDir = configDirFor(root, options.env ?? process.env);
  await fs.mkdir(path.join(configDir, 'schema'), { recursive: true });
  const written: string[] = [];
  const skipped: string[] = [];
  for (const { relative, content } of initPlan()) {
    const file = path.join(configDir, relative);
    ((await createExclusive(file, content)) ? written : skipped).push(file);
  }
  const gitignore = await ensureGitignore(root);
  return { written, skipped, gitignore, configDir };
}
