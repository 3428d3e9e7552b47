/**
 * The ORCHESTRA_* variables layer (the highest). The rule, documented in
 * docs/configuration.md: after the ORCHESTRA_ prefix, a double underscore goes one
 * level down and a single underscore starts a new camelCase word:
 *
 *   ORCHESTRA_PROJECT_ID                      -> projectId
 *   ORCHESTRA_MEMORY__ENDPOINT                -> memory.endpoint
 *   ORCHESTRA_BREAKER__RETRY__MAX_ATTEMPTS    -> breaker.retry.maxAttempts
 *   ORCHESTRA_GCP__ENDPOINT_OVERRIDES__RUN    -> gcp.endpointOverrides.run
 *
 * Values are coerced by the schema's type at that path: numbers, booleans
 * (true/false, 1/0, yes/no, on/off), lists (JSON, or comma-separated), objects
 * (JSON). An empty variable counts as unset. A variable that names no setting is
 * an error naming it, unless it is one of the reserved variables below.
 */
import { closest, formatPath, isPlainObject, setAt } from './paths';
import { declaredLeafPaths, deref, schemaAt, type JsonSchema } from './schema';
import { findSecretInValue, MEMORY_API_KEY_VARIABLE } from './secrets';
import type { ConfigIssue } from './types';
import { typeWord } from './validate';

export const ENV_PREFIX = 'ORCHESTRA_';

/**
 * ORCHESTRA_* variables that are not configuration paths. Add a variable here
 * (with what it does) before using it anywhere, or loading reports it as unknown.
 */
export const RESERVED_ENV_VARS: Readonly<Record<string, string>> = Object.freeze({
  ORCHESTRA_ENV: 'forces the environment (local, codespaces, workstation, cloud_run)',
  ORCHESTRA_CONFIG_DIR: 'the folder of the config files (default: <workspace>/config)',
  [MEMORY_API_KEY_VARIABLE]: 'the memory server API key (a secret: never in config files)',
  ORCHESTRA_ALLOW_ENDPOINTS:
    'hosts (comma-separated) that may receive the memory API key over plain http: a user-level consent, never read from the workspace',
  ORCHESTRA_CODE_SERVER_DIR: 'test tooling: where scripts/setup-test-env.sh installs code-server',
});

export interface EnvLayer {
  values: Record<string, unknown>;
  /** Dotted path -> the variable that set it. */
  sources: Map<string, string>;
  issues: ConfigIssue[];
}

/** 'MEMORY__TIMEOUT_MS' -> ['memory', 'timeoutMs']; undefined when a level is empty. */
export function envNameToPath(name: string): string[] | undefined {
  if (!name.startsWith(ENV_PREFIX)) return undefined;
  const levels = name.slice(ENV_PREFIX.length).split('__');
  const path = levels.map((level) =>
    level
      .toLowerCase()
      .split('_')
      .map((word, i) => (i === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1)))
      .join(''),
  );
  return path.every((p) => /^[a-z][a-zA-Z0-9]*$/.test(p)) ? path : undefined;
}

/** ['memory', 'timeoutMs'] -> 'ORCHESTRA_MEMORY__TIMEOUT_MS'. */
export function pathToEnvName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('__');
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

type Coerced = { ok: true; value: unknown } | { ok: false; expected: string };

function coerce(raw: string, node: JsonSchema): Coerced {
  const type = Array.isArray(node.type) ? node.type[0] : node.type;
  const text = raw.trim();
  switch (type) {
    case 'integer':
      return /^[+-]?\d+$/.test(text) ? { ok: true, value: Number(text) } : { ok: false, expected: typeWord('integer') };
    case 'number':
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)
        ? { ok: true, value: Number(text) }
        : { ok: false, expected: typeWord('number') };
    case 'boolean':
      if (TRUE.has(text.toLowerCase())) return { ok: true, value: true };
      if (FALSE.has(text.toLowerCase())) return { ok: true, value: false };
      return { ok: false, expected: 'true or false (also 1/0, yes/no, on/off)' };
    case 'array': {
      if (text.startsWith('[')) {
        const parsed = parseJson(text);
        return Array.isArray(parsed)
          ? { ok: true, value: parsed }
          : { ok: false, expected: 'a JSON list or a comma-separated list' };
      }
      const items = text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
      const itemNode = deref(node.items);
      if (!itemNode) return { ok: true, value: items };
      const out: unknown[] = [];
      for (const item of items) {
        const c = coerce(item, itemNode);
        if (!c.ok) return { ok: false, expected: `a list of ${c.expected}` };
        out.push(c.value);
      }
      return { ok: true, value: out };
    }
    case 'object': {
      const parsed = parseJson(text);
      return isPlainObject(parsed)
        ? { ok: true, value: parsed }
        : { ok: false, expected: 'a JSON object, e.g. {"run": "http://127.0.0.1:8085"}' };
    }
    default:
      return { ok: true, value: raw };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

let knownNames: string[] | undefined;

function knownVariableNames(): string[] {
  knownNames ??= [...declaredLeafPaths().map(pathToEnvName), ...Object.keys(RESERVED_ENV_VARS)];
  return knownNames;
}

function envIssue(name: string, path: string, message: string, fix: string, expected?: string): ConfigIssue {
  return { code: 'env-var', layer: 'env', source: name, path, message, ...(expected ? { expected } : {}), fix };
}

/** Reads every ORCHESTRA_* variable into a partial configuration, in name order (a parent before its children). */
export function envLayerFrom(env: NodeJS.ProcessEnv): EnvLayer {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  const names = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && !Object.hasOwn(RESERVED_ENV_VARS, name))
    .sort();
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const path = envNameToPath(name);
    const node = path ? schemaAt(path) : undefined;
    if (!path || !node) {
      const guess = closest(name, knownVariableNames());
      issues.push(
        envIssue(
          name,
          path ? formatPath(path) : '',
          `${name} names no setting${path ? ` (it would be ${formatPath(path)})` : ''}`,
          guess
            ? `Did you mean ${guess}? Otherwise unset ${name}. Nested keys use a double underscore: ORCHESTRA_MEMORY__ENDPOINT is memory.endpoint.`
            : `Unset ${name}. Nested keys use a double underscore: ORCHESTRA_MEMORY__ENDPOINT is memory.endpoint.`,
        ),
      );
      continue;
    }
    const coerced = coerce(raw, node);
    if (!coerced.ok) {
      const secret = findSecretInValue(raw);
      const shown = secret
        ? `${secret.kind} ${secret.masked}`
        : JSON.stringify(raw.length > 40 ? `${raw.slice(0, 37)}...` : raw);
      issues.push(
        envIssue(
          name,
          formatPath(path),
          `cannot read ${shown} as ${coerced.expected}`,
          `Set ${name} to ${coerced.expected}${node.default !== undefined && node.default !== '' ? `, e.g. ${typeof node.default === 'object' ? JSON.stringify(node.default) : String(node.default)} (the default)` : ''}.`,
          coerced.expected,
        ),
      );
      continue;
    }
    setAt(values, path, coerced.value);
    sources.set(path.join('.'), name);
  }
  return { values, sources, issues };
}

/** The variable that set a dotted path, or the one that set an ancestor (a JSON object variable). */
export function envSourceOf(sources: ReadonlyMap<string, string>, path: string): string {
  let p = path;
  for (;;) {
    const hit = sources.get(p);
    if (hit) return hit;
    const dot = p.lastIndexOf('.');
    if (dot < 0) return 'ORCHESTRA_* variables';
    p = p.slice(0, dot);
  }
}
