/**
 * Deep merge of the layers, lowest first, recording where each value came from.
 * Objects merge key by key; arrays and scalars replace. The provenance of an
 * object is the latest layer that set anything inside it.
 */
import { isPlainObject, type Segment } from './paths';
import type { ConfigLayer, Provenance } from './types';

export interface MergeLayer {
  layer: ConfigLayer;
  values: Record<string, unknown>;
  /** Source of the value at a dotted path (file, setting id, variable name). */
  sourceOf(path: string): string;
}

export interface Merged {
  value: Record<string, unknown>;
  provenance: Map<string, Provenance>;
}

function join(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) define(out, k, clone(v));
    return out;
  }
  return value;
}

/** Own data property, whatever the key (a '__proto__' key never reaches the prototype). */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function forget(provenance: Map<string, Provenance>, path: string): void {
  for (const key of provenance.keys()) if (key.startsWith(`${path}.`)) provenance.delete(key);
}

function record(
  provenance: Map<string, Provenance>,
  path: string,
  value: unknown,
  origin: Provenance,
  layer: MergeLayer,
): void {
  provenance.set(path, origin);
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      const child = join(path, k);
      record(provenance, child, v, { layer: layer.layer, source: layer.sourceOf(child) }, layer);
    }
  }
}

export function mergeLayers(layers: readonly MergeLayer[]): Merged {
  const value: Record<string, unknown> = {};
  const provenance = new Map<string, Provenance>();

  const mergeInto = (
    target: Record<string, unknown>,
    source: Record<string, unknown>,
    path: string,
    layer: MergeLayer,
  ) => {
    for (const [key, incoming] of Object.entries(source)) {
      if (incoming === undefined) continue;
      const childPath = join(path, key);
      const current = Object.hasOwn(target, key) ? target[key] : undefined;
      const origin: Provenance = { layer: layer.layer, source: layer.sourceOf(childPath) };
      if (isPlainObject(incoming) && isPlainObject(current)) {
        provenance.set(childPath, origin);
        mergeInto(current, incoming, childPath, layer);
      } else {
        forget(provenance, childPath);
        define(target, key, clone(incoming));
        record(provenance, childPath, incoming, origin, layer);
      }
    }
  };

  for (const layer of layers) mergeInto(value, layer.values, '', layer);
  return { value, provenance };
}

/** Dotted provenance key of segments ('phases.aiCoding.members'); array items report their array. */
export function provenanceKey(segments: readonly Segment[]): string {
  const keys: string[] = [];
  for (const segment of segments) {
    if (typeof segment === 'number') break;
    keys.push(segment);
  }
  return keys.join('.');
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
