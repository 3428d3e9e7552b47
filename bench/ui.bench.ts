/**
 * The Plan & Run panel's update cost during a run of 500 steps: the time from an engine
 * event (its timestamp) to the panel showing it. The webview bundle (webviews/plan, built
 * as esbuild.js builds it) runs in headless Chromium behind a stand-in for VS Code's
 * acquireVsCodeApi; the host side is the extension's RunModel. Each event's message goes
 * to the page, the page draws the row and its Gantt bar and, on the next animation frame,
 * reports back: the figure is that round trip, so it over-counts the one-way time.
 * VS Code's own postMessage hop between the extension host and the webview is not in it.
 * Writes bench/results/ui.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { EngineEvent } from '../src/core/migration/events';
import type { StepInfo } from '../src/core/workspace';
import { RunModel } from '../src/extension/plan-panel-model';
import { PROTOCOL_VERSION, type HostMessage, type WebviewMessage } from '../src/shared/plan-protocol';

const ROOT = path.resolve(__dirname, '..');
const STEPS = 500;
const RUNNING_AT_ONCE = 8;
const GOAL_MS = 50;

async function bundle(): Promise<{ js: string; css: string }> {
  const out = await build({
    entryPoints: [path.join(ROOT, 'webviews', 'plan', 'main.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    write: false,
    outdir: path.join(ROOT, '.bench-build', 'webview'),
    logLevel: 'error',
  });
  const text = (ext: string) => out.outputFiles.find((f) => f.path.endsWith(ext))!.text;
  return { js: text('.js'), css: text('.css') };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const { js, css } = await bundle();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const waiting = new Map<string, (at: number) => void>();
    await page.exposeFunction('__post', (message: WebviewMessage) => {
      if (message.type === 'ready') ready();
      if (message.type === 'shown') waiting.get(`${message.step}:${message.state}`)?.(Date.now());
    });
    await page.setContent('<!DOCTYPE html><html><body><main id="app"></main></body></html>');
    await page.addStyleTag({ content: css });
    await page.addScriptTag({ content: 'window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__post(m) });' });
    await page.addScriptTag({ content: js });
    await isReady;

    const send = (message: HostMessage) => page.evaluate((m) => window.postMessage(m, '*'), message);
    await send({ type: 'init', protocol: PROTOCOL_VERSION });
    const steps: StepInfo[] = Array.from({ length: STEPS }, (_, i) => ({
      id: `bench/step-${String(i).padStart(3, '0')}`,
      phase: `bench-${Math.floor(i / 50)}`,
      title: `Step ${i}`,
      kind: 'resource',
    }));
    const started = Date.now();
    const model = new RunModel('bench', started, steps);
    await send({ type: 'run', run: model.snapshot() });

    const samples: number[] = [];
    /** One engine event, from its timestamp to the panel showing it. */
    const event = async (e: EngineEvent, state: string, step: string) => {
      const at = Date.parse(e.at);
      const shown = new Promise<number>((r) => waiting.set(`${step}:${state}`, r));
      const message = model.apply(e);
      if (!message) throw new Error(`no message for ${e.type}`);
      await send(message);
      samples.push((await shown) - at);
      waiting.delete(`${step}:${state}`);
    };
    const now = () => new Date().toISOString();
    const running: string[] = [];
    for (const s of steps) {
      if (running.length >= RUNNING_AT_ONCE) {
        const done = running.shift()!;
        await event(
          { type: 'step-finished', step: done, phase: 'bench', action: 'create', durationMs: 1, at: now() },
          'done',
          done,
        );
      }
      await event({ type: 'step-started', step: s.id, phase: s.phase, at: now() }, 'running', s.id);
      running.push(s.id);
    }
    for (const done of running) {
      await event(
        { type: 'step-finished', step: done, phase: 'bench', action: 'create', durationMs: 1, at: now() },
        'done',
        done,
      );
    }
    const rows = await page.evaluate(() => document.querySelectorAll('#run-steps tr[data-state="done"]').length);
    if (rows !== STEPS) throw new Error(`the panel shows ${rows} done steps, not ${STEPS}`);

    const sorted = [...samples].sort((a, b) => a - b);
    const result = {
      ui_steps: STEPS,
      ui_updates: samples.length,
      ui_event_to_shown_median_ms: percentile(sorted, 50),
      ui_event_to_shown_p95_ms: percentile(sorted, 95),
      ui_event_to_shown_max_ms: sorted[sorted.length - 1],
      ui_event_to_shown_goal_ms: GOAL_MS,
      ui_goal_met: percentile(sorted, 50) < GOAL_MS,
      ui_run_wall_ms: Date.now() - started,
      ui_measured:
        'engine event timestamp -> RunModel message -> page -> row and Gantt bar drawn -> next animation frame -> report back (round trip); headless Chromium, no VS Code postMessage hop',
      ui_measured_at: new Date().toISOString(),
    };
    mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench', 'results', 'ui.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
    if (!result.ui_goal_met) process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
