/** The Plan & Run panel as its webview runs it, for tests in headless Chromium. */
import * as path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '../../..');

/** A page holding the bundle built from webviews/plan, with a stub of VS Code's webview API (`__posted`). */
export async function panelPage(): Promise<string> {
  const out = await build({
    entryPoints: [path.join(ROOT, 'webviews', 'plan', 'main.ts')],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    outdir: path.join(ROOT, 'out-test-panel'),
    logLevel: 'silent',
  });
  const js = out.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const stub =
    'window.__posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m) });';
  return `<!doctype html><html><body><div id="app"></div><script>${stub}</script><script>${js.replace(/<\/script/gi, '<\\/script')}</script></body></html>`;
}
