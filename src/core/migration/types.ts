/**
 * The engine's model: a step is either a resource (read / create / update, idempotent
 * by construction: every run reads first) or an action (the memory copy, the
 * validation checks). A phase is a set of steps; steps name the steps they depend
 * on, across phases, so the executor can schedule the whole migration as one graph.
 */
import type { OrchestraConfig } from '../config/types';
import type { OrchestraError } from '../errors';
import type { GcpClient } from '../gcp/types';
import type { Logger } from '../logger';
import type { JsonValue, MemoryClient } from '../memory/types';
import type { PhaseId, PhaseInfo } from './catalog';

export interface FieldDiff {
  field: string;
  live: unknown;
  desired: unknown;
}

export interface MemoryPair {
  source: MemoryClient;
  target: MemoryClient;
}

/** Serializes critical sections that share one remote object (the project IAM policy). */
export interface Mutexes {
  run<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export interface StepContext {
  readonly config: OrchestraConfig;
  /** The workspace folder: relative paths in config (the API source folder) resolve against it. */
  readonly workspaceDir: string;
  readonly gcp: GcpClient;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly mode: 'verify' | 'execute';
  readonly mutexes: Mutexes;
  /** The source and target memory servers of the copy, when the caller supplied them. */
  memory(): Promise<MemoryPair>;
  /** The cloud_run configuration stored as the Hybrid Config secret. */
  cloudRunConfig(): Promise<JsonValue>;
  /** Values recorded by earlier steps (e.g. `apiUrl`), as in the state file. */
  outputs(): Readonly<Record<string, JsonValue>>;
  setOutput(key: string, value: JsonValue): Promise<void>;
  /** Publishes a service URL where configuration readers find it (the cloud_run endpoints); execute only. */
  recordEndpoint(service: 'api' | 'memory', url: string): Promise<void>;
  /** A custom metric, summed into the step's phase and the run. */
  metric(name: string, value: number): void;
  /** An engine-level retry (e.g. an IAM policy write redone after ABORTED). */
  retried(): void;
  checkpoint(): JsonValue | undefined;
  /** Durable: resolves once the checkpoint is in the state file. */
  saveCheckpoint(value: JsonValue): Promise<void>;
  progress(done: number, total: number, message?: string): void;
  /** Durable: records that this step is about to create its object (teardown's ownership record). */
  markCreating?(): Promise<void>;
  /** Reads another step's resource (validation reuses every resource's read()). */
  readStep(id: string): Promise<{ live: unknown; ready: boolean } | undefined>;
  /**
   * A read several steps make (the built image: the image step reads it, the service's diff
   * deploys it): in one verify pass, made once under `key` and shared; in execute, made each
   * time, as the run changes what it would find.
   */
  readOnce<T>(key: string, read: () => Promise<T>): Promise<T>;
}

interface StepBase {
  /** `<phase>/<name>`, stable: it keys the state file. */
  readonly id: string;
  readonly phase: PhaseId;
  readonly title: string;
  readonly dependsOn: readonly string[];
  /**
   * Google APIs (service names) the step calls. The registry makes it wait for the steps
   * that enable them, and for nothing else: a step never waits on an API it does not use.
   */
  readonly apis?: readonly string[];
  /** Services this step enables (Service Usage): steps naming them in `apis` wait for it. */
  readonly enables?: readonly string[];
  /** IAM permissions the step needs, checked by verify's testIamPermissions preflight. */
  readonly permissions: readonly string[];
}

/** A resource's verdict before any read: not needed for this config ('ok'), or impossible ('blocked'). */
export interface Gate {
  action: 'ok' | 'blocked';
  reason: string;
  fix?: string;
}

export interface Resource<L = unknown> extends StepBase {
  readonly kind: 'resource';
  /** When it answers, the plan is its verdict, and execute skips the step ('ok') or fails it with the reason ('blocked'). */
  gate?(ctx: StepContext): Gate | undefined | Promise<Gate | undefined>;
  /** The cloud object's name, for people (plans, errors, reports). */
  describe(ctx: StepContext): string;
  /** Its GET: the live state, or undefined when absent. Never mutates. */
  read(ctx: StepContext): Promise<L | undefined>;
  /** Creates it; may return the live state (read back) so no extra GET is needed. */
  create(ctx: StepContext): Promise<L | undefined>;
  /** Differences between the live state and the desired one; empty when it matches. */
  diff?(ctx: StepContext, live: L): FieldDiff[] | Promise<FieldDiff[]>;
  update?(ctx: StepContext, live: L): Promise<L | undefined>;
  /** What its update does, in the plan's words ('enable iam.googleapis.com'); default: how many fields differ. */
  updateReason?(ctx: StepContext, live: L): string;
  /**
   * Why the live object cannot be brought to the desired state without losing data
   * (e.g. a vector column's dimension): verify plans it blocked, execute refuses.
   */
  blocked?(ctx: StepContext, live: L): string | undefined;
  /** False while the live object is still converging (e.g. Cloud Run reconciling). */
  ready?(live: L): boolean;
  /**
   * Why the live object is in a failed state its API reports (a Cloud Run Ready condition
   * CONDITION_FAILED, a degraded Workstations cluster), or undefined. Waiting cannot fix it:
   * execute updates it when it can, else stops with the reason.
   */
  failed?(live: L): string | undefined;
  /** Called after the step converged, to record outputs (e.g. the service URL). */
  record?(ctx: StepContext, live: L): Promise<void>;
  /** Teardown: deletes the object and waits until it is gone. Absent: teardown leaves it. */
  destroy?(ctx: StepContext, live: L): Promise<void>;
  /** Without destroy: why teardown leaves it, as its plan says (it goes with its container...). */
  readonly kept?: string;
  /** Teardown: true when deleting it would lose data (objects, records): needs --include-data. */
  holdsData?(ctx: StepContext, live: L): boolean | Promise<boolean>;
}

export interface ActionPlan {
  /** 'blocked': run() would refuse (execute fails the step with the reason). */
  action: 'run' | 'ok' | 'blocked';
  reason: string;
  /** The memory sync's pending changes, in counts (shown in plans and the tree). */
  delta?: { added: number; updated: number; deleted: number; method: 'changes' | 'scan' };
}

export interface Action extends StepBase {
  readonly kind: 'action';
  /** Read-only: what run() would do now, given the step's recorded state. */
  plan(ctx: StepContext, recorded: StepRecord | undefined): Promise<ActionPlan>;
  /** 'none' when the run found nothing to do (a sync with no changes). */
  run(ctx: StepContext): Promise<void | 'none'>;
  /** True when a completed run need not be repeated; validation always re-measures. */
  readonly once?: boolean;
  /**
   * From the config alone (nothing read, nothing started): why no run of this step could
   * ever be right. Execute refuses the whole run with it before any step changes anything
   * (bad input, exit 2), rather than failing this step after the others have run.
   */
  refusal?(config: OrchestraConfig, workspaceDir: string): OrchestraError | undefined;
  /**
   * The same, for what only the servers can tell (two addresses of one store): asked under
   * the run's lock before any step starts; undefined when fine or when it cannot be told now.
   */
  refusalBeforeRun?(ctx: StepContext): Promise<OrchestraError | undefined>;
}

export type Step = Resource | Action;

export interface PhaseDefinition {
  readonly info: PhaseInfo;
  /**
   * The phase's steps for this configuration. `earlier` holds the steps of the phases
   * registered before it (validation checks them all); `registry` is the one it is in.
   */
  steps(config: OrchestraConfig, earlier?: readonly Step[], registry?: PhaseSwitches): Step[];
}

/** What a phase may ask of the registry it is in: whether the configuration leaves a phase on. */
export interface PhaseSwitches {
  enabled(config: OrchestraConfig, id: PhaseId): boolean;
}

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'blocked' | 'cancelled';

/** What a step did (or, in a plan, would do). */
export type StepAction = 'create' | 'update' | 'none' | 'run';

export interface StepRecord {
  id: string;
  phase: PhaseId;
  status: StepStatus;
  action?: StepAction;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  attempts: number;
  requests?: number;
  /**
   * Retries in this run: the REST client's and the memory client's resent calls and the
   * step's own reruns. The phase's and the migration's `retries` are sums of these.
   */
  retries?: number;
  error?: string;
  /** The failing step this one waits on, when blocked. */
  blockedBy?: string;
  checkpoint?: JsonValue;
  diff?: FieldDiff[];
  /**
   * Resources: 'created' when this migration created the object, 'adopted' when it found
   * it existing. Set once, when the step first converges; teardown deletes created ones only.
   */
  origin?: 'created' | 'adopted';
  /**
   * When a run last changed the live resource in place (action 'update'). Kept by later
   * runs that find it as desired, so the report's counts stay true across reruns.
   */
  updatedAt?: string;
  /** Set just before a create call: a run killed after it still knows the object is its own. */
  creating?: boolean;
}
