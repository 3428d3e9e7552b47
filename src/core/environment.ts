/**
 * Where the editor (or CLI) runs, with the evidence for the verdict.
 *
 * Forcing, first that applies wins (lower ones are still recorded):
 *   1. ORCHESTRA_ENV: exactly local | codespaces | workstation | cloud_run
 *      (case-insensitive, '-' accepted for '_'); anything else is reported and ignored.
 *   2. DEPLOYMENT_ENV: the seed's variable, its values mapped by DEPLOYMENT_ENV_MAP
 *      (production/prod and staging/stage -> cloud_run: both are deployed profiles;
 *      development/dev, test/testing, local -> local); unknown values are ignored.
 *   3. The editor setting `orchestra.environment` (when not 'auto').
 * Otherwise the signals below are weighed: a strong signal decides alone, weak
 * ones only together (two of them). Ties: workstation > codespaces > cloud_run, the
 * more specific host first. Signals that disagree with the verdict (or with a
 * forcing) add a 'contradiction' entry: nothing is hidden.
 *
 * Synchronous and free of I/O: safe at activation. The metadata server probe
 * (`probeMetadataServer`) is separate, optional, bounded, and its result can be
 * passed back in as `probes.metadata`; never call it during activation.
 */

// The kinds live here, the lowest layer, so the config layer builds on them without a cycle.
export type EnvironmentKind = 'local' | 'codespaces' | 'workstation' | 'cloud_run';

export const ENVIRONMENT_KINDS: readonly EnvironmentKind[] = ['local', 'codespaces', 'workstation', 'cloud_run'];

export type EvidenceStrength = 'force' | 'strong' | 'weak' | 'info';

export interface Evidence {
  /** The signal, e.g. 'CODESPACES' or 'vscode.env.remoteName'. */
  signal: string;
  value: string;
  /** The kind this signal points to, if any. */
  suggests?: EnvironmentKind;
  note: string;
  /** How much the signal weighs: 'force' decides, 'strong' decides alone, 'weak' needs company, 'info' none. */
  strength?: EvidenceStrength;
  /** A forcing value that is not an environment (ORCHESTRA_ENV=staging): reported, then ignored. */
  invalid?: boolean;
}

export interface EditorHints {
  remoteName?: string;
  uiKind?: 'desktop' | 'web';
}

export interface EnvironmentProbes {
  editor?: EditorHints;
  /** The editor setting `orchestra.environment`, when not 'auto'. */
  setting?: EnvironmentKind;
  /** A result of `probeMetadataServer`, when the caller ran it (never at activation). */
  metadata?: Evidence;
}

export interface EnvironmentDetection {
  kind: EnvironmentKind;
  evidence: Evidence[];
  /** Set when a variable or setting forced the kind, naming it. */
  forcedBy?: string;
}

/** DEPLOYMENT_ENV values (lower-cased) and the kind each means. */
export const DEPLOYMENT_ENV_MAP: Readonly<Record<string, EnvironmentKind>> = Object.freeze({
  production: 'cloud_run',
  prod: 'cloud_run',
  staging: 'cloud_run',
  stage: 'cloud_run',
  development: 'local',
  dev: 'local',
  test: 'local',
  testing: 'local',
  local: 'local',
  codespaces: 'codespaces',
  workstation: 'workstation',
  cloud_run: 'cloud_run',
});

export const ENVIRONMENT_SETTING_SIGNAL = 'setting orchestra.environment';

const WEIGHT: Record<EvidenceStrength, number> = { force: 0, strong: 3, weak: 1, info: 0 };
const DECISIVE = 2;
const TIE_ORDER: EnvironmentKind[] = ['workstation', 'codespaces', 'cloud_run', 'local'];

/** 'Cloud-Run ' -> 'cloud_run'; undefined when it is not a kind. */
export function normalizeKind(value: string): EnvironmentKind | undefined {
  const v = value.trim().toLowerCase().replace(/-/g, '_');
  return (ENVIRONMENT_KINDS as readonly string[]).includes(v) ? (v as EnvironmentKind) : undefined;
}

