/**
 * What the engine tells its views while it works. The executor emits; the monitor,
 * the CLI's progress lines and the extension's tree subscribe.
 */
import { EventEmitter } from 'node:events';
import type { PhaseId, PhaseStatus } from './catalog';
import type { StepAction } from './types';

export type EngineEvent =
  | { type: 'run-started'; runId: string; phases: PhaseId[]; steps: number; at: string; message?: string }
  | {
      type: 'run-finished';
      runId: string;
      status: 'completed' | 'failed' | 'cancelled';
      durationMs: number;
      /** The run in one sentence ("Nothing to change: …" for a no-op rerun). */
      summary?: string;
      at: string;
    }
  | { type: 'step-started'; step: string; phase: PhaseId; at: string }
  | { type: 'step-finished'; step: string; phase: PhaseId; action: StepAction; durationMs: number; at: string }
  | { type: 'step-failed'; step: string; phase: PhaseId; error: string; at: string }
  | { type: 'step-cancelled'; step: string; phase: PhaseId; at: string }
  | { type: 'step-blocked'; step: string; phase: PhaseId; blockedBy: string; reason: string; at: string }
  | { type: 'step-progress'; step: string; phase: PhaseId; done: number; total: number; message?: string; at: string }
  | { type: 'phase-status'; phase: PhaseId; from: PhaseStatus; to: PhaseStatus; at: string }
  | { type: 'progress'; done: number; total: number; at: string };

export type EngineEventListener = (event: EngineEvent) => void;

export interface Disposable {
  dispose(): void;
}

export class EngineEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Views come and go (tree, status bar, report, CLI); none of them is a leak.
    this.emitter.setMaxListeners(0);
  }

  emit(event: EngineEvent): void {
    this.emitter.emit('event', event);
  }

  on(listener: EngineEventListener): Disposable {
    this.emitter.on('event', listener);
    return { dispose: () => this.emitter.off('event', listener) };
  }
}

export function describeEvent(event: EngineEvent): string {
  switch (event.type) {
    case 'run-started':
      return `run ${event.runId} started: ${event.steps} steps in ${event.phases.join(', ')}${event.message ? ` (${event.message})` : ''}`;
    case 'run-finished':
      return `run ${event.runId} ${event.status} in ${(event.durationMs / 1000).toFixed(1)}s${event.summary ? `: ${event.summary}` : ''}`;
    case 'step-started':
      return `${event.step}: started`;
    case 'step-finished':
      return `${event.step}: ${event.action === 'none' ? 'already up to date' : event.action === 'run' ? 'done' : event.action + 'd'} (${event.durationMs} ms)`;
    case 'step-failed':
      return `${event.step}: FAILED: ${event.error}`;
    case 'step-cancelled':
      return `${event.step}: cancelled`;
    case 'step-blocked':
      return `${event.step}: blocked by ${event.blockedBy}: ${event.reason}`;
    case 'step-progress':
      return `${event.step}: ${event.done}/${event.total}${event.message ? ` ${event.message}` : ''}`;
    case 'phase-status':
      return `phase ${event.phase}: ${event.from} -> ${event.to}`;
    case 'progress':
      return `${event.done}/${event.total} steps`;
  }
}
