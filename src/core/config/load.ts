/**
 * loadConfig: detect the environment, read the layers, check each one (syntax,
 * duplicate keys, secrets, schema), merge them with provenance, check the merge,
 * and return it frozen. Every problem of every layer is collected and thrown
 * together as a ConfigValidationError; nothing partial is ever returned.
 *
 * Layers, later wins: built-in defaults < config/common.json < config/<env>.json
 * < editor settings < ORCHESTRA_* variables.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  detectEnvironment,
  DEPLOYMENT_ENV_MAP,
  ENVIRONMENT_SETTING_SIGNAL,
  type EnvironmentDetection,
  type Evidence,
} from '../environment';
import { confinementIssues } from './confine';
import { defaultConfig } from './defaults';
import { memorySide, MEMORY_FILE_VARIABLE, MEMORY_SIDE_NAMES } from './memory-sides';
import { resolveEndpoint } from './endpoints';
import { envLayerFrom, envSourceOf } from './env-vars';
import { deepFreeze, mergeLayers, provenanceKey, type MergeLayer } from './merge';
import { MAX_CONFIG_BYTES } from './bounds';
import { parseConfigText, type ParsedFile } from './parse';
import { formatPath, isPlainObject, pointerToSegments, type Segment } from './paths';
import { validateLayer, validateResolved } from './schema';
import { findSecretInValue, SECRET_FIX } from './secrets';
import { settingFor } from './settings';
import {
  ENVIRONMENT_KINDS,
  type ConfigIssue,
  type ConfigLayer,
  type EnvironmentKind,
  type LayerValue,
  type LoadConfigOptions,
  type OrchestraConfig,
  type Provenance,
  type ResolvedConfig,
} from './types';
import {
  ConfigValidationError,
  issuesFromSchemaErrors,
  sortIssues,
  withoutShadowed,
  type LayerOrigin,
} from './validate';

export const CONFIG_DIR_VARIABLE = 'ORCHESTRA_CONFIG_DIR';
export const DEFAULTS_SOURCE = 'built-in defaults';
export const COMMON_FILE = 'common.json';

/** File names that look like an environment file but are not one, and what they probably meant. */
const MISNAMED: Readonly<Record<string, EnvironmentKind>> = Object.freeze({
  ...DEPLOYMENT_ENV_MAP,
  'cloud-run': 'cloud_run',
  cloudrun: 'cloud_run',
  run: 'cloud_run',
  codespace: 'codespaces',
  workstations: 'workstation',
});

export function configDirFor(dir: string, env: NodeJS.ProcessEnv): string {
  const override = env[CONFIG_DIR_VARIABLE];
  return override ? path.resolve(dir, override) : path.join(dir, 'config');
}

