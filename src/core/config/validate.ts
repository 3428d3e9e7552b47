/**
 * Turns what the schema validator (Ajv) reports into ConfigIssues people can act
 * on: where (file, line, column, JSON path), what was expected, and a fix. The
 * wording comes from the schema itself (patternErrorMessage, x-fix, defaults),
 * so the editor's hover and the CLI say the same thing.
 */
import type { ErrorObject } from 'ajv';
import { InputError } from '../errors';
import { closest, formatPath, getAt, pointerToSegments, type Segment } from './paths';
import { deref, schemaAt, type JsonSchema } from './schema';
import { findSecretInValue } from './secrets';
import type { ConfigIssue, ConfigLayer } from './types';
import type { Position } from './text-position';

/** Where a layer's values come from, and how to point at one of them. */
export interface LayerOrigin {
  layer: ConfigLayer;
  /** Source of the value at a path: the file, the setting id, the variable name. */
  sourceOf(segments: readonly Segment[]): string;
  file?: string;
  /** Position of a value (or, with `key`, of that key inside the object at `segments`). */
  locate?(segments: readonly Segment[], key?: string): Position | undefined;
}

/**
 * Thrown by loadConfig: every problem found, at once. Nothing was applied.
 * `issues` carry file, line and column, ready to become editor diagnostics.
 */
export class ConfigValidationError extends InputError {
  readonly issues: readonly ConfigIssue[];
  /** The workspace folder: describe() prints file paths relative to it. */
  readonly root?: string;

  constructor(issues: readonly ConfigIssue[], options: { root?: string } = {}) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`The configuration has ${count}; nothing was applied.`, {
      fix: 'Correct each one (the editor shows them in config/*.json), then reload.',
    });
    this.name = 'ConfigValidationError';
    this.issues = issues;
    this.root = options.root;
  }

  override describe(): string {
    return [this.message, ...this.issues.map((issue) => formatIssue(issue, this.root))].join('\n');
  }
}

/** `config/common.json:3:16 memory.timeoutMs: message`, then expected and fix lines. */
export function formatIssue(issue: ConfigIssue, cwd?: string): string {
  const where = issueLocation(issue, cwd);
  const lines = [`${where}${issue.path ? ` ${issue.path}` : ''}: ${issue.message}`];
  if (issue.expected) lines.push(`    expected: ${issue.expected}`);
  lines.push(`    fix: ${issue.fix}`);
  return lines.join('\n');
}

export function issueLocation(issue: ConfigIssue, cwd?: string): string {
  if (!issue.file) {
    if (issue.layer === 'env' && issue.source.startsWith('ORCHESTRA_')) return `variable ${issue.source}`;
    if (issue.layer === 'settings' && issue.source.startsWith('orchestra.')) return `setting ${issue.source}`;
    return issue.source;
  }
  const file = relativeTo(issue.file, cwd);
  return issue.line ? `${file}:${issue.line}:${issue.column ?? 1}` : file;
}

function relativeTo(file: string, cwd?: string): string {
  if (!cwd) return file;
  const prefix = cwd.endsWith('/') || cwd.endsWith('\\') ? cwd : cwd + (file.includes('\\') ? '\\' : '/');
  return file.startsWith(prefix) ? file.slice(prefix.length) : file;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object ({ ... })',
  array: 'a list ([ ... ])',
  null: 'null',
};