function variableSignals(env: NodeJS.ProcessEnv): Evidence[] {
  const out: Evidence[] = [];
  const add = (signal: string, suggests: EnvironmentKind | undefined, strength: EvidenceStrength, note: string) => {
    const value = env[signal];
    if (value !== undefined && value !== '') out.push({ signal, value, suggests, strength, note });
  };
  if (env.CODESPACES !== undefined && env.CODESPACES !== '') {
    const on = env.CODESPACES.toLowerCase() === 'true';
    out.push({
      signal: 'CODESPACES',
      value: env.CODESPACES,
      suggests: on ? 'codespaces' : undefined,
      strength: on ? 'strong' : 'info',
      note: on ? 'GitHub Codespaces sets CODESPACES=true' : 'CODESPACES is set but not to true: ignored',
    });
  }
  add('CODESPACE_NAME', 'codespaces', 'weak', 'the name of a GitHub codespace');
  add('GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN', 'codespaces', 'weak', 'the Codespaces port-forwarding domain');
  add('GOOGLE_CLOUD_WORKSTATIONS', 'workstation', 'strong', 'set inside Cloud Workstations');
  if (env.WEB_HOST) {
    const workstation = /\.cloudworkstations\.dev$/i.test(env.WEB_HOST);
    out.push({
      signal: 'WEB_HOST',
      value: env.WEB_HOST,
      suggests: workstation ? 'workstation' : undefined,
      strength: workstation ? 'weak' : 'info',
      note: workstation
        ? 'the host name of a Cloud Workstation'
        : 'WEB_HOST is set but is not a cloudworkstations.dev host',
    });
  }
  add('K_SERVICE', 'cloud_run', 'strong', 'set by Cloud Run services');
  add('K_REVISION', 'cloud_run', 'weak', 'set by Cloud Run services');
  add('K_CONFIGURATION', 'cloud_run', 'weak', 'set by Cloud Run services');
  add('CLOUD_RUN_JOB', 'cloud_run', 'strong', 'set by Cloud Run jobs');
  add('CLOUD_RUN_EXECUTION', 'cloud_run', 'weak', 'set by Cloud Run jobs');
  add('CLOUD_RUN_TASK_INDEX', 'cloud_run', 'weak', 'set by Cloud Run jobs');
  return out;
}

function editorSignals(editor: EditorHints | undefined): Evidence[] {
  if (!editor) return [];
  const out: Evidence[] = [];
  const remote = editor.remoteName;
  if (remote === 'codespaces') {
    out.push({
      signal: 'vscode.env.remoteName',
      value: remote,
      suggests: 'codespaces',
      strength: 'strong',
      note: 'the editor is connected to a codespace',
    });
  } else if (remote) {
    out.push({
      signal: 'vscode.env.remoteName',
      value: remote,
      strength: 'info',
      note: `the editor is connected to a remote (${remote}): the variables of that machine decide`,
    });
  } else if (editor.uiKind !== 'web') {
    out.push({
      signal: 'vscode.env.remoteName',
      value: '',
      suggests: 'local',
      strength: 'weak',
      note: 'no remote connection: the workspace is on this machine',
    });
  }
  if (editor.uiKind === 'web') {
    out.push({
      signal: 'vscode.env.uiKind',
      value: 'web',
      strength: 'info',
      note: 'the editor runs in a browser (Codespaces, Cloud Workstations, code-server or vscode.dev)',
    });
  }
  return out;
}

function forcing(env: NodeJS.ProcessEnv, setting: string | undefined): Evidence[] {
  const out: Evidence[] = [];
  if (env.ORCHESTRA_ENV !== undefined && env.ORCHESTRA_ENV !== '') {
    const kind = normalizeKind(env.ORCHESTRA_ENV);
    out.push(
      kind
        ? {
            signal: 'ORCHESTRA_ENV',
            value: env.ORCHESTRA_ENV,
            suggests: kind,
            strength: 'force',
            note: `forces ${kind}`,
          }
        : {
            signal: 'ORCHESTRA_ENV',
            value: env.ORCHESTRA_ENV,
            strength: 'force',
            invalid: true,
            note: `not an environment (${ENVIRONMENT_KINDS.join(', ')}): ignored`,
          },
    );
  }
  if (env.DEPLOYMENT_ENV !== undefined && env.DEPLOYMENT_ENV !== '') {
    const kind = DEPLOYMENT_ENV_MAP[env.DEPLOYMENT_ENV.trim().toLowerCase()];
    out.push(
      kind
        ? {
            signal: 'DEPLOYMENT_ENV',
            value: env.DEPLOYMENT_ENV,
            suggests: kind,
            strength: 'force',
            note: `maps to ${kind}`,
          }
        : {
            signal: 'DEPLOYMENT_ENV',
            value: env.DEPLOYMENT_ENV,
            strength: 'info',
            note: `no mapping for this value (known: ${Object.keys(DEPLOYMENT_ENV_MAP).join(', ')}): ignored`,
          },
    );
  }
  if (setting !== undefined) {
    const kind = normalizeKind(setting);
    out.push(
      kind
        ? {
            signal: ENVIRONMENT_SETTING_SIGNAL,
            value: setting,
            suggests: kind,
            strength: 'force',
            note: `the editor setting forces ${kind}`,
          }
        : {
            signal: ENVIRONMENT_SETTING_SIGNAL,
            value: setting,
            strength: 'force',
            invalid: true,
            note: 'not an environment: ignored',
          },
    );
  }
  return out;
}

