/**
 * The layers above the config files (editor settings, ORCHESTRA_* variables) win over
 * them: a cutover that switches config/<env>.json while one of those still names the old
 * endpoint would leave that endpoint live for whoever has it set. The plan names each
 * such override with its fix, and the cutover refuses to run while one remains.
 */
import type { ConfigLayer, LayerValue } from '../config/types';
import { InputError } from '../errors';
import type { EndpointSwitch } from './state';

/** One setting a layer above the files sets to something other than the cloud value. */
export interface CutoverOverride {
  readonly setting: string;
  readonly layer: Extract<ConfigLayer, 'settings' | 'env'>;
  /** The variable's name, or the editor setting's id. */
  readonly source: string;
  readonly value: string;
  readonly to: string;
  readonly fix: string;
}

/** Each layer above the config files that sets a dotted path (ResolvedConfig.aboveFiles). */
export type AboveFilesLookup = (path: string) => readonly LayerValue[];

function fixFor(layer: CutoverOverride['layer'], source: string): string {
  return layer === 'env'
    ? `Unset ${source} (in this shell, and wherever it is set for the team: .env files, devcontainer.json, CI), then run the cutover again.`
    : `Remove the editor setting ${source} (user and workspace settings), then run the cutover again.`;
}

/**
 * Every editor setting and variable that sets a switched setting to another value, each
 * setting once: all of them, not only the one that wins now, so one round of unsetting
 * clears the way.
 */
export function cutoverOverrides(
  aboveFiles: AboveFilesLookup | undefined,
  switches: readonly EndpointSwitch[],
): CutoverOverride[] {
  if (!aboveFiles) return [];
  const out: CutoverOverride[] = [];
  const seen = new Set<string>();
  for (const s of switches) {
    if (seen.has(s.setting)) continue;
    seen.add(s.setting);
    for (const { layer, source, value } of aboveFiles(s.setting)) {
      if (typeof value !== 'string' || value === s.to) continue;
      out.push({ setting: s.setting, layer, source, value, to: s.to, fix: fixFor(layer, source) });
    }
  }
  return out;
}

export function describeOverride(o: CutoverOverride): string {
  const what = o.layer === 'env' ? `variable ${o.source}` : `editor setting ${o.source}`;
  return `${what} sets ${o.setting} to ${o.value}, and wins over the config files: it would keep that endpoint live instead of ${o.to}. ${o.fix}`;
}

/** Refused while any override would keep the old endpoint live: nothing is changed. */
export function refuseOverrides(overrides: readonly CutoverOverride[]): void {
  if (overrides.length === 0) return;
  const names = overrides.map((o) => o.source).join(', ');
  throw new InputError(`Cutover refused: ${overrides.map(describeOverride).join('\n')}`, {
    where: names,
    fix: `Unset ${names}; orchestra-migrate cutover --plan-only lists what still overrides the config files. Nothing was changed.`,
  });
}
