/**
 * The Plan & Run panel's message protocol, shared by the extension (host) and the webview
 * (webviews/plan). Every message has a `type`; requests carry an id their reply echoes;
 * the webview says `ready` first and the host answers `init` with everything to draw.
 * Nothing untyped crosses: each end checks what it receives with the guards below and
 * drops (and reports) anything else. Plain data only: no functions, no Dates, no HTML.
 */

export const PROTOCOL_VERSION = 1;

export type PanelAction = 'create' | 'update' | 'ok' | 'run' | 'blocked';
export const PANEL_ACTIONS: readonly PanelAction[] = ['create', 'update', 'ok', 'run', 'blocked'];

/** A field the plan changes; values are already JSON text (cut short) for people. */
export interface PanelField {
  readonly field: string;
  readonly live: string;
  readonly desired: string;
}

export interface PanelStep {
  readonly id: string;
  readonly title: string;
  readonly action: PanelAction;
  readonly target?: string;
  readonly reason?: string;
  readonly diff: readonly PanelField[];
  readonly drift?: 'deleted' | 'changed';
  readonly missingPermissions: readonly string[];
  /** https://console.cloud.google.com/… for the resource, when its name says where. */
  readonly consoleUrl?: string;
}

export type PanelCounts = Readonly<Record<PanelAction, number>>;

export interface PanelPhase {
  readonly id: string;
  readonly title: string;
  readonly excluded?: 'skipped' | 'disabled';
  readonly counts: PanelCounts;
  readonly steps: readonly PanelStep[];
}

export interface PanelPlan {
  readonly projectId: string;
  readonly createdAt: string;
  /** Why the plan no longer describes the project; Execute then refuses it. */
  readonly stale?: string;
  readonly counts: PanelCounts;
  readonly phases: readonly PanelPhase[];
  readonly missingPermissions: readonly string[];
  /** gcloud commands that grant the missing permissions (a custom role, then its binding). */
  readonly grantCommands: readonly string[];
  readonly preflightError?: string;
}

export type StepRunState = 'queued' | 'running' | 'done' | 'failed' | 'blocked' | 'cancelled';

export interface PanelStepRun {
  readonly id: string;
  readonly phase: string;
  readonly title: string;
  readonly state: StepRunState;
  /** Milliseconds since the run started. */
  readonly startMs?: number;
  readonly endMs?: number;
  /** Tries beyond the first (transient errors retried). */
  readonly retries: number;
  /** What a done step did: create, update, none, run. */
  readonly did?: string;
  readonly cause?: string;
  readonly fix?: string;
}

export interface CopyProgress {
  readonly step: string;
  readonly done: number;
  readonly total: number;
  /** Records per second since the copy's first report. */
  readonly ratePerSecond: number;
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface PanelRun {
  readonly runId: string;
  readonly status: RunStatus;
  /** Epoch milliseconds: the webview counts elapsed time from it. */
  readonly startedAtMs: number;
  readonly steps: readonly PanelStepRun[];
  readonly copy?: CopyProgress;
  readonly summary?: string;
}

/** Host to webview. */
export type HostMessage =
  | { readonly type: 'init'; readonly protocol: number; readonly plan?: PanelPlan; readonly run?: PanelRun }
  | { readonly type: 'plan'; readonly plan?: PanelPlan }
  | { readonly type: 'run'; readonly run: PanelRun }
  | { readonly type: 'step'; readonly step: PanelStepRun; readonly sentAtMs: number }
  | { readonly type: 'copy'; readonly copy: CopyProgress }
  | { readonly type: 'run-finished'; readonly status: RunStatus; readonly summary?: string }
  | { readonly type: 'reply'; readonly requestId: number; readonly ok: true }
  | { readonly type: 'reply'; readonly requestId: number; readonly ok: false; readonly error: string };

export type PanelRequest =
  | { readonly kind: 'verify' }
  | { readonly kind: 'execute' }
  | { readonly kind: 'cancel' }
  | { readonly kind: 'revealStep'; readonly step: string }
  | { readonly kind: 'showLog'; readonly step: string }
  | { readonly kind: 'openConsole'; readonly url: string };

/** Webview to host. `shown`: the webview drew a step update (the bench's clock). */
export type WebviewMessage =
  | { readonly type: 'ready'; readonly protocol: number }
  | { readonly type: 'request'; readonly requestId: number; readonly request: PanelRequest }
  | { readonly type: 'shown'; readonly step: string; readonly state: StepRunState; readonly sentAtMs: number };

const CONSOLE_ORIGIN = 'https://console.cloud.google.com/';

/** Only Google Cloud console pages are opened from the panel. */
export function isConsoleUrl(url: unknown): url is string {
  if (typeof url !== 'string' || !url.startsWith(CONSOLE_ORIGIN)) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' && parsed.host === 'console.cloud.google.com' && !parsed.username;
  } catch {
    return false;
  }
}