async function readOptional(file: string): Promise<{ text?: string; issue?: ConfigIssue }> {
  try {
    // Checked before reading: a huge file (or a device) must not be read whole into memory.
    const stat = await fs.stat(file);
    if (stat.isFile() && stat.size > MAX_CONFIG_BYTES) {
      return {
        issue: {
          code: 'io',
          layer: 'common',
          source: file,
          file,
          line: 1,
          column: 1,
          path: '',
          message: `the file is too large (${stat.size.toLocaleString('en')} bytes; at most ${MAX_CONFIG_BYTES.toLocaleString('en')})`,
          fix: 'A config file holds settings only: check that this is the right file, and move data elsewhere.',
        },
      };
    }
    return { text: await fs.readFile(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    return {
      issue: {
        code: 'io',
        layer: 'common',
        source: file,
        file,
        path: '',
        message: `cannot read the file (${code ?? String(error)})`,
        fix: code === 'EISDIR' ? 'Remove the folder of that name, or rename it.' : 'Check the file permissions.',
      },
    };
  }
}

async function configDirIssues(
  configDir: string,
  env: NodeJS.ProcessEnv,
): Promise<{ names: string[]; issues: ConfigIssue[] }> {
  try {
    return { names: await fs.readdir(configDir), issues: [] };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !env[CONFIG_DIR_VARIABLE]) return { names: [], issues: [] };
    return {
      names: [],
      issues: [
        {
          code: 'io',
          layer: 'env',
          source: env[CONFIG_DIR_VARIABLE] ? CONFIG_DIR_VARIABLE : configDir,
          path: '',
          message: `the config folder ${configDir} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`}`,
          fix: env[CONFIG_DIR_VARIABLE]
            ? `Point ${CONFIG_DIR_VARIABLE} at an existing folder (absolute, or relative to the workspace folder), or unset it.`
            : 'Check the folder permissions.',
        },
      ],
    };
  }
}

function misnamedFileIssues(configDir: string, names: readonly string[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const base = name.slice(0, -'.json'.length);
    if (base === 'common' || (ENVIRONMENT_KINDS as readonly string[]).includes(base)) continue;
    const meant = MISNAMED[base.toLowerCase()];
    if (!meant) continue;
    const file = path.join(configDir, name);
    issues.push({
      code: 'environment',
      layer: 'environment',
      source: file,
      file,
      line: 1,
      column: 1,
      path: '',
      message: `${name} is never read: "${base}" is not an environment (${ENVIRONMENT_KINDS.join(', ')})`,
      fix: `Move its settings into ${meant}.json${base.toLowerCase() in DEPLOYMENT_ENV_MAP ? ` (DEPLOYMENT_ENV=${base} selects ${meant})` : ''}, then delete ${name}.`,
    });
  }
  return issues;
}

function environmentIssues(detection: EnvironmentDetection): ConfigIssue[] {
  return detection.evidence
    .filter((e) => e.invalid)
    .map((e) => ({
      code: 'environment' as const,
      layer: (e.signal === ENVIRONMENT_SETTING_SIGNAL ? 'settings' : 'env') as ConfigLayer,
      source: e.signal === ENVIRONMENT_SETTING_SIGNAL ? 'orchestra.environment' : e.signal,
      path: '',
      message: `${JSON.stringify(e.value)} is not an environment`,
      expected: `one of ${ENVIRONMENT_KINDS.join(', ')}`,
      fix:
        e.signal === ENVIRONMENT_SETTING_SIGNAL
          ? `Set orchestra.environment to auto or one of ${ENVIRONMENT_KINDS.join(', ')}.`
          : DEPLOYMENT_ENV_MAP[e.value.trim().toLowerCase()]
            ? `Set ${e.signal}=${DEPLOYMENT_ENV_MAP[e.value.trim().toLowerCase()]}: ${e.signal} takes environment names (DEPLOYMENT_ENV=${e.value} would map to ${DEPLOYMENT_ENV_MAP[e.value.trim().toLowerCase()]}).`
            : `Set ${e.signal} to one of ${ENVIRONMENT_KINDS.join(', ')}, or unset it to detect the environment.`,
    }));
}

/** Secret-shaped strings anywhere in a non-file layer (the settings). */
function valueSecretIssues(values: unknown, origin: LayerOrigin, segments: Segment[] = []): ConfigIssue[] {
  if (typeof values === 'string') {
    const secret = findSecretInValue(values);
    return secret
      ? [
          {
            code: 'secret',
            layer: origin.layer,
            source: origin.sourceOf(segments),
            path: formatPath(segments),
            message: `the value looks like ${secret.kind} ${secret.masked}; secrets are not allowed in settings`,
            fix: SECRET_FIX.replace('from the file', 'from the setting').replace('If the file', 'If the settings file'),
          },
        ]
      : [];
  }
  if (Array.isArray(values)) return values.flatMap((v, i) => valueSecretIssues(v, origin, [...segments, i]));
  if (isPlainObject(values))
    return Object.entries(values).flatMap(([k, v]) => valueSecretIssues(v, origin, [...segments, k]));
  return [];
}

function fileLayerIssues(parsed: ParsedFile): ConfigIssue[] {
  if (parsed.value === undefined) return parsed.issues; // syntax errors: nothing more to say reliably
  const schemaIssues = issuesFromSchemaErrors(validateLayer(parsed.value), parsed.value, parsed.origin);
  return withoutShadowed([...parsed.issues, ...schemaIssues]);
}

function withoutSchemaKey(value: unknown): Record<string, unknown> {
  if (!isPlainObject(value)) return {};
  const { $schema: _schema, ...rest } = value;
  return rest;
}

interface SemanticRule {
  check(config: OrchestraConfig): { segments: Segment[]; message: string; fix: string } | undefined;
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}

/** Values valid one by one that cannot work together. */
const SEMANTIC_RULES: SemanticRule[] = [
  {
    check: (c) =>
      c.breaker.retry.maxDelayMs < c.breaker.retry.initialDelayMs
        ? {
            segments: ['breaker', 'retry', 'maxDelayMs'],
            message: `maxDelayMs (${c.breaker.retry.maxDelayMs}) is lower than initialDelayMs (${c.breaker.retry.initialDelayMs})`,
            fix: 'Make breaker.retry.maxDelayMs at least breaker.retry.initialDelayMs.',
          }
        : undefined,
  },
  {
    check: (c) => {
      const seen = new Map<number, string>();
      for (const [service, port] of Object.entries(c.ports)) {
        const other = seen.get(port);
        if (other) {
          return {
            segments: ['ports', service],
            message: `port ${port} is also the port of ${other}`,
            fix: `Give ${service} and ${other} different ports.`,
          };
        }
        seen.set(port, service);
      }
      return undefined;
    },
  },
  {
    check: (c) => {
      if (!c.gcp.emulator) return undefined;
      const remote = Object.entries(c.gcp.endpointOverrides).find(([, url]) => !isLoopback(url));
      return remote
        ? {
            segments: ['gcp', 'endpointOverrides', remote[0]],
            message: `gcp.emulator is true, but the override of ${remote[0]} is not a loopback address`,
            fix: 'Point the overrides at the local emulator (http://127.0.0.1:<port>), or set gcp.emulator to false.',
          }
        : undefined;
    },
  },
  ...MEMORY_SIDE_NAMES.map((side): SemanticRule => ({
    check: (c) => {
      const own = c.memory[side];
      if (!own) return undefined;
      const resolved = memorySide(c, side);
      if (resolved.transport !== 'mcp-stdio' || resolved.command) return undefined;
      return {
        segments: own.transport ? ['memory', side, 'transport'] : ['memory', 'transport'],
        message: `the memory ${side} is reached over mcp-stdio, but no command starts its server`,
        fix: `Set memory.${side}.command (and args, env with its ${MEMORY_FILE_VARIABLE}) to the MCP memory server, or give memory.${side} an http or mcp-http transport with an endpoint.`,
      };
    },
  })),
];

/** Detection, overridden by the `kind` option (a CLI flag, a test) when given, with the override in the evidence. */
function resolveEnvironment(options: LoadConfigOptions): { environment: EnvironmentDetection; issues: ConfigIssue[] } {
  const detected = detectEnvironment(options.env, options.probes);
  const forced = options.kind;
  if (forced === undefined) return { environment: detected, issues: [] };
  if (!(ENVIRONMENT_KINDS as readonly string[]).includes(forced)) {
    const issue: ConfigIssue = {
      code: 'environment',
      layer: 'env',
      source: 'kind option',
      path: '',
      message: `${JSON.stringify(forced)} is not an environment`,
      expected: `one of ${ENVIRONMENT_KINDS.join(', ')}`,
      fix: `Pass one of ${ENVIRONMENT_KINDS.join(', ')}.`,
    };
    return { environment: detected, issues: [issue] };
  }
  const evidence: Evidence[] = [
    { signal: 'kind option', value: forced, suggests: forced, strength: 'force', note: `the caller forces ${forced}` },
    ...detected.evidence,
  ];
  if (detected.kind !== forced) {
    evidence.push({
      signal: 'contradiction',
      value: `detected=${detected.kind}`,
      strength: 'info',
      note: `detection says ${detected.kind}, but the kind option forces ${forced}`,
    });
  }
  return { environment: { kind: forced, forcedBy: 'kind option', evidence }, issues: [] };
}

export async function loadConfig(options: LoadConfigOptions): Promise<ResolvedConfig> {
  const { env } = options;
  const root = path.resolve(options.dir);
  const issues: ConfigIssue[] = [];

  const { environment, issues: kindIssues } = resolveEnvironment(options);
  issues.push(...kindIssues);
  issues.push(...environmentIssues(environment));
  const kind = environment.kind;

  const configDir = configDirFor(root, env);
  const commonFile = path.join(configDir, COMMON_FILE);
  const envFile = path.join(configDir, `${kind}.json`);
  const [listing, commonRead, envRead] = await Promise.all([
    configDirIssues(configDir, env),
    readOptional(commonFile),
    readOptional(envFile),
  ]);
  issues.push(...listing.issues, ...misnamedFileIssues(configDir, listing.names));

  const files: string[] = [];
  const parsedFiles: { layer: 'common' | 'environment'; parsed: ParsedFile }[] = [];
  for (const [layer, file, read] of [
    ['common', commonFile, commonRead],
    ['environment', envFile, envRead],
  ] as const) {
    if (read.issue) issues.push({ ...read.issue, layer });
    if (read.text === undefined) continue;
    files.push(file);
    const parsed = parseConfigText(file, read.text, layer);
    parsedFiles.push({ layer, parsed });
    issues.push(...fileLayerIssues(parsed));
  }

  const settingsValues = withoutSchemaKey(options.settings ?? {});
  const settingsSource = options.settingsSource ?? 'editor settings';
  const settingsOrigin: LayerOrigin = {
    layer: 'settings',
    sourceOf: (segments) => settingFor(provenanceKey(segments)) ?? settingsSource,
  };
  issues.push(
    ...withoutShadowed([
      ...valueSecretIssues(settingsValues, settingsOrigin),
      ...issuesFromSchemaErrors(validateLayer(settingsValues), settingsValues, settingsOrigin),
    ]),
  );

  const envLayer = envLayerFrom(env);
  const envOrigin: LayerOrigin = {
    layer: 'env',
    sourceOf: (segments) => envSourceOf(envLayer.sources, provenanceKey(segments)),
  };
  issues.push(
    ...envLayer.issues,
    ...issuesFromSchemaErrors(validateLayer(envLayer.values), envLayer.values, envOrigin),
  );

  if (issues.length) throw new ConfigValidationError(sortIssues(issues), { root });

  const layers: MergeLayer[] = [
    {
      layer: 'defaults',
      values: defaultConfig() as unknown as Record<string, unknown>,
      sourceOf: () => DEFAULTS_SOURCE,
    },
    ...parsedFiles.map(({ layer, parsed }) => ({
      layer,
      values: withoutSchemaKey(parsed.value),
      sourceOf: () => parsed.file,
    })),
    { layer: 'settings', values: settingsValues, sourceOf: (p: string) => settingFor(p) ?? settingsSource },
    { layer: 'env', values: envLayer.values, sourceOf: (p: string) => envSourceOf(envLayer.sources, p) },
  ];
  const merged = mergeLayers(layers);

  const provenanceOf = (key: string): Provenance | undefined => {
    for (let p = key; ; p = p.slice(0, p.lastIndexOf('.'))) {
      const hit = merged.provenance.get(p);
      if (hit || !p.includes('.')) return hit;
    }
  };
  const originFor = (segments: readonly Segment[]): LayerOrigin => {
    const prov = provenanceOf(provenanceKey(segments));
    const file = parsedFiles.find((f) => f.parsed.file === prov?.source);
    if (file) return file.parsed.origin;
    if (prov?.layer === 'settings') return settingsOrigin;
    if (prov?.layer === 'env') return envOrigin;
    return { layer: 'defaults', sourceOf: () => DEFAULTS_SOURCE };
  };

  for (const error of validateResolved(merged.value)) {
    const segments = pointerToSegments(error.instancePath, merged.value);
    issues.push(...issuesFromSchemaErrors([error], merged.value, originFor(segments)));
  }
  if (!issues.length) {
    const config = merged.value as unknown as OrchestraConfig;
    for (const rule of SEMANTIC_RULES) {
      const found = rule.check(config);
      if (!found) continue;
      const origin = originFor(found.segments);
      const position = origin.locate?.(found.segments);
      issues.push({
        code: 'semantic',
        layer: origin.layer,
        source: origin.sourceOf(found.segments),
        ...(origin.file ? { file: origin.file } : {}),
        ...(position ?? {}),
        path: formatPath(found.segments),
        message: found.message,
        fix: found.fix,
      });
    }
  }
  if (!issues.length) {
    issues.push(...(await confinementIssues(merged.value as unknown as OrchestraConfig, root, originFor)));
  }
  if (issues.length) throw new ConfigValidationError(sortIssues(issues), { root });

  const config = deepFreeze(merged.value as unknown as OrchestraConfig);
  const provenance = (p: string): Provenance | undefined =>
    merged.provenance.get(p) ?? merged.provenance.get(p.replace(/\[\d+\]$/, ''));
  const aboveFiles = (p: string): LayerValue[] => {
    const keys = p.split('.');
    const at = (values: Record<string, unknown>) =>
      keys.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], values);
    const found: LayerValue[] = [];
    const fromSettings = at(settingsValues);
    if (fromSettings !== undefined)
      found.push({ layer: 'settings', source: settingFor(p) ?? settingsSource, value: fromSettings });
    const fromEnv = at(envLayer.values);
    if (fromEnv !== undefined) found.push({ layer: 'env', source: envSourceOf(envLayer.sources, p), value: fromEnv });
    return found;
  };
  return {
    config,
    environment,
    provenance,
    aboveFiles,
    files,
    root,
    configDir,
    endpoint: (service) => resolveEndpoint(config, kind, service, env).url,
  };
}
