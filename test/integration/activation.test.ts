/**
 * Activation as VS Code itself reports it, and the time until the tree shows the phases.
 * The test reads the extension host's own marks (code/extHost/{will,did}LoadExtensionCode and
 * {will,did}ActivateExtension/<id>), which VS Code sets on every machine as soon as activation
 * is over. bench/activation.bench.ts runs it with OM_BENCH_OUT set: then it also reads the
 * "Extension Activation Stats" of Developer: Startup Performance (the `perf:` document the
 * workbench serves; "Load Code", "Call Activate", "Finish Activate" per extension), which the
 * workbench fills in only once start-up is over (minutes on a loaded machine, so not in the
 * suite). The tree's moment: the extension's `orchestra/phases-shown` mark, set when the first
 * load has rendered the seven phases.
 */
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { builtInPhases } from '../../src/core/migration/phases';
import { EXTENSION_ID, PHASES_SHOWN_MARK } from '../../src/extension/constants';
import { activated, waitFor } from './helpers';

const PHASES = builtInPhases().infos();

interface ActivationStats {
  loadCodeMs: number;
  callActivateMs: number;
  finishActivateMs: number;
  event: string;
}

/**
 * Our row of the Startup Performance document's "Extension Activation Stats" table. The
 * workbench serves that document to an editor only: the command opens it, and the
 * extension host then holds a copy, as of every open editor.
 */
function activationStats(): ActivationStats | undefined {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'perf');
  const row = doc
    ?.getText()
    .split('\n')
    .find((line) => line.startsWith(`|${EXTENSION_ID}|`) || line.startsWith(`| ${EXTENSION_ID} |`));
  if (!row) return undefined;
  const cells = row
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
  // Extension | Eager | Load Code | Call Activate | Finish Activate | Event | By
  return {
    loadCodeMs: Number(cells[2]),
    callActivateMs: Number(cells[3]),
    finishActivateMs: Number(cells[4]),
    event: cells[5],
  };
}

interface Mark {
  name: string;
  startTime: number;
}

/** The extension host's marks (epoch milliseconds), as VS Code records them. */
function hostMarks(): Mark[] {
  const marks = (globalThis as { MonacoPerformanceMarks?: { getMarks(): Mark[] } }).MonacoPerformanceMarks;
  return marks?.getMarks() ?? [];
}

/** VS Code's own mark `code/extHost/<name>/<our id>` in this extension host, if it set it. */
function hostMark(name: string): Mark | undefined {
  return hostMarks().find((m) => m.name === `code/extHost/${name}/${EXTENSION_ID}`);
}

/**
 * The activation as the extension host itself timed it: it marks the load of our code and the
 * activate call (the same spans Startup Performance tabulates as "Load Code" and "Finish
 * Activate"). Present as soon as activation is over, on any machine.
 */
function markedActivation(): { loadCodeMs: number; activateMs: number; willActivate: Mark } {
  const [willLoad, didLoad, willActivate, didActivate] = [
    'willLoadExtensionCode',
    'didLoadExtensionCode',
    'willActivateExtension',
    'didActivateExtension',
  ].map(hostMark);
  assert.ok(
    willLoad && didLoad && willActivate && didActivate,
    'the extension host marked the load and the activation',
  );
  return {
    loadCodeMs: didLoad.startTime - willLoad.startTime,
    activateMs: didActivate.startTime - willActivate.startTime,
    willActivate,
  };
}

describe('activation as VS Code reports it', () => {
  it('VS Code reports the activation, and the tree shows the seven phases after it', async function () {
    // The benchmark also waits on Startup Performance, which the workbench fills in once start-up
    // is over: seconds on a quiet machine, minutes (or never) on a loaded one.
    this.timeout(150_000);
    const api = await activated();
    const marked = markedActivation();
    assert.ok(marked.loadCodeMs >= 0 && marked.activateMs >= 0, JSON.stringify(marked));
    const shown = await waitFor('the tree shows the phases', () =>
      performance.getEntriesByName(PHASES_SHOWN_MARK, 'mark').at(0),
    );
    const nodes = await api.phaseTree.getChildren();
    assert.deepEqual(
      nodes.map((n) => (n.kind === 'phase' ? n.phase.id : n.kind)),
      PHASES.map((p) => p.id),
    );
    // The activation started when VS Code began loading the code: its mark comes before the tree's.
    const activationStart = marked.willActivate.startTime - marked.loadCodeMs;
    const shownAt = performance.timeOrigin + shown.startTime;
    const treeReadyMs = Math.round((shownAt - activationStart) * 10) / 10;
    assert.ok(treeReadyMs >= marked.loadCodeMs, `tree ready ${treeReadyMs} ms, code loaded in ${marked.loadCodeMs} ms`);
    if (!process.env.OM_BENCH_OUT) return;
    // The benchmark's figures are the ones a user reads in Developer: Startup Performance. On a
    // busy machine the workbench sometimes never fills that document in; the extension host's
    // own marks time the same spans (they agreed within 1 ms on every run that had both), so
    // the run is recorded from them, saying so, instead of failing the benchmark.
    let asked = 0;
    const stats = await waitFor(
      'VS Code lists the activation in Startup Performance',
      async () => {
        const found = activationStats();
        // The editor can open before its text reaches the extension host, or (busy machine) not at
        // all on the first request: ask again while waiting.
        if (!found && asked++ % 50 === 0) await vscode.commands.executeCommand('perfview.show');
        return found;
      },
      90_000,
    ).catch(() => undefined);
    if (stats) {
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      for (const [what, ms] of Object.entries(stats)) {
        if (what !== 'event') assert.ok(Number.isFinite(ms) && (ms as number) >= 0, `${what}: ${String(ms)}`);
      }
    }
    const loadCodeMs = stats?.loadCodeMs ?? marked.loadCodeMs;
    const result = {
      host_activate_ms: stats ? stats.loadCodeMs + stats.callActivateMs : marked.loadCodeMs + marked.activateMs,
      host_load_code_ms: loadCodeMs,
      host_call_activate_ms: stats?.callActivateMs ?? marked.activateMs,
      host_finish_activate_ms: stats?.finishActivateMs ?? null,
      host_activation_event: stats?.event ?? null,
      host_source: stats ? 'startup-performance' : 'extension-host-marks',
      host_tree_ready_ms: Math.round((shownAt - (marked.willActivate.startTime - loadCodeMs)) * 10) / 10,
      host_marks: { load_code_ms: marked.loadCodeMs, activate_ms: marked.activateMs },
    };
    assert.ok(result.host_tree_ready_ms >= result.host_activate_ms - 1, JSON.stringify(result));
    console.log(`activation: ${JSON.stringify(result)}`);
    writeFileSync(process.env.OM_BENCH_OUT, JSON.stringify(result) + '\n');
  });
});
