/**
 * The report as a web page for the editor's webview: Markdown rendered by markdown-it
 * with raw HTML off (a server's error text cannot inject markup), in a page whose
 * Content Security Policy allows nothing but the one stylesheet and images from the
 * extension: no script runs in it at all.
 */
import MarkdownIt from 'markdown-it';

export interface ReportPageOptions {
  /** The webview's `cspSource`, e.g. `https://*.vscode-cdn.net`. */
  cspSource: string;
  /** The stylesheet's webview URI. */
  styleUri: string;
  title: string;
}

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });

export function renderReportBody(source: string): string {
  return markdown.render(source);
}

export function reportPage(source: string, options: ReportPageOptions): string {
  const csp = [
    "default-src 'none'",
    `style-src ${options.cspSource}`,
    `img-src ${options.cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="UTF-8">',
    `<meta http-equiv="Content-Security-Policy" content="${attribute(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
    `<link rel="stylesheet" href="${attribute(options.styleUri)}">`,
    `<title>${escapeHtml(options.title)}</title>`,
    '</head>',
    '<body>',
    renderReportBody(source),
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
