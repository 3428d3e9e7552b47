/**
 * The outputs steps recorded (URLs, the image, the memory copy's figures...) as tables
 * people read: simple values in one table, each structured value in a table of its own
 * with its fields named in words, nested fields as "last sync › added". The state file
 * keeps the JSON; the report shows what it says.
 */
import type { JsonValue } from '../memory/types';
import { cellCode, duration, number, text } from './markdown-text';

/** Outputs with a section of their own above: not repeated. */
const SHOWN_ELSEWHERE = new Set(['validation']);

/** Rows a structured output shows at most; the state file has the rest. */
const MAX_ROWS = 40;
/** Characters of one value shown at most. */
const MAX_VALUE = 300;

const LABELS: Readonly<Record<string, string>> = {
  apiUrl: 'API URL',
  apiImage: 'API image',
  endpoints: 'Endpoints',
  memoryCopy: 'Memory copy',
  validationResources: 'Resources Validation checked',
};

const WORDS: Readonly<Record<string, string>> = {
  api: 'API',
  url: 'URL',
  uri: 'URI',
  urls: 'URLs',
  id: 'ID',
  ids: 'IDs',
  ms: 'ms',
  sha256: 'SHA-256',
  p50: 'p50',
  p95: 'p95',
};

/** `recordsPerSecond` → "records per second", `apiUrl` → "API URL", `lastSync` → "last sync". */
export function words(key: string): string {
  const parts = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .split(/\s+/)
    .map((w) => WORDS[w.toLowerCase()] ?? w.toLowerCase());
  return parts.join(' ');
}

function label(key: string): string {
  const said = LABELS[key] ?? words(key);
  return said.charAt(0).toUpperCase() + said.slice(1);
}

function cut(value: string): string {
  return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value;
}

/** One value in a cell: names and URLs as code, prose and anything with markup as escaped text. */
function cell(value: JsonValue): string {
  if (value === null) return 'none';
  if (typeof value === 'number') return number(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') {
    if (value === '') return '(empty)';
    const shown = cut(value);
    return /[\s<>&]/.test(shown) ? text(shown) : cellCode(shown);
  }
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) {
    return value.length ? value.map((v) => cell(v)).join(', ') : 'none';
  }
  return text(cut(JSON.stringify(value)));
}

/** The fields of a structured value, nested ones by their path of names. */
function fields(value: JsonValue, path: string[] = []): [string[], JsonValue][] {
  const scalarList = Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object');
  if (value === null || typeof value !== 'object' || scalarList) return [[path, value]];
  const entries: [string, JsonValue][] = Array.isArray(value)
    ? value.map((v, i) => [String(i + 1), v])
    : Object.entries(value);
  if (!entries.length) return [[path, Array.isArray(value) ? [] : null]];
  return entries.flatMap(([k, v]) => fields(v, [...path, k]));
}

/** A field's name and value: durations (`copyMs`) read as durations. */
function fieldRow(path: string[], value: JsonValue): string {
  const last = path[path.length - 1] ?? '';
  const timed = /[a-z]Ms$/.test(last) && typeof value === 'number';
  const names = timed ? [...path.slice(0, -1), last.slice(0, -2)] : path;
  const said = names.map(words).join(' › ');
  const name = said.charAt(0).toUpperCase() + said.slice(1);
  return `| ${text(name)} | ${timed ? duration(value) : cell(value)} |`;
}

function structured(key: string, value: JsonValue): string[] {
  const rows = fields(value);
  const shown = rows.slice(0, MAX_ROWS).map(([path, v]) => fieldRow(path, v));
  const more = rows.length - shown.length;
  return [
    `### ${text(label(key))}`,
    '',
    '| Field | Value |',
    '|---|---|',
    ...shown,
    '',
    ...(more > 0 ? [`${more} more fields are in the state file.`, ''] : []),
  ];
}

export function outputsSection(outputs: Readonly<Record<string, JsonValue>>): string[] {
  const keys = Object.keys(outputs)
    .filter((k) => !SHOWN_ELSEWHERE.has(k))
    .sort();
  if (!keys.length) return [];
  const isSimple = (v: JsonValue) =>
    v === null || typeof v !== 'object' || (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'));
  const simple = keys.filter((k) => isSimple(outputs[k]));
  const rest = keys.filter((k) => !isSimple(outputs[k]));
  const lines = ['## Outputs', ''];
  if (simple.length) {
    lines.push('| Output | Value |', '|---|---|');
    for (const k of simple) lines.push(`| ${text(label(k))} | ${cell(outputs[k])} |`);
    lines.push('');
  }
  for (const k of rest) lines.push(...structured(k, outputs[k]));
  return lines;
}