/** The kind the signals point to (without forcing), and whether any signal decided it. */
function weigh(signals: readonly Evidence[]): { kind: EnvironmentKind; decided: boolean } {
  const scores = new Map<EnvironmentKind, number>();
  for (const e of signals) {
    if (e.suggests && e.suggests !== 'local')
      scores.set(e.suggests, (scores.get(e.suggests) ?? 0) + WEIGHT[e.strength ?? 'weak']);
  }
  let best: EnvironmentKind | undefined;
  for (const kind of TIE_ORDER) {
    const score = scores.get(kind) ?? 0;
    if (score >= DECISIVE && (best === undefined || score > (scores.get(best) ?? 0))) best = kind;
  }
  return best ? { kind: best, decided: true } : { kind: 'local', decided: false };
}

function describeSignals(list: readonly Evidence[]): string {
  return list.map((e) => `${e.signal}${e.value ? `=${e.value}` : ''}`).join(', ');
}

export function detectEnvironment(env: NodeJS.ProcessEnv, probes: EnvironmentProbes = {}): EnvironmentDetection {
  const forces = forcing(env, probes.setting);
  const signals = [
    ...variableSignals(env),
    ...editorSignals(probes.editor),
    ...(probes.metadata ? [probes.metadata] : []),
  ];
  const evidence: Evidence[] = [...forces, ...signals];
  const detected = weigh(signals);

  const winner = forces.find((f) => f.strength === 'force' && f.suggests && !f.invalid);
  const kind = winner?.suggests ?? detected.kind;

  if (winner) {
    for (const other of forces) {
      if (other !== winner && other.suggests && other.suggests !== kind) {
        evidence.push({
          signal: 'contradiction',
          value: `${other.signal}=${other.value}`,
          strength: 'info',
          note: `${other.signal} says ${other.suggests}, but ${winner.signal} comes first and forces ${kind}`,
        });
      }
    }
  } else if (!detected.decided) {
    const weakOnly = signals.some((e) => e.suggests && e.suggests !== 'local');
    evidence.push({
      signal: 'none',
      value: '',
      suggests: 'local',
      strength: 'info',
      note: weakOnly ? 'no decisive cloud signal: a local machine' : 'no cloud signal found: a local machine',
    });
  }

  const disagreeing = signals.filter(
    (e) => e.suggests && e.suggests !== kind && (e.strength === 'strong' || e.strength === 'weak'),
  );
  if (disagreeing.length) {
    const reason = winner
      ? `${winner.signal} forces ${kind}`
      : detected.decided
        ? `the stronger signals point to ${kind}`
        : 'weak signals alone do not decide (it takes a strong one, or two weak ones)';
    const kinds = [...new Set(disagreeing.map((e) => e.suggests))].join(' / ');
    evidence.push({
      signal: 'contradiction',
      value: describeSignals(disagreeing),
      strength: 'info',
      note: `${describeSignals(disagreeing)} suggest${disagreeing.length === 1 ? 's' : ''} ${kinds}, but ${reason}`,
    });
  }

  return winner ? { kind, evidence, forcedBy: winner.signal } : { kind, evidence };
}

/** Contradiction entries of a detection, for a status line or a warning. */
export function contradictions(detection: EnvironmentDetection): Evidence[] {
  return detection.evidence.filter((e) => e.signal === 'contradiction');
}

export interface MetadataProbeOptions {
  env?: NodeJS.ProcessEnv;
  /** Upper bound of the whole probe, ms; capped at 1000. Default 300. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** For tests; defaults to the global fetch. */
  fetchImpl?: typeof fetch;
}

/**
 * Asks the Compute metadata server whether this is a Google Cloud machine. Optional
 * (a caller decides to spend the time), bounded, and never throws: the answer is
 * an Evidence entry to pass back in as `probes.metadata`. Checks only that the
 * server answers as Google's (`Metadata-Flavor: Google`): GCE VMs, Cloud Run and
 * Workstations all have one, so it suggests no kind on its own.
 */
export async function probeMetadataServer(options: MetadataProbeOptions = {}): Promise<Evidence> {
  const env = options.env ?? process.env;
  const host = env.GCE_METADATA_HOST || env.GCE_METADATA_IP || '169.254.169.254';
  const bound = Math.min(Math.max(options.timeoutMs ?? 300, 1), 1000);
  const timeout = AbortSignal.timeout(bound);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const doFetch = options.fetchImpl ?? fetch;
  const started = Date.now();
  try {
    const response = await doFetch(`http://${host}/computeMetadata/v1/`, {
      headers: { 'Metadata-Flavor': 'Google' },
      signal,
    });
    await response.body?.cancel().catch(() => undefined);
    const google = response.headers.get('metadata-flavor')?.toLowerCase() === 'google';
    return {
      signal: 'metadata server',
      value: host,
      strength: 'info',
      note: google
        ? `a Google Cloud metadata server answered in ${Date.now() - started} ms: this machine runs on Google Cloud`
        : `${host} answered, but not as a Google metadata server`,
    };
  } catch {
    return {
      signal: 'metadata server',
      value: host,
      strength: 'info',
      note: `no Google Cloud metadata server answered within ${bound} ms`,
    };
  }
}
