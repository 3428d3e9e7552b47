/**
 * The Plan & Run panel's page: a shell that loads the webview bundle (webviews/plan) and
 * its stylesheet, under a Content-Security-Policy that allows only those two files (the
 * webview's own origin), a script carrying this page's nonce, and nothing inline or
 * remote. The webview draws everything else from the host's messages, as text nodes.
 */
import { randomBytes } from 'node:crypto';

export interface PanelPage {
  /** webview.cspSource: the origin the webview serves local resources from. */
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  readonly nonce?: string;
}

/** 128 random bits, base64: a new one for every page. */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

export function panelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `img-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const attr = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function planPanelHtml(page: PanelPage): string {
  const nonce = page.nonce ?? newNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(panelCsp(page.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(page.styleUri)}">
<title>Plan &amp; Run</title>
</head>
<body>
<main id="app" aria-busy="true"><p>Loading the plan…</p></main>
<script nonce="${attr(nonce)}" src="${attr(page.scriptUri)}"></script>
</body>
</html>
`;
}
