/**
 * `initConfig(dir)`: writes config/common.json, the four environment files and the
 * schema they reference, and git-ignores the state/log folder. Never overwrites:
 * each file is created exclusively (flag 'wx'), so even a race with the user
 * leaves their file alone. The bytes are a pure function of this version, so a
 * second run changes nothing.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { applyEdits, modify } from 'jsonc-parser/lib/esm/main.js';
import { InputError, OrchestraError } from '../errors';
import { initialFiles } from './defaults';
import { formatJson } from './json-format';
import { escapeOf } from './confine';
import { configDirFor, COMMON_FILE, CONFIG_DIR_VARIABLE } from './load';
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
  const env = options.env ?? process.env;
  const configDir = configDirFor(root, env);
  await checkInitTargets(root, configDir, Boolean(env[CONFIG_DIR_VARIABLE]));
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

/**
 * Before anything is written: a config folder the user named outside the workspace must
 * exist (a typo must not create folders elsewhere), and the workspace's own config folder
 * and .gitignore must not be links leading out of it (a cloned repository can ship those).
 */
async function checkInitTargets(root: string, configDir: string, named: boolean): Promise<void> {
  if (named) {
    const outside = await escapeOf(root, configDir);
    if (outside && !(await isFolder(configDir))) {
      throw new InputError(`The config folder ${configDir} does not exist, and it is outside the workspace.`, {
        where: CONFIG_DIR_VARIABLE,
        fix: `Create ${configDir} first (outside the workspace, init writes only into existing folders), or point ${CONFIG_DIR_VARIABLE} inside the workspace, or unset it.`,
      });
    }
  } else {
    const outside = await escapeOf(root, configDir);
    if (outside) {
      throw new InputError(`The config folder: ${outside}.`, {
        where: configDir,
        fix: `Remove the link, or set ${CONFIG_DIR_VARIABLE} to the folder you mean.`,
      });
    }
  }
  const gitignore = path.join(root, '.gitignore');
  const leaves = await escapeOf(root, gitignore);
  if (leaves) {
    throw new InputError(`init would write through a link: ${leaves}.`, {
      where: gitignore,
      fix: 'Replace the link with a regular .gitignore file, then run init again.',
    });
  }
}

async function isFolder(dir: string): Promise<boolean> {
  return (await fs.stat(dir).catch(() => undefined))?.isDirectory() ?? false;
}

export interface InitValues {
  projectId?: string;
  location?: string;
}

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION = /^[a-z]+-[a-z]+[0-9]+$/;

/** Checks `init --project/--location` before anything is written: bad input changes nothing. */
export function checkInitValues(values: InitValues): void {
  if (values.projectId !== undefined && !PROJECT_ID.test(values.projectId)) {
    throw new InputError(`'${values.projectId}' is not a Google Cloud project ID.`, {
      where: '--project',
      fix: 'Use the project ID (6 to 30 lowercase letters, digits or hyphens, starting with a letter), as `gcloud projects list` shows it, e.g. --project=cherry-ai-project.',
    });
  }
  if (values.location !== undefined && !REGION.test(values.location)) {
    throw new InputError(`'${values.location}' is not a Google Cloud region.`, {
      where: '--location',
      fix: 'Use a region such as us-central1 or europe-west4 (a region, not a zone like us-central1-a).',
    });
  }
}

/**
 * Writes `init --project/--location` into config/common.json in place (comments and the
 * rest of the file kept), whether init created the file just now or it existed.
 */
export async function writeInitValues(commonFile: string, values: InitValues): Promise<string[]> {
  checkInitValues(values);
  let text = await fs.readFile(commonFile, 'utf8');
  const changed: string[] = [];
  for (const [key, value] of Object.entries(values) as [keyof InitValues, string | undefined][]) {
    if (value === undefined) continue;
    const next = applyEdits(
      text,
      modify(text, [key], value, { formattingOptions: { insertSpaces: true, tabSize: 2 } }),
    );
    if (next !== text) changed.push(key);
    text = next;
  }
  if (changed.length) await fs.writeFile(commonFile, text, 'utf8');
  return changed;
}
