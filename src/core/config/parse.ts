/**
 * Reads one config file as JSONC (comments and trailing commas allowed, as VS Code
 * users expect) with positions, and runs the checks that need the text itself:
 * syntax, duplicate keys and secrets. Schema checks run on the parsed value.
 */
// The ESM build: the package's `main` is a UMD wrapper whose dynamic requires
// esbuild cannot follow (microsoft/node-jsonc-parser#57), so the bundle broke.
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import { MAX_CONFIG_BYTES, MAX_NESTING, tooDeepAt } from './bounds';
import { isDeclaredKey } from './schema';
import { findSecretInValue, isSecretKeyName, SECRET_FIX } from './secrets';
import { formatPath, type Segment } from './paths';
import { LineIndex, type Position } from './text-position';
import type { ConfigIssue, ConfigLayer } from './types';
import type { LayerOrigin } from './validate';

export interface ParsedFile {
  file: string;
  /** The parsed value; undefined when the text has syntax errors. */
  value: unknown;
  tree: Node | undefined;
  issues: ConfigIssue[];
  origin: LayerOrigin;
}

const SYNTAX: Record<string, { message: string; fix: string }> = {
  InvalidSymbol: {
    message: 'unexpected text',
    fix: 'Put strings in double quotes; values are strings, numbers, true, false, null, objects or lists.',
  },
  InvalidNumberFormat: {
    message: 'invalid number',
    fix: 'Write a plain decimal number such as 2000 (no units, no leading zeros).',
  },
  PropertyNameExpected: {
    message: 'expected a key in double quotes',
    fix: 'Write the key in double quotes, e.g. "timeoutMs": 2000.',
  },
  ValueExpected: { message: 'expected a value', fix: 'Write a value after the colon, or remove the key.' },
  ColonExpected: { message: 'expected ":" after the key', fix: 'Separate the key and its value with a colon.' },
  CommaExpected: { message: 'expected a comma', fix: 'Add a comma between the two entries.' },
  CloseBraceExpected: {
    message: 'expected "}" to close the object',
    fix: 'Add the missing "}" (or a comma, if another entry follows).',
  },
  CloseBracketExpected: {
    message: 'expected "]" to close the list',
    fix: 'Add the missing "]" (or a comma, if another item follows).',
  },
  EndOfFileExpected: {
    message: 'unexpected text after the end of the configuration',
    fix: 'Keep one top-level object: remove what follows its closing "}".',
  },
  InvalidCommentToken: { message: 'invalid comment', fix: 'Write comments as // ... or /* ... */.' },
  UnexpectedEndOfComment: { message: 'comment not closed', fix: 'Close the comment with */.' },
  UnexpectedEndOfString: { message: 'string not closed', fix: 'Add the closing double quote.' },
  UnexpectedEndOfNumber: { message: 'number cut short', fix: 'Complete the number, e.g. 2000 or 0.5.' },
  InvalidUnicode: { message: 'invalid \\u escape', fix: 'Write \\u followed by four hex digits, e.g. \\u00e9.' },
  InvalidEscapeCharacter: {
    message: 'invalid escape sequence',
    fix: 'Escape a backslash as \\\\; valid escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX.',
  },
  InvalidCharacter: {
    message: 'invalid character in a string',
    fix: 'Escape control characters, e.g. a line break as \\n.',
  },
};

/**
 * The parser recovers after an error and often reports its own recovery (a
 * stray word, then "expected a value" at the next token). An error that starts
 * where the previous reported one ended, with only white space between, is
 * such an echo: people fix the first and the second goes away.
 */
function withoutCascades(errors: readonly ParseError[], text: string): ParseError[] {
  const kept: ParseError[] = [];
  for (const error of errors) {
    const previous = kept[kept.length - 1];
    if (previous) {
      const end = previous.offset + previous.length;
      if (error.offset <= end || text.slice(end, error.offset).trim() === '') continue;
    }
    kept.push(error);
  }
  return kept;
}

function syntaxIssue(error: ParseError, text: string, file: string, layer: ConfigLayer, lines: LineIndex): ConfigIssue {
  const code = printParseErrorCode(error.error);
  const known = SYNTAX[code] ?? { message: `syntax error (${code})`, fix: 'Correct the JSON syntax.' };
  let message = known.message;
  let fix = known.fix;
  if (code === 'InvalidSymbol' || code === 'PropertyNameExpected' || code === 'ValueExpected') {
    const found = text.slice(error.offset, error.offset + Math.max(error.length, 1)).trim();
    if (found.startsWith("'")) {
      message = 'single quotes are not JSON';
      fix = `Write keys and strings in double quotes: ${JSON.stringify(found.replace(/^'|'$/g, ''))}.`;
    }
    if (found) {
      const secret = findSecretInValue(found);
      message += `: found ${secret ? `${secret.kind} ${secret.masked}` : JSON.stringify(found.length > 30 ? `${found.slice(0, 27)}...` : found)}`;
    }
  }
  const position = lines.position(error.offset);
  return { code: 'syntax', layer, source: file, file, ...position, path: '', message, fix };
}