type Shape = Record<string, unknown>;
const isObject = (x: unknown): x is Shape => typeof x === 'object' && x !== null && !Array.isArray(x);
const isString = (x: unknown): x is string => typeof x === 'string';
const isId = (x: unknown): x is string => isString(x) && x.length > 0 && x.length <= 200;
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const STATES: readonly StepRunState[] = ['queued', 'running', 'done', 'failed', 'blocked', 'cancelled'];
const STATUSES: readonly RunStatus[] = ['running', 'completed', 'failed', 'cancelled'];

function isRequest(x: unknown): x is PanelRequest {
  if (!isObject(x)) return false;
  switch (x.kind) {
    case 'verify':
    case 'execute':
    case 'cancel':
      return Object.keys(x).length === 1;
    case 'revealStep':
    case 'showLog':
      return isId(x.step);
    case 'openConsole':
      return isConsoleUrl(x.url);
    default:
      return false;
  }
}

/** The host's check of what the webview sent (the webview runs page code: trust nothing). */
export function isWebviewMessage(x: unknown): x is WebviewMessage {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'ready':
      return x.protocol === PROTOCOL_VERSION;
    case 'request':
      return Number.isSafeInteger(x.requestId) && isRequest(x.request);
    case 'shown':
      return isId(x.step) && STATES.includes(x.state as StepRunState) && isCount(x.sentAtMs);
    default:
      return false;
  }
}

function isCounts(x: unknown): x is PanelCounts {
  return isObject(x) && PANEL_ACTIONS.every((a) => isCount(x[a]));
}

function isStep(x: unknown): x is PanelStep {
  return (
    isObject(x) &&
    isId(x.id) &&
    isString(x.title) &&
    PANEL_ACTIONS.includes(x.action as PanelAction) &&
    Array.isArray(x.diff) &&
    x.diff.every((d) => isObject(d) && isString(d.field) && isString(d.live) && isString(d.desired)) &&
    Array.isArray(x.missingPermissions) &&
    (x.consoleUrl === undefined || isConsoleUrl(x.consoleUrl))
  );
}

function isPlan(x: unknown): x is PanelPlan {
  return (
    isObject(x) &&
    isString(x.projectId) &&
    isString(x.createdAt) &&
    isCounts(x.counts) &&
    Array.isArray(x.missingPermissions) &&
    Array.isArray(x.grantCommands) &&
    Array.isArray(x.phases) &&
    x.phases.every(
      (p) =>
        isObject(p) &&
        isId(p.id) &&
        isString(p.title) &&
        isCounts(p.counts) &&
        Array.isArray(p.steps) &&
        p.steps.every(isStep),
    )
  );
}

function isStepRun(x: unknown): x is PanelStepRun {
  return (
    isObject(x) &&
    isId(x.id) &&
    isString(x.phase) &&
    isString(x.title) &&
    STATES.includes(x.state as StepRunState) &&
    isCount(x.retries)
  );
}

function isCopy(x: unknown): x is CopyProgress {
  return isObject(x) && isId(x.step) && isCount(x.done) && isCount(x.total) && isCount(x.ratePerSecond);
}

function isRun(x: unknown): x is PanelRun {
  return (
    isObject(x) &&
    isId(x.runId) &&
    STATUSES.includes(x.status as RunStatus) &&
    isCount(x.startedAtMs) &&
    Array.isArray(x.steps) &&
    x.steps.every(isStepRun) &&
    (x.copy === undefined || isCopy(x.copy))
  );
}

/** The webview's check of what the host sent. */
export function isHostMessage(x: unknown): x is HostMessage {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'init':
      return (
        x.protocol === PROTOCOL_VERSION &&
        (x.plan === undefined || isPlan(x.plan)) &&
        (x.run === undefined || isRun(x.run))
      );
    case 'plan':
      return x.plan === undefined || isPlan(x.plan);
    case 'run':
      return isRun(x.run);
    case 'step':
      return isStepRun(x.step) && isCount(x.sentAtMs);
    case 'copy':
      return isCopy(x.copy);
    case 'run-finished':
      return STATUSES.includes(x.status as RunStatus) && (x.summary === undefined || isString(x.summary));
    case 'reply':
      return Number.isSafeInteger(x.requestId) && (x.ok === true || (x.ok === false && isString(x.error)));
    default:
      return false;
  }
}

/** Counts of each action, every action present (0 when none). */
export function countActions(steps: readonly { readonly action: PanelAction }[]): PanelCounts {
  const counts: Record<PanelAction, number> = { create: 0, update: 0, ok: 0, run: 0, blocked: 0 };
  for (const step of steps) counts[step.action]++;
  return counts;
}

const WORDS: Readonly<Record<PanelAction, string>> = {
  create: 'to create',
  update: 'to update',
  ok: 'up to date',
  run: 'to run',
  blocked: 'blocked',
};

/** "3 to create, 1 to update, 12 up to date" (non-zero counts, in a fixed order). */
export function describeCounts(counts: PanelCounts): string {
  const order: PanelAction[] = ['create', 'update', 'run', 'blocked', 'ok'];
  return (
    order
      .filter((a) => counts[a] > 0)
      .map((a) => `${counts[a]} ${WORDS[a]}`)
      .join(', ') || 'nothing to do'
  );
}
