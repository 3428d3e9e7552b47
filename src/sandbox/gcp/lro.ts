/**
 * Long-running operations: one store for every API (their names never collide),
 * done after the configured delay. The response is computed when read, so a
 * Cloud Run service in an operation's response shows its state at that moment.
 */
import { randomUUID } from 'node:crypto';
import { takeOperationFailure } from './faults';
import type { EmuContext } from './router';
import type { OperationEntry } from './store';

export interface StartOperation {
  name: string;
  api: string;
  metadata?: Record<string, unknown>;
  responseRef?: string;
  responseType?: string;
  response?: Record<string, unknown>;
  error?: OperationEntry['error'];
  /** How long this operation takes, where it is not the emulator's lroDelayMs. */
  delayMs?: number;
}

/** 'projects/p/locations/l/operations/operation-...' as AR, Workstations and Run form them. */
export function locationOperationName(project: string, location: string): string {
  return `projects/${project}/locations/${location}/operations/operation-${Date.now()}-${randomUUID().slice(0, 13)}`;
}

/** Kinds that stay, in Google's documented failed state, after their operation fails; others vanish. */
const KEPT_WHEN_FAILED = new Set([
  'run.service',
  'run.revision',
  'workstations.cluster',
  'workstations.config',
  'workstations.workstation',
]);

export function startOperation(ctx: EmuContext, op: StartOperation): Record<string, unknown> {
  const failure = takeOperationFailure(ctx.faults, ctx.requestPath);
  const error = failure ? { code: failure.code, message: failure.message } : op.error;
  if (failure && op.responseRef) markFailed(ctx, op.responseRef, error!);
  const entry = ctx.store.addOperation({ ...op, error, readyAt: ctx.now() + (op.delayMs ?? ctx.faults.lroDelayMs) });
  return operationView(entry, ctx);
}

function markFailed(ctx: EmuContext, name: string, error: { code: number; message: string }): void {
  const entry = ctx.store.get(name);
  if (!entry) return;
  if (KEPT_WHEN_FAILED.has(entry.kind)) ctx.store.put(name, { ...entry, failure: error });
  else ctx.store.delete(name);
}

export function operationView(op: OperationEntry, ctx: EmuContext): Record<string, unknown> {
  const view: Record<string, unknown> = { name: op.name };
  if (op.metadata) view.metadata = op.metadata;
  if (ctx.now() < op.readyAt) return view;
  view.done = true;
  if (op.error) {
    view.error = op.error;
    return view;
  }
  let response = op.response;
  if (op.responseRef) {
    const entry = ctx.store.get(op.responseRef);
    const render = entry && ctx.views[entry.kind];
    response = render ? render(op.responseRef, entry, ctx) : entry?.body;
  }
  if (response) view.response = op.responseType ? { '@type': op.responseType, ...response } : response;
  return view;
}

/** Metadata of the common google.cloud.*.OperationMetadata shape. */
export function commonMetadata(type: string, target: string, verb: string, apiVersion = 'v1'): Record<string, unknown> {
  return {
    '@type': type,
    createTime: new Date().toISOString(),
    target,
    verb,
    requestedCancellation: false,
    apiVersion,
  };
}