export function typeWord(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

/** A short, safe rendering of a value for a message; secrets are masked. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const secret = findSecretInValue(value);
    if (secret) return `${secret.kind} ${secret.masked}`;
    return `the string ${quote(value)}`;
  }
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return 'an object';
}

export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const short = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return JSON.stringify(short);
}

/** 'Expected a Google Cloud project ID: 6 to 30...' -> 'a Google Cloud project ID'. */
function noun(patternErrorMessage: string): string {
  const body = patternErrorMessage.replace(/^Expected /, '');
  const cut = body.search(/: |, | such as| \(|\.$/);
  return cut > 0 ? body.slice(0, cut) : body.replace(/\.$/, '');
}

function expectedText(patternErrorMessage: string): string {
  return patternErrorMessage.replace(/^Expected /, '').replace(/\.$/, '');
}

/** Values a person probably meant, tried against the pattern: the fix then names one. */
function suggestValue(value: string, pattern: string): string | undefined {
  const regex = new RegExp(pattern, 'u');
  const trimmed = value.trim();
  const local = /^([a-z][a-z0-9+.-]*:\/\/)?(localhost|127\.|\[::1\])/i.test(trimmed);
  const scheme = local ? 'http://' : 'https://';
  const candidates = [
    trimmed,
    value.trim().toLowerCase(),
    value
      .trim()
      .toLowerCase()
      .replace(/[\s_]+/g, '-'),
    value.replace(/-[a-z]$/, ''), // a zone (us-central1-a) -> its region
    trimmed.includes('://') ? trimmed.replace(/^[a-z][a-z0-9+.-]*:\/\//i, scheme) : `${scheme}${trimmed}`,
    `user:${value.trim()}`,
    `${value.trim().toLowerCase()}.googleapis.com`,
    `roles/${value.trim()}`,
  ];
  return candidates.find((candidate) => candidate !== value && candidate !== '' && regex.test(candidate));
}

function sentence(text: string): string {
  return /[.?!]$/.test(text) ? text : `${text}.`;
}

/** 'Use a whole number from 1 to 1000.' from the node's type and limits. */
function rangeFix(node: JsonSchema | undefined): string {
  const kind = typeWord(node?.type ?? 'number');
  const low =
    node?.minimum ?? (node?.exclusiveMinimum !== undefined ? `more than ${node.exclusiveMinimum}` : undefined);
  const high = node?.maximum;
  if (typeof low === 'number' && high !== undefined) return `Use ${kind} from ${low} to ${high}`;
  if (low !== undefined) return `Use ${kind} of at least ${low}`;
  if (high !== undefined) return `Use ${kind} up to ${high}`;
  return 'Use a value in range';
}

interface Described {
  segments: Segment[];
  /** Point at the key (unknown and missing keys) rather than the value. */
  key?: string;
  message: string;
  expected?: string;
  fix: string;
  code: ConfigIssue['code'];
}

function withDefault(fix: string, node: JsonSchema | undefined): string {
  const example = node?.default ?? node?.examples?.[0];
  if (example === undefined || (typeof example === 'string' && example === '')) return sentence(fix);
  return `${sentence(fix)} The default is ${JSON.stringify(example)}.`;
}

function describe(error: ErrorObject, data: unknown): Described | undefined {
  const segments = pointerToSegments(error.instancePath, data);
  const value = getAt(data, segments);
  // The property's own node carries its default and description; the error's node may be a shared definition.
  const node = schemaAt(segments) ?? (error.parentSchema as JsonSchema | undefined);
  const rule = (error.parentSchema ?? {}) as JsonSchema;
  const hint = node?.['x-fix'] ?? rule['x-fix'];
  const params = error.params as Record<string, unknown>;

  // Ajv reports a bad map key twice: the key's own error (with propertyName) and this summary.
  if (error.keyword === 'propertyNames') return undefined;
  if (error.propertyName !== undefined) {
    // A key of a free-form map (gcp.endpointOverrides) that breaks propertyNames.
    const message = rule.patternErrorMessage ?? 'Expected a different key.';
    return {
      segments: [...segments, error.propertyName],
      key: error.propertyName,
      code: 'schema',
      message: `invalid key ${quote(error.propertyName)}`,
      expected: expectedText(message),
      fix: 'Rename the key: use the API short name as gcloud spells it (run, secretmanager, storage...).',
    };
  }

  switch (error.keyword) {
    case 'type': {
      const expected = typeWord(params.type);
      let fix: string;
      if (
        (params.type === 'integer' || params.type === 'number') &&
        typeof value === 'string' &&
        value.trim() !== '' &&
        Number.isFinite(Number(value))
      ) {
        fix = `Remove the quotes: ${value.trim()}.`;
      } else if (params.type === 'boolean' && (value === 'true' || value === 'false')) {
        fix = `Remove the quotes: ${value}.`;
      } else if (params.type === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
        fix = `Put the value in quotes: "${String(value)}".`;
      } else if (params.type === 'array' && typeof value === 'string') {
        fix = `Write a list: [${JSON.stringify(value)}].`;
      } else if (segments.length === 0) {
        fix = 'A config file holds one object, e.g. { "projectId": "my-project", "location": "us-central1" }.';
      } else if (params.type === 'object') {
        const keys = Object.keys(deref(node)?.properties ?? {}).slice(0, 3);
        fix = keys.length
          ? `Write an object ({ ... }) with keys such as ${keys.map((k) => `"${k}"`).join(', ')}.`
          : 'Write an object ({ ... }).';
      } else {
        fix = withDefault(`Write ${expected}`, node);
      }
      return { segments, code: 'schema', message: `expected ${expected}, found ${describeValue(value)}`, fix };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]) ?? [];
      const list = allowed.map((v) => JSON.stringify(v)).join(', ');
      const guess = typeof value === 'string' ? closest(value, allowed.map(String)) : undefined;
      return {
        segments,
        code: 'schema',
        message: `${describeValue(value)} is not an allowed value`,
        expected: `one of ${list}`,
        fix: guess ? `Did you mean "${guess}"?` : `Use one of ${list}.`,
      };
    }
    case 'pattern': {
      const patternMessage = rule.patternErrorMessage ?? `Expected text matching ${String(params.pattern)}.`;
      const suggestion = typeof value === 'string' ? suggestValue(value, String(params.pattern)) : undefined;
      const base = hint ?? 'Correct the value.';
      return {
        segments,
        code: 'schema',
        message: `${describeValue(value)} is not ${noun(patternMessage)}`,
        expected: expectedText(patternMessage),
        fix: suggestion ? `Did you mean ${JSON.stringify(suggestion)}? ${sentence(base)}` : sentence(base),
      };
    }
    case 'format': {
      const what =
        params.format === 'uri'
          ? 'a URL'
          : params.format === 'email'
            ? 'an email address'
            : `a ${String(params.format)}`;
      return {
        segments,
        code: 'schema',
        message: `${describeValue(value)} is not ${what}`,
        fix: sentence(hint ?? `Write ${what}`),
      };
    }
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const limit = params.limit as number;
      const message =
        error.keyword === 'minimum'
          ? `${String(value)} is too small: the minimum is ${limit}`
          : error.keyword === 'exclusiveMinimum'
            ? `${String(value)} is too small: it must be greater than ${limit}`
            : error.keyword === 'maximum'
              ? `${String(value)} is too large: the maximum is ${limit}`
              : `${String(value)} is too large: it must be less than ${limit}`;
      return { segments, code: 'schema', message, fix: withDefault(hint ?? rangeFix(node), node) };
    }
    case 'minLength':
      return {
        segments,
        code: 'schema',
        message: 'must not be empty',
        fix: sentence(hint ?? 'Write a value, or remove the key'),
      };
    case 'uniqueItems': {
      const i = Number(params.i);
      const j = Number(params.j);
      const later = Math.max(i, j);
      return {
        segments: [...segments, later],
        code: 'schema',
        message: `duplicate item ${quote(getAt(value, [later]))} (same as item ${Math.min(i, j)})`,
        fix: 'Remove one of the two.',
      };
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const container = deref(node);
      const known = Object.keys(container?.properties ?? {}).filter((k) => k !== '$schema');
      const guess = closest(key, known);
      return {
        segments: [...segments, key],
        key,
        code: 'unknown-key',
        message: `unknown key ${quote(key)}`,
        expected: `one of ${known.map((k) => JSON.stringify(k)).join(', ')}`,
        fix: guess ? `Did you mean "${guess}"? Otherwise remove the key.` : 'Remove the key (it is not a setting).',
      };
    }
    case 'required': {
      const key = String(params.missingProperty);
      const missing = schemaAt([...segments, key]);
      const what = missing?.description ? ` (${missing.description.replace(/\.$/, '')})` : '';
      return {
        segments: [...segments, key],
        key, // points at the object that lacks it
        code: 'schema',
        message: `missing required key ${quote(key)}`,
        fix: withDefault(`Add "${key}"${what}`, missing),
      };
    }
    case 'if':
      return undefined; // 'then' reports the real problem (a required key).
    default:
      return {
        segments,
        code: 'schema',
        message: error.message ?? 'invalid value',
        fix: sentence(hint ?? 'Correct the value'),
      };
  }
}

