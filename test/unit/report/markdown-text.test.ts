import * as assert from 'node:assert/strict';
import MarkdownIt from 'markdown-it';
import { describe, it } from 'mocha';
import { cellCode, code, text } from '../../../src/core/report/markdown-text';

const md = new MarkdownIt({ html: false });
const decode = (html: string) =>
  html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
const VALUES = [
  'a`b',
  '``x``',
  '`lead',
  'trail`',
  ' spaced ',
  'a|b',
  '<script>alert(1)</script>',
  'javascript:alert(1)',
];

describe('report Markdown: text and code spans read as spelled', () => {
  it('a code span shows its value with backticks and spaces kept', () => {
    for (const v of VALUES) {
      const html = md.renderInline(code(v));
      assert.equal(
        decode(/^<code>([\s\S]*)<\/code>$/.exec(html)?.[1] ?? html),
        v,
        `${JSON.stringify(v)} -> ${code(v)}`,
      );
    }
  });

  it('in a table cell, a code span stays in its cell', () => {
    for (const v of VALUES) {
      const html = md.render(`| a | b |\n|---|---|\n| ${cellCode(v)} | x |\n`);
      const cells = [...html.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => m[1]);
      assert.equal(cells.length, 2, html);
      assert.equal(decode(cells[0].replace(/^<code>|<\/code>$/g, '')), v, html);
    }
  });

  it('text escapes markup and keeps one line', () => {
    const html = md.renderInline(text('<img src=x onerror=alert(1)> a|b `c`\nd'));
    assert.equal(decode(html), '<img src=x onerror=alert(1)> a|b `c` d');
  });
});
