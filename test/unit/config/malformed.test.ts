/**
 * The malformed corpus: test/fixtures/config/malformed/<case>/ holds config files
 * and case.json, which lists every issue loading must report: file (relative to
 * the case), line, column, JSON path, code and message, in order. Loading must
 * throw a ConfigValidationError (never crash, never half-load), and each issue
 * must carry a fix.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../../src/core/config/load';
import { ConfigValidationError } from '../../../src/core/config/validate';
import { InputError } from '../../../src/core/errors';

interface ExpectedIssue {
  file: string | null;
  line: number | null;
  column: number | null;
  path: string;
  code: string;
  source?: string;
  message: string;
}

interface Case {
  description: string;
  env: Record<string, string>;
  issues: ExpectedIssue[];
}

const ROOT = path.resolve(__dirname, '../../fixtures/config/malformed');
const CASES = readdirSync(ROOT).sort();

/** Values planted in the secret cases: none may appear in any message. */
const SECRETS = [
  'not-even-a-real-key',
  'AIzaSyD3adB33fC0ffee0123456789abcdefghij',
  'hunter2',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
  'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
  'ya29.a0AfH6SMBx3kL9mQ2vR8tY1wZ5pN7cD4eF6gH0jK',
  'q8Zr2LmP0xVb7NcT4eYw1KsJ9hUa3GdF6iRo5XzQ',
];

/** One hash over every file of a case: loading must change none. */
function digest(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const file = path.join(d, name);
      if (statSync(file).isDirectory()) walk(file);
      else hash.update(file).update(readFileSync(file));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

describe('malformed configuration corpus', () => {
  it('has at least 25 cases', () => assert.ok(CASES.length >= 25, `${CASES.length} cases`));

  for (const name of CASES) {
    const dir = path.join(ROOT, name);
    const c = JSON.parse(readFileSync(path.join(dir, 'case.json'), 'utf8')) as Case;

    it(`${name}: ${c.description}`, async () => {
      const before = digest(dir);
      let error: unknown;
      try {
        await loadConfig({ dir, env: c.env, kind: c.env.ORCHESTRA_ENV ? undefined : 'local' });
      } catch (e) {
        error = e;
      }
      assert.equal(digest(dir), before, 'loading changed a file');
      assert.ok(error instanceof ConfigValidationError, `expected a ConfigValidationError, got ${String(error)}`);
      assert.ok(error instanceof InputError, 'a ConfigValidationError is an InputError (CLI exit code 2)');
      const actual = error.issues.map((i) => ({
        file: i.file ? path.relative(dir, i.file).split(path.sep).join('/') : null,
        line: i.line ?? null,
        column: i.column ?? null,
        path: i.path,
        code: i.code,
        ...(i.file ? {} : { source: i.source }),
        message: i.message,
      }));
      assert.deepEqual(actual, c.issues);
      for (const issue of error.issues) {
        assert.ok(issue.fix.length > 10, `issue at ${issue.path} has a fix`);
        const text = JSON.stringify(issue);
        for (const secret of SECRETS) assert.ok(!text.includes(secret), `${name} echoes a secret`);
      }
      const described = error.describe();
      for (const secret of SECRETS) assert.ok(!described.includes(secret), `${name} echoes a secret in describe()`);
      for (const issue of c.issues)
        if (issue.file && issue.line) assert.ok(described.includes(`${issue.file}:${issue.line}:${issue.column}`));
    });
  }
});
