/**
 * `verify --out plan.json` and `execute --plan plan.json`: the reviewed plan on disk.
 * Written atomically (a reader never sees half a plan); read back as bad input, naming
 * the file, when it is missing or not a plan.
 */
import { promises as fs } from 'node:fs';
import { InputError } from '../errors';
import type { Plan } from '../migration/planner';
import { parseSavedPlan, savedPlan, type SavedPlan } from '../migration/saved-plan';
import { writeFileAtomic } from '../util/atomic-write';
import { prepareOutFile } from './out-file';

export async function writePlanFile(plan: Plan, file: string, workspaceRoot: string): Promise<SavedPlan> {
  const saved = savedPlan(plan);
  await prepareOutFile(file, workspaceRoot);
  await writeFileAtomic(file, JSON.stringify(saved, null, 2) + '\n');
  return saved;
}

export async function readPlanFile(file: string): Promise<SavedPlan> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT' ? `The plan file ${file} does not exist.` : `The plan file ${file} cannot be read (${code}).`,
      { where: '--plan', fix: 'Write one with orchestra-migrate verify --out plan.json, then pass its path.' },
    );
  }
  return parseSavedPlan(text, file);
}