/** Lower is kept when two errors concern the same value (a URL failing both its pattern and format). */
const PRIORITY: Record<string, number> = { type: 0, enum: 1, pattern: 2, format: 3 };

/** Ajv errors of one layer's data to issues, one per path, located through the origin. */
export function issuesFromSchemaErrors(
  errors: readonly ErrorObject[],
  data: unknown,
  origin: LayerOrigin,
): ConfigIssue[] {
  const byPath = new Map<string, { issue: ConfigIssue; priority: number }>();
  for (const error of errors) {
    const described = describe(error, data);
    if (!described) continue;
    const path = formatPath(described.segments);
    const priority = PRIORITY[error.keyword] ?? 5;
    const existing = byPath.get(path);
    if (existing && existing.priority <= priority) continue;
    const position =
      described.key !== undefined
        ? origin.locate?.(described.segments.slice(0, -1), described.key)
        : origin.locate?.(described.segments);
    const issue: ConfigIssue = {
      code: described.code,
      layer: origin.layer,
      source: origin.sourceOf(described.segments),
      ...(origin.file ? { file: origin.file } : {}),
      ...(position ? { line: position.line, column: position.column } : {}),
      path,
      message: described.message,
      ...(described.expected ? { expected: described.expected } : {}),
      fix: described.fix,
    };
    byPath.set(path, { issue, priority });
  }
  return [...byPath.values()].map((entry) => entry.issue);
}

/** Drops issues about a path that a secret issue already covers (the secret is the real problem). */
export function withoutShadowed(issues: ConfigIssue[]): ConfigIssue[] {
  const secrets = issues.filter((i) => i.code === 'secret');
  if (!secrets.length) return issues;
  return issues.filter(
    (issue) =>
      issue.code === 'secret' ||
      !secrets.some(
        (s) =>
          s.source === issue.source &&
          (issue.path === s.path || issue.path.startsWith(`${s.path}.`) || issue.path.startsWith(`${s.path}[`)),
      ),
  );
}

export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const layerOrder = ['defaults', 'common', 'environment', 'settings', 'env'];
  return [...issues].sort(
    (a, b) =>
      layerOrder.indexOf(a.layer) - layerOrder.indexOf(b.layer) ||
      a.source.localeCompare(b.source) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.path.localeCompare(b.path),
  );
}