/** The value node at a path; for duplicate keys the last one, which is the one that counts. */
function nodeAt(tree: Node | undefined, segments: readonly Segment[]): Node | undefined {
  let node = tree;
  for (const segment of segments) {
    if (!node) return undefined;
    if (node.type === 'array' && typeof segment === 'number') {
      node = node.children?.[segment];
    } else if (node.type === 'object') {
      const property = propertyNode(node, String(segment));
      node = property?.children?.[1];
    } else {
      return undefined;
    }
  }
  return node;
}

function propertyNode(object: Node, key: string): Node | undefined {
  let found: Node | undefined;
  for (const property of object.children ?? []) if (property.children?.[0]?.value === key) found = property;
  return found;
}

/** Duplicate keys and secrets, walking the tree once. */
function treeIssues(tree: Node, file: string, layer: ConfigLayer, lines: LineIndex): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (node: Node) => lines.position(node.offset);
  const secretIssue = (node: Node, segments: Segment[], message: string): ConfigIssue => ({
    code: 'secret',
    layer,
    source: file,
    file,
    ...at(node),
    path: formatPath(segments),
    message,
    fix: SECRET_FIX,
  });

  const walk = (node: Node, segments: Segment[]) => {
    if (node.type === 'object') {
      const seen = new Map<string, Node>();
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        if (!keyNode) continue;
        const key = String(keyNode.value);
        const path = [...segments, key];
        const first = seen.get(key);
        if (first) {
          issues.push({
            code: 'duplicate-key',
            layer,
            source: file,
            file,
            ...at(keyNode),
            path: formatPath(path),
            message: `duplicate key ${JSON.stringify(key)} (also on line ${at(first).line}); only the last one would count`,
            fix: 'Keep one of the two entries.',
          });
        }
        seen.set(key, keyNode);
        if (isSecretKeyName(key) && !isDeclaredKey(segments, key)) {
          issues.push(
            secretIssue(
              keyNode,
              path,
              `key ${JSON.stringify(key)} names a secret; secrets are not allowed in configuration files`,
            ),
          );
          continue; // one finding per entry: the value is not echoed or checked again
        }
        if (valueNode) walk(valueNode, path);
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((child, i) => walk(child, [...segments, i]));
    } else if (node.type === 'string' && typeof node.value === 'string') {
      const secret = findSecretInValue(node.value);
      if (secret) {
        issues.push(
          secretIssue(
            node,
            segments,
            `the value looks like ${secret.kind} ${secret.masked}; secrets are not allowed in configuration files`,
          ),
        );
      }
    }
  };
  walk(tree, []);
  return issues;
}

export function parseConfigText(file: string, rawText: string, layer: ConfigLayer): ParsedFile {
  // A byte order mark is invisible in editors: columns count from after it.
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  const lines = new LineIndex(text);
  const bounds = boundsIssue(file, text, layer, lines);
  if (bounds) {
    return { file, value: undefined, tree: undefined, origin: { layer, file, sourceOf: () => file }, issues: [bounds] };
  }
  const empty = text.trim() === '';
  const errors: ParseError[] = [];
  const tree = empty
    ? undefined
    : parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  const locate = (segments: readonly Segment[], key?: string): Position | undefined => {
    const node = nodeAt(tree, segments);
    if (!node) return undefined;
    if (key === undefined) return lines.position(node.offset);
    const property = node.type === 'object' ? propertyNode(node, key) : undefined;
    return lines.position((property?.children?.[0] ?? node).offset);
  };
  const origin: LayerOrigin = { layer, file, sourceOf: () => file, locate };

  if (empty) {
    const issue: ConfigIssue = {
      code: 'syntax',
      layer,
      source: file,
      file,
      line: 1,
      column: 1,
      path: '',
      message: 'the file is empty',
      fix: 'Write {} or the settings you need, or delete the file.',
    };
    return { file, value: undefined, tree, origin, issues: [issue] };
  }
  if (errors.length) {
    const issues = withoutCascades(errors, text).map((e) => syntaxIssue(e, text, file, layer, lines));
    return { file, value: undefined, tree, origin, issues };
  }
  const value = tree ? toValue(tree) : undefined;
  return { file, value, tree, origin, issues: tree ? treeIssues(tree, file, layer, lines) : [] };
}

/** A text too large or nested too deep to parse safely, as an issue at the offending place. */
function boundsIssue(file: string, text: string, layer: ConfigLayer, lines: LineIndex): ConfigIssue | undefined {
  const base = { code: 'syntax' as const, layer, source: file, file, path: '' };
  if (text.length > MAX_CONFIG_BYTES) {
    return {
      ...base,
      line: 1,
      column: 1,
      message: `the file is too large (${text.length.toLocaleString('en')} characters; at most ${MAX_CONFIG_BYTES.toLocaleString('en')})`,
      fix: 'A config file holds settings only: check that this is the right file, and move data elsewhere.',
    };
  }
  const deep = tooDeepAt(text);
  if (deep === undefined) return undefined;
  return {
    ...base,
    ...lines.position(deep),
    message: `objects and lists nest more than ${MAX_NESTING} levels deep here`,
    fix: 'No setting nests that deep: remove the extra levels (a stray run of { or [ is the usual cause).',
  };
}

/** Like jsonc-parser's getNodeValue, with the last duplicate key winning and no prototype keys. */
function toValue(node: Node): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        if (!keyNode || !valueNode) continue;
        Object.defineProperty(out, String(keyNode.value), {
          value: toValue(valueNode),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map(toValue);
    default:
      return node.value;
  }
}
