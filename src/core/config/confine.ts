/**
 * The folders the engine writes (state, reports, logs, outboxes) or uploads (the API's
 * source, which Cloud Build receives) stay inside the workspace unless the user says
 * otherwise. A cloned repository's config files, or a symbolic link it ships in place of a
 * folder, must not make a command write over files elsewhere on the machine, nor send a
 * folder from elsewhere (a home directory, its keys) to a build in the cloud. The user's own
 * ORCHESTRA_* variables may place them anywhere: those are the user's say-so, not the
 * workspace's.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pathToEnvName } from './env-vars';
import { formatPath, getAt } from './paths';
import type { ConfigIssue, OrchestraConfig } from './types';
import type { LayerOrigin } from './validate';

/** Settings naming a folder the engine creates and writes. */
export const WRITTEN_FOLDERS: readonly (readonly string[])[] = [
  ['state', 'dir'],
  ['report', 'dir'],
  ['log', 'dir'],
  ['memory', 'outboxDir'],
];

/** Settings naming a folder the engine reads and uploads to Google Cloud. */
export const UPLOADED_FOLDERS: readonly (readonly string[])[] = [['phases', 'apiDeployment', 'source']];

/** `file` is `root` or below it (both absolute, already resolved). */
export function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * Where `target` really lands: its deepest existing ancestor with every link followed,
 * plus the part not created yet. `link` is that ancestor when following changed it.
 */
export async function realLocation(target: string): Promise<{ real: string; link?: string }> {
  const missing: string[] = [];
  for (let at = target; ; at = path.dirname(at)) {
    try {
      const real = await fs.realpath(at);
      return { real: path.join(real, ...missing.reverse()), ...(real !== at ? { link: at } : {}) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || path.dirname(at) === at) return { real: target };
      missing.push(path.basename(at));
    }
  }
}

/**
 * Why `target` leaves the workspace `root`, or undefined when it does not: outside by its
 * path (`..`, absolute), or inside by its path but through a symbolic link that leads out.
 */
export async function escapeOf(root: string, target: string): Promise<string | undefined> {
  if (!isInside(root, target)) return `resolves to ${target}, outside the workspace ${root}`;
  const realRoot = (await realLocation(root)).real;
  const { real } = await realLocation(target);
  if (isInside(realRoot, real)) return undefined;
  const link = await firstEscapingLink(root, realRoot, target);
  return `${link ?? target} is a symbolic link leading to ${real}, outside the workspace ${root}`;
}

/** The first component of `target` under `root` whose link leads out of the workspace. */
async function firstEscapingLink(root: string, realRoot: string, target: string): Promise<string | undefined> {
  const parts = path.relative(root, target).split(path.sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const at = path.join(root, ...parts.slice(0, i));
    const stat = await fs.lstat(at).catch(() => undefined);
    if (!stat) return undefined;
    if (stat.isSymbolicLink() && !isInside(realRoot, (await realLocation(at)).real)) return at;
  }
  return undefined;
}

/** A written folder set by the workspace (its files, or the defaults under a planted link) that leaves it. */
export async function confinementIssues(
  config: OrchestraConfig,
  root: string,
  originFor: (segments: readonly string[]) => LayerOrigin,
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  for (const segments of [...WRITTEN_FOLDERS, ...UPLOADED_FOLDERS]) {
    const uploaded = UPLOADED_FOLDERS.includes(segments);
    const origin = originFor(segments);
    if (origin.layer === 'env') continue; // the user's own variable
    const value = getAt(config, segments);
    if (typeof value !== 'string') continue;
    const why = await escapeOf(root, path.resolve(root, value));
    if (!why) continue;
    const position = origin.locate?.(segments);
    const variable = pathToEnvName(segments);
    issues.push({
      code: 'path',
      layer: origin.layer,
      source: origin.sourceOf(segments),
      ...(origin.file ? { file: origin.file } : {}),
      ...(position ?? {}),
      path: formatPath(segments),
      message: `${JSON.stringify(value)} ${why}`,
      fix:
        origin.layer === 'defaults'
          ? `Remove the link (the workspace's files may not send the engine's files elsewhere), or set ${variable} to a folder of your choice.`
          : uploaded
            ? `Use a folder inside the workspace, or remove the key for the default. To upload a folder from elsewhere on purpose, set ${variable} yourself: the workspace's files may not send files from outside it to Google Cloud.`
            : `Use a folder inside the workspace, or remove the key for the default. To keep it elsewhere on purpose, set ${variable} yourself: the workspace's files may not place files outside it.`,
    });
  }
  return issues;
}
