/**
 * Limits on what a JSON document may be before anything recursive touches it: the
 * parser, the tree walks and the validator all recurse, so a file nested 5,000 deep
 * overflowed the stack with no file named. The scan here is a loop over the tokens
 * (jsonc-parser's scanner, comments and strings understood), so it cannot overflow.
 */
import { createScanner, type SyntaxKind } from 'jsonc-parser/lib/esm/main.js';

// jsonc-parser's SyntaxKind is a const enum, which isolated modules cannot read: its values.
const OPEN_BRACE = 1 as SyntaxKind;
const CLOSE_BRACE = 2 as SyntaxKind;
const OPEN_BRACKET = 3 as SyntaxKind;
const CLOSE_BRACKET = 4 as SyntaxKind;
const EOF = 17 as SyntaxKind;

/** No setting of ours nests more than a few levels; free-form maps add a few more. */
export const MAX_NESTING = 64;
/** A config file is a page of settings; megabytes mean the wrong file. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** The offset of the first `{` or `[` that opens level `limit + 1`, or undefined when the text stays within it. */
export function tooDeepAt(text: string, limit = MAX_NESTING): number | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let token = scanner.scan(); token !== EOF; token = scanner.scan()) {
    if (token === OPEN_BRACE || token === OPEN_BRACKET) {
      if (++depth > limit) return scanner.getTokenOffset();
    } else if (token === CLOSE_BRACE || token === CLOSE_BRACKET) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}
