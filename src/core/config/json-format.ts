/**
 * Serializes JSON the way Prettier formats it (2 spaces, objects expanded, short
 * arrays on one line), so files that `init` writes are stable byte for byte and
 * pass `prettier --check` unchanged. Only what config files hold: no number arrays
 * (Prettier "fills" those), no undefined.
 */
const PRINT_WIDTH = 120;

export function formatJson(value: unknown): string {
  return print(value, '', 0) + '\n';
}

/** `prefixWidth`: characters already on the line before this value (indent, key, colon). */
function print(value: unknown, indent: string, prefixWidth: number, trailing = 0): string {
  if (Array.isArray(value)) return printArray(value, indent, prefixWidth, trailing);
  if (value !== null && typeof value === 'object') return printObject(value as Record<string, unknown>, indent);
  return JSON.stringify(value);
}

function printObject(object: Record<string, unknown>, indent: string): string {
  const keys = Object.keys(object).filter((k) => object[k] !== undefined);
  if (keys.length === 0) return '{}';
  const inner = indent + '  ';
  const lines = keys.map((key, i) => {
    const head = `${inner}${JSON.stringify(key)}: `;
    const comma = i < keys.length - 1 ? 1 : 0;
    return head + print(object[key], inner, head.length, comma) + (comma ? ',' : '');
  });
  return `{\n${lines.join('\n')}\n${indent}}`;
}

/** One-line form of primitives and arrays of them; objects always break (as Prettier keeps them). */
function inline(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (!Array.isArray(value)) return undefined;
  const parts = value.map(inline);
  return parts.every((p) => p !== undefined) ? `[${parts.join(', ')}]` : undefined;
}

function printArray(items: unknown[], indent: string, prefixWidth: number, trailing: number): string {
  if (items.length === 0) return '[]';
  const oneLine = inline(items);
  if (oneLine !== undefined && prefixWidth + oneLine.length + trailing <= PRINT_WIDTH) return oneLine;
  const inner = indent + '  ';
  const lines = items.map(
    (item, i) =>
      inner + print(item, inner, inner.length, i < items.length - 1 ? 1 : 0) + (i < items.length - 1 ? ',' : ''),
  );
  return `[\n${lines.join('\n')}\n${indent}]`;
}
