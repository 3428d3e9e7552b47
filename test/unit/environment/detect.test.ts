import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  contradictions,
  detectEnvironment,
  probeMetadataServer,
  type EnvironmentKind,
  type EnvironmentProbes,
} from '../../../src/core/environment';

interface Case {
  name: string;
  env: NodeJS.ProcessEnv;
  probes?: EnvironmentProbes;
  kind: EnvironmentKind;
  forcedBy?: string;
  /** Signals that must appear in the evidence. */
  signals?: string[];
  /** Expected number of contradiction entries (default 0). */
  contradictions?: number;
  /** Signals reported as invalid forcing values. */
  invalid?: string[];
}

const cs = {
  CODESPACES: 'true',
  CODESPACE_NAME: 'fluffy-eureka',
  GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN: 'app.github.dev',
};
const ws = { GOOGLE_CLOUD_WORKSTATIONS: 'true', WEB_HOST: 'ws-1.cluster-abc.cloudworkstations.dev' };
const run = { K_SERVICE: 'orchestra-api', K_REVISION: 'orchestra-api-00001-abc', K_CONFIGURATION: 'orchestra-api' };

const CASES: Case[] = [
  { name: 'no signal: local', env: {}, kind: 'local', signals: ['none'] },
  { name: 'CODESPACES=true alone', env: { CODESPACES: 'true' }, kind: 'codespaces', signals: ['CODESPACES'] },
  {
    name: 'full Codespaces variables',
    env: cs,
    kind: 'codespaces',
    signals: ['CODESPACES', 'CODESPACE_NAME', 'GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN'],
  },
  {
    name: 'CODESPACES=false is not a signal',
    env: { CODESPACES: 'false' },
    kind: 'local',
    signals: ['CODESPACES', 'none'],
  },
  {
    name: 'one weak signal (CODESPACE_NAME) does not decide, and says so',
    env: { CODESPACE_NAME: 'x' },
    kind: 'local',
    contradictions: 1,
  },
  {
    name: 'two weak signals decide',
    env: { CODESPACE_NAME: 'x', GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN: 'app.github.dev' },
    kind: 'codespaces',
  },
  { name: 'GOOGLE_CLOUD_WORKSTATIONS alone', env: { GOOGLE_CLOUD_WORKSTATIONS: 'true' }, kind: 'workstation' },
  {
    name: 'Workstation with WEB_HOST',
    env: ws,
    kind: 'workstation',
    signals: ['GOOGLE_CLOUD_WORKSTATIONS', 'WEB_HOST'],
  },
  {
    name: 'WEB_HOST of another host is only information',
    env: { WEB_HOST: 'example.com' },
    kind: 'local',
    signals: ['WEB_HOST'],
  },
  { name: 'K_SERVICE (Cloud Run service)', env: { K_SERVICE: 'api' }, kind: 'cloud_run' },
  {
    name: 'K_REVISION + K_CONFIGURATION (two weak)',
    env: { K_REVISION: 'r', K_CONFIGURATION: 'c' },
    kind: 'cloud_run',
  },
  {
    name: 'CLOUD_RUN_JOB (Cloud Run job)',
    env: { CLOUD_RUN_JOB: 'migrate', CLOUD_RUN_EXECUTION: 'migrate-abc' },
    kind: 'cloud_run',
  },
  {
    name: 'contradiction: Codespaces and Cloud Run variables both',
    env: { ...cs, ...run },
    kind: 'codespaces', // 3+1+1 vs 3+1+1: tie, codespaces before cloud_run
    contradictions: 1,
  },
  {
    name: 'contradiction: Workstation beats Codespaces on a tie',
    env: { CODESPACES: 'true', GOOGLE_CLOUD_WORKSTATIONS: 'true' },
    kind: 'workstation',
    contradictions: 1,
  },
  {
    name: 'stronger side wins: Workstation (strong + weak) over one weak Cloud Run signal',
    env: { ...ws, K_REVISION: 'r' },
    kind: 'workstation',
    contradictions: 1,
  },
  {
    name: 'ORCHESTRA_ENV forces',
    env: { ORCHESTRA_ENV: 'workstation' },
    kind: 'workstation',
    forcedBy: 'ORCHESTRA_ENV',
  },
  {
    name: 'ORCHESTRA_ENV is case-insensitive and accepts cloud-run',
    env: { ORCHESTRA_ENV: 'Cloud-Run' },
    kind: 'cloud_run',
    forcedBy: 'ORCHESTRA_ENV',
  },
  {
    name: 'ORCHESTRA_ENV beats the signals, and the contradiction is reported',
    env: { ...cs, ORCHESTRA_ENV: 'local' },
    kind: 'local',
    forcedBy: 'ORCHESTRA_ENV',
    contradictions: 1,
  },
  {
    name: 'DEPLOYMENT_ENV=production maps to cloud_run',
    env: { DEPLOYMENT_ENV: 'production' },
    kind: 'cloud_run',
    forcedBy: 'DEPLOYMENT_ENV',
  },
  {
    name: 'DEPLOYMENT_ENV=staging maps to cloud_run',
    env: { DEPLOYMENT_ENV: 'staging' },
    kind: 'cloud_run',
    forcedBy: 'DEPLOYMENT_ENV',
  },
  {
    name: 'DEPLOYMENT_ENV=dev maps to local',
    env: { DEPLOYMENT_ENV: 'dev', ...ws },
    kind: 'local',
    forcedBy: 'DEPLOYMENT_ENV',
    contradictions: 1,
  },
  {
    name: 'DEPLOYMENT_ENV with an unknown value is ignored',
    env: { DEPLOYMENT_ENV: 'qa-7', ...ws },
    kind: 'workstation',
    signals: ['DEPLOYMENT_ENV'],
  },
  {
    name: 'ORCHESTRA_ENV beats DEPLOYMENT_ENV (contradiction reported)',
    env: { ORCHESTRA_ENV: 'local', DEPLOYMENT_ENV: 'production' },
    kind: 'local',
    forcedBy: 'ORCHESTRA_ENV',
    contradictions: 1,
  },
  {
    name: 'DEPLOYMENT_ENV beats the editor setting',
    env: { DEPLOYMENT_ENV: 'prod' },
    probes: { setting: 'workstation' },
    kind: 'cloud_run',
    forcedBy: 'DEPLOYMENT_ENV',
    contradictions: 1,
  },
  {
    name: 'the editor setting forces',
    env: {},
    probes: { setting: 'codespaces' },
    kind: 'codespaces',
    forcedBy: 'setting orchestra.environment',
  },
  {
    name: 'an invalid ORCHESTRA_ENV is reported and the next rule applies',
    env: { ORCHESTRA_ENV: 'staging', DEPLOYMENT_ENV: 'dev' },
    kind: 'local',
    forcedBy: 'DEPLOYMENT_ENV',
    invalid: ['ORCHESTRA_ENV'],
  },
  {
    name: 'editor: remoteName codespaces alone decides',
    env: {},
    probes: { editor: { remoteName: 'codespaces', uiKind: 'web' } },
    kind: 'codespaces',
    signals: ['vscode.env.remoteName', 'vscode.env.uiKind'],
  },
  {
    name: 'editor: ssh-remote is information only',
    env: {},
    probes: { editor: { remoteName: 'ssh-remote', uiKind: 'desktop' } },
    kind: 'local',
    signals: ['vscode.env.remoteName'],
  },
  {
    name: 'editor: ssh-remote into a Workstation',
    env: ws,
    probes: { editor: { remoteName: 'ssh-remote' } },
    kind: 'workstation',
  },
  {
    name: 'editor: a local desktop window contradicts Codespaces variables',
    env: { CODESPACES: 'true' },
    probes: { editor: { uiKind: 'desktop' } },
    kind: 'codespaces',
    contradictions: 1,
  },
  {
    name: 'metadata evidence is recorded but decides nothing',
    env: {},
    probes: { metadata: { signal: 'metadata server', value: '169.254.169.254', strength: 'info', note: 'answered' } },
    kind: 'local',
    signals: ['metadata server'],
  },
];

