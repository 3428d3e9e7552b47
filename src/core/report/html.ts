/**
 * The report as a web page for the editor's webview: Markdown rendered by markdown-it
 * with raw HTML off (a server's error text cannot inject markup), in a page whose
 * Content Security Policy allows nothing but the one stylesheet and images from the
 * extension: no script runs in it at all.
 */
import { createHash } from 'node:crypto';
import MarkdownIt from 'markdown-it';

export interface ReportPageOptions {
  /** The webview's `cspSource`, e.g. `https://*.vscode-cdn.net`. */
  cspSource: string;
  /** The stylesheet's webview URI. */
  styleUri: string;
  title: string;
  /** The last run's Gantt chart (timelineSvg), drawn under the Timeline heading. */
  timeline?: string;
}

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });

export function renderReportBody(source: string, timeline?: string): string {
  const body = markdown.render(source);
  if (!timeline) return body;
  // Our own markup (labels escaped by timelineSvg), placed by us: markdown-it keeps raw HTML off.
  const figure = `<figure class="timeline">\n${timeline}\n</figure>\n`;
  const heading = '<h2>Timeline</h2>\n';
  const at = body.indexOf(heading);
  return at === -1
    ? `${body}${heading}${figure}`
    : `${body.slice(0, at + heading.length)}${figure}${body.slice(at + heading.length)}`;
}

export function reportPage(source: string, options: ReportPageOptions): string {
  const csp = [
    "default-src 'none'",
    `style-src ${options.cspSource}`,
    `img-src ${options.cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const style = `<link rel="stylesheet" href="${attribute(options.styleUri)}">`;
  return page(csp, style, options.title, renderReportBody(source, options.timeline));
}

/** The page around a report body: one policy, one stylesheet (linked or inline), nothing else. */
function page(csp: string, style: string, title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="UTF-8">',
    `<meta http-equiv="Content-Security-Policy" content="${attribute(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
    style,
    `<title>${escapeHtml(title)}</title>`,
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
  ].join('\n');
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** For a double-quoted attribute: the CSP's single quotes stay as they are. */
function attribute(value: string): string {
  return value.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The editor's theme variables the report's stylesheet uses, given plain values: a page
 * opened in a browser has no VS Code around it. Light, with a dark variant.
 */
const STANDALONE_THEME = `:root {
  --vscode-font-family: system-ui, -apple-system, 'Segoe UI', sans-serif;
  --vscode-editor-font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
  --vscode-font-size: 14px;
  --vscode-foreground: #1f2328;
  --vscode-editor-background: #ffffff;
  --vscode-textLink-foreground: #0969da;
  --vscode-widget-border: #d0d7de;
  --vscode-textCodeBlock-background: #f6f8fa;
  --vscode-editorWidget-background: #f6f8fa;
  --vscode-list-hoverBackground: #f3f4f6;
}
@media (prefers-color-scheme: dark) {
  :root {
    --vscode-foreground: #e6edf3;
    --vscode-editor-background: #0d1117;
    --vscode-textLink-foreground: #4493f8;
    --vscode-widget-border: #30363d;
    --vscode-textCodeBlock-background: #161b22;
    --vscode-editorWidget-background: #161b22;
    --vscode-list-hoverBackground: #161b22;
  }
}
`;

/**
 * The report as one HTML file to open in a browser or attach to a ticket: the stylesheet
 * inline, allowed by its hash in the page's Content Security Policy, and nothing else
 * (no script, no remote resource, no inline style but that one).
 */
export function standaloneReportPage(source: string, stylesheet: string, title: string, timeline?: string): string {
  const css = `${STANDALONE_THEME}\n${stylesheet}`;
  const hash = createHash('sha256').update(css, 'utf8').digest('base64');
  const csp = ["default-src 'none'", `style-src 'sha256-${hash}'`, "base-uri 'none'", "form-action 'none'"].join('; ');
  return page(csp, `<style>${css}</style>`, title, renderReportBody(source, timeline));
}
