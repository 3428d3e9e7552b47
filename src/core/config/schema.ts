/**
 * The one JSON Schema (config/schema/orchestra.schema.json), bundled, and its
 * validators. The root describes one layer (every key optional, unknown keys
 * rejected), which is also what VS Code checks a file against;
 * `#/definitions/resolved` adds what the merge of all layers must hold.
 * The validators are Ajv standalone code generated at build time
 * (scripts/gen-schema-validators.ts): nothing compiles a schema at run time, and
 * Ajv's compiler is in no bundle.
 */
import type { ErrorObject } from 'ajv';
import schemaJson from '../../../config/schema/orchestra.schema.json';
import { validateLayer as layer, validateResolved as resolved } from './schema-validators.generated';

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  description?: string;
  default?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  patternErrorMessage?: string;
  'x-fix'?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  required?: string[];
  definitions?: Record<string, JsonSchema>;
  allOf?: JsonSchema[];
  [keyword: string]: unknown;
}

export const SCHEMA: JsonSchema = schemaJson as unknown as JsonSchema;

/** Validates one layer (a file, the settings, the variables). Returns [] when valid. */
export function validateLayer(value: unknown): ErrorObject[] {
  return layer(value) ? [] : [...(layer.errors ?? [])];
}

/** Validates the merge of all layers. */
export function validateResolved(value: unknown): ErrorObject[] {
  return resolved(value) ? [] : [...(resolved.errors ?? [])];
}

/** Follows `$ref` to a definition and merges the referring node's own keywords over it. */
export function deref(node: JsonSchema | undefined): JsonSchema | undefined {
  if (!node?.$ref) return node;
  const name = node.$ref.replace(/^#\/definitions\//, '');
  const { $ref: _ref, ...own } = node;
  return { ...SCHEMA.definitions?.[name], ...own };
}

/**
 * The schema node of a path in a layer (e.g. ['memory', 'timeoutMs']), following
 * declared properties, then free-form maps (`additionalProperties` schemas), then
 * array items for numeric segments. undefined: the path names nothing.
 */
export function schemaAt(path: readonly (string | number)[], root: JsonSchema = SCHEMA): JsonSchema | undefined {
  let node: JsonSchema | undefined = deref(root);
  for (const segment of path) {
    if (!node) return undefined;
    if (typeof segment === 'number') {
      node = deref(node.items);
    } else if (node.properties && Object.hasOwn(node.properties, segment)) {
      node = deref(node.properties[segment]);
    } else if (typeof node.additionalProperties === 'object') {
      node = deref(node.additionalProperties);
    } else {
      return undefined;
    }
  }
  return node;
}

/** True when `key` is a property the schema declares on the object at `path` (not a free-form map key). */
export function isDeclaredKey(path: readonly (string | number)[], key: string): boolean {
  const node = schemaAt(path);
  return Boolean(node?.properties && Object.hasOwn(node.properties, key));
}

/** Every leaf path the schema declares (scalars, arrays, free-form maps), for suggestions and docs. */
export function declaredLeafPaths(): string[][] {
  const out: string[][] = [];
  const walk = (node: JsonSchema | undefined, path: string[]) => {
    const n = deref(node);
    if (n?.type === 'object' && n.properties) {
      for (const [key, child] of Object.entries(n.properties)) if (key !== '$schema') walk(child, [...path, key]);
    } else {
      out.push(path);
    }
  };
  walk(SCHEMA, []);
  return out;
}