describe('detectEnvironment', () => {
  it('has at least 15 cases', () => assert.ok(CASES.length >= 15));

  for (const c of CASES) {
    it(c.name, () => {
      const result = detectEnvironment(c.env, c.probes);
      assert.equal(result.kind, c.kind);
      assert.equal(result.forcedBy, c.forcedBy);
      const signals = result.evidence.map((e) => e.signal);
      for (const s of c.signals ?? []) assert.ok(signals.includes(s), `evidence lacks ${s}: ${signals.join(', ')}`);
      assert.equal(contradictions(result).length, c.contradictions ?? 0, JSON.stringify(result.evidence, null, 1));
      const invalid = result.evidence.filter((e) => e.invalid).map((e) => e.signal);
      assert.deepEqual(invalid, c.invalid ?? []);
      for (const e of result.evidence) assert.ok(e.note.length > 0, 'every piece of evidence explains itself');
    });
  }

  it('names both sides of a contradiction', () => {
    const result = detectEnvironment({ ...cs, ORCHESTRA_ENV: 'local' });
    const [entry] = contradictions(result);
    assert.match(entry.note, /CODESPACES=true/);
    assert.match(entry.note, /ORCHESTRA_ENV forces local/);
  });

  it('is synchronous and reads nothing but its arguments', () => {
    const before = { ...process.env };
    const result = detectEnvironment({});
    assert.ok(!(result instanceof Promise));
    assert.deepEqual({ ...process.env }, before);
  });
});

describe('probeMetadataServer', () => {
  let server: http.Server;
  let host: string;
  let mode: 'google' | 'other' | 'hang' = 'google';

  before(async () => {
    server = http.createServer((req, res) => {
      if (mode === 'hang') return; // never answers
      if (mode === 'google') res.setHeader('Metadata-Flavor', 'Google');
      res.end('instance/\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('recognises a Google metadata server', async () => {
    mode = 'google';
    const e = await probeMetadataServer({ env: { GCE_METADATA_HOST: host } });
    assert.equal(e.signal, 'metadata server');
    assert.match(e.note, /runs on Google Cloud/);
    assert.equal(e.suggests, undefined);
  });

  it('tells another server apart', async () => {
    mode = 'other';
    const e = await probeMetadataServer({ env: { GCE_METADATA_HOST: host } });
    assert.match(e.note, /not as a Google metadata server/);
  });

  it('is bounded: a server that never answers costs the bound, not more, and does not throw', async () => {
    mode = 'hang';
    const started = Date.now();
    const e = await probeMetadataServer({ env: { GCE_METADATA_HOST: host }, timeoutMs: 150 });
    const elapsed = Date.now() - started;
    assert.match(e.note, /within 150 ms/);
    // Bounded, not hanging: the margin is for a busy machine's timer lag, not the probe.
    assert.ok(elapsed < 3_000, `took ${elapsed} ms`);
  });

  it('caps the bound at one second', async () => {
    mode = 'hang';
    const started = Date.now();
    await probeMetadataServer({ env: { GCE_METADATA_HOST: host }, timeoutMs: 60_000 });
    assert.ok(Date.now() - started < 1500);
  });
});
