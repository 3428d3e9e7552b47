/**
 * The Plan & Run panel's protocol, both ends on plain Node: what the host sends passes the
 * webview's guard, what the webview sends passes the host's, anything else is dropped; the
 * webview client's ready handshake and request/reply pairing; the page's CSP; console links.
 */
import './vscode-stub';
import * as assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { Plan } from '../../../src/core/workspace';
import { planPanelHtml, panelCsp } from '../../../src/extension/plan-panel-html';
import { grantCommands, RunModel, splitFailure, toPanelPlan } from '../../../src/extension/plan-panel-model';
import { consoleUrl } from '../../../src/shared/console-links';
import {
  isHostMessage,
  isWebviewMessage,
  PROTOCOL_VERSION,
  type HostMessage,
  type WebviewMessage,
} from '../../../src/shared/plan-protocol';
import { PanelClient } from '../../../webviews/plan/client';

const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>javascript:alert(3)';
/** The part of it that fits in one segment of a resource name (no slash). */
const HOSTILE_NAME = '<img src=x onerror=alert(2)>javascript:alert(3)';

const plan: Plan = {
  projectId: 'orchestra-test',
  createdAt: '2026-12-07T06:30:00.000Z',
  basis: { config: 'c', state: 's' },
  missingPermissions: ['run.services.create'],
  requests: 3,
  durationMs: 9,
  phases: [
    {
      phase: 'api-deployment',
      title: 'API Deployment',
      status: 'not-started',
      steps: [
        {
          id: 'api-deployment/service',
          title: 'Cloud Run service',
          kind: 'resource',
          target: 'Cloud Run service projects/orchestra-test/locations/us-central1/services/orchestra-api',
          action: 'update',
          reason: '1 field(s) differ',
          diff: [{ field: 'template.containers[0].image', live: 'a@sha256:1', desired: 'a@sha256:2' }],
        },
        {
          id: 'api-deployment/evil',
          title: HOSTILE,
          kind: 'resource',
          target: `secret projects/orchestra-test/secrets/${HOSTILE_NAME}`,
          action: 'create',
          reason: HOSTILE,
        },
      ],
    },
  ],
};

describe('the Plan & Run protocol: host end', () => {
  it('the plan as the panel gets it: counts, diffs as text, console links, the gcloud grant commands; it passes the webview guard', () => {
    const panel = toPanelPlan(plan);
    assert.deepEqual(panel.counts, { create: 1, update: 1, ok: 0, run: 0, blocked: 0 });
    const service = panel.phases[0].steps[0];
    assert.deepEqual(service.diff, [
      { field: 'template.containers[0].image', live: '"a@sha256:1"', desired: '"a@sha256:2"' },
    ]);
    assert.equal(
      service.consoleUrl,
      'https://console.cloud.google.com/run/detail/us-central1/orchestra-api/revisions?project=orchestra-test',
    );
    assert.deepEqual(panel.grantCommands, grantCommands('orchestra-test', ['run.services.create']));
    assert.match(
      panel.grantCommands[0],
      /^gcloud iam roles create orchestraMigrate --project=orchestra-test .*--permissions=run\.services\.create$/,
    );
    assert.match(
      panel.grantCommands[1],
      /^gcloud projects add-iam-policy-binding orchestra-test .*--role=projects\/orchestra-test\/roles\/orchestraMigrate$/,
    );
    assert.ok(isHostMessage({ type: 'init', protocol: PROTOCOL_VERSION, plan: panel }));
    assert.ok(isHostMessage({ type: 'plan', plan: toPanelPlan(plan, 'the configuration changed at …') }));
  });

  it('a hostile resource name stays inside an encoded console URL path; no other scheme or host', () => {
    const url = toPanelPlan(plan).phases[0].steps[1].consoleUrl!;
    assert.ok(url.startsWith('https://console.cloud.google.com/security/secret-manager/secret/'), url);
    assert.doesNotMatch(url, /[<>"' ]/);
    assert.equal(new URL(url).host, 'console.cloud.google.com');
    assert.equal(consoleUrl('x/y', 'javascript:alert(1)', 'p'), undefined);
    assert.equal(consoleUrl('x/y', `secret projects/p/secrets/${HOSTILE}`, 'p'), undefined, 'no shape, no link');
    assert.equal(
      consoleUrl('core-infrastructure/reports-bucket', 'bucket gs://p-orchestra-reports', 'p'),
      'https://console.cloud.google.com/storage/browser/p-orchestra-reports?project=p',
    );
    assert.equal(
      consoleUrl('core-infrastructure/api-run', 'services run.googleapis.com on project p', 'p'),
      'https://console.cloud.google.com/apis/library/run.googleapis.com?project=p',
    );
    assert.equal(
      consoleUrl('core-infrastructure/runtime-roles', 'IAM bindings on project p', 'p'),
      'https://console.cloud.google.com/iam-admin/iam?project=p',
    );
  });

  it('a run, event by event: queued, running, done, retried, failed with cause and fix, cancelled; every message passes the guard', () => {
    let now = 1_000;
    const start = Date.parse('2026-12-07T07:00:00.000Z');
    const at = (ms: number) => new Date(start + ms).toISOString();
    const model = new RunModel(
      'r1',
      start,
      [
        { id: 'p/a', phase: 'p', title: 'A', kind: 'resource' },
        { id: 'p/b', phase: 'p', title: 'B', kind: 'resource' },
        { id: 'p/copy', phase: 'p', title: 'Copy', kind: 'action' },
        { id: 'p/d', phase: 'p', title: 'D', kind: 'resource' },
      ],
      () => now,
    );
    assert.deepEqual(
      model.snapshot().steps.map((s) => s.state),
      ['queued', 'queued', 'queued', 'queued'],
    );
    const sent: HostMessage[] = [];
    const send = (m: HostMessage | undefined) => m && sent.push(m);
    send(model.apply({ type: 'step-started', step: 'p/a', phase: 'p', at: at(0) }));
    send(model.apply({ type: 'step-finished', step: 'p/a', phase: 'p', action: 'create', durationMs: 40, at: at(40) }));
    send(model.apply({ type: 'step-started', step: 'p/b', phase: 'p', at: at(40) }));
    send(model.retried('p/b', 3));
    send(
      model.apply({
        type: 'step-failed',
        step: 'p/b',
        phase: 'p',
        error: `403 on ${HOSTILE}. Fix: grant roles/run.admin`,
        at: at(90),
      }),
    );
    send(model.apply({ type: 'step-started', step: 'p/copy', phase: 'p', at: at(90) }));
    send(model.apply({ type: 'step-progress', step: 'p/copy', phase: 'p', done: 0, total: 1000, at: at(90) }));
    now += 2_000;
    send(model.apply({ type: 'step-progress', step: 'p/copy', phase: 'p', done: 500, total: 1000, at: at(2090) }));
    send(model.apply({ type: 'run-finished', runId: 'r1', status: 'cancelled', durationMs: 2100, at: at(2100) }));
    for (const m of sent) assert.ok(isHostMessage(m), JSON.stringify(m));
    const steps = Object.fromEntries(model.snapshot().steps.map((s) => [s.id, s]));
    assert.deepEqual(
      [steps['p/a'].state, steps['p/a'].did, steps['p/a'].startMs, steps['p/a'].endMs],
      ['done', 'create', 0, 40],
    );
    assert.deepEqual(
      [steps['p/b'].state, steps['p/b'].retries, steps['p/b'].fix],
      ['failed', 2, 'grant roles/run.admin'],
    );
    assert.equal(steps['p/b'].cause, `403 on ${HOSTILE}.`);
    assert.equal(steps['p/d'].state, 'cancelled', 'never reached: cancelled, not queued for ever');
    assert.deepEqual(model.snapshot().copy, { step: 'p/copy', done: 500, total: 1000, ratePerSecond: 250 });
    assert.deepEqual(splitFailure('cannot read\n  fix: log in'), { cause: 'cannot read', fix: 'log in' });
  });

  it('what the host accepts from the webview: the typed messages only', () => {
    const good: WebviewMessage[] = [
      { type: 'ready', protocol: PROTOCOL_VERSION },
      { type: 'request', requestId: 1, request: { kind: 'execute' } },
      { type: 'request', requestId: 2, request: { kind: 'revealStep', step: 'core-infrastructure/services' } },
      {
        type: 'request',
        requestId: 3,
        request: { kind: 'openConsole', url: 'https://console.cloud.google.com/run?project=p' },
      },
      { type: 'shown', step: 'a/b', state: 'done', sentAtMs: 5 },
    ];
    for (const m of good) assert.ok(isWebviewMessage(m), JSON.stringify(m));
    const bad: unknown[] = [
      undefined,
      'ready',
      { type: 'ready', protocol: 99 },
      { type: 'request', requestId: 1, request: { kind: 'execute', extra: true } },
      { type: 'request', requestId: '1', request: { kind: 'verify' } },
      { type: 'request', requestId: 4, request: { kind: 'openConsole', url: 'javascript:alert(1)' } },
      {
        type: 'request',
        requestId: 5,
        request: { kind: 'openConsole', url: 'https://console.cloud.google.com.evil.example/' },
      },
      {
        type: 'request',
        requestId: 6,
        request: { kind: 'openConsole', url: 'https://user@console.cloud.google.com/' },
      },
      { type: 'request', requestId: 7, request: { kind: 'runShell', command: 'rm -rf /' } },
      { type: 'command', command: 'orchestra.execute' },
    ];
    for (const m of bad) assert.ok(!isWebviewMessage(m), JSON.stringify(m));
  });
});

describe('the Plan & Run protocol: webview end', () => {
  function harness() {
    const posted: WebviewMessage[] = [];
    let deliver: (data: unknown) => void = () => undefined;
    const received: HostMessage[] = [];
    const dropped: unknown[] = [];
    const client = new PanelClient(
      { post: (m) => posted.push(m), listen: (l) => (deliver = l) },
      (m) => received.push(m),
      (d) => dropped.push(d),
    );
    return { client, posted, received, dropped, deliver: (d: unknown) => deliver(d) };
  }

  it('says ready first, then passes on only what the guard accepts', () => {
    const h = harness();
    h.client.start();
    assert.deepEqual(h.posted, [{ type: 'ready', protocol: PROTOCOL_VERSION }]);
    h.deliver({ type: 'init', protocol: PROTOCOL_VERSION, plan: toPanelPlan(plan) });
    h.deliver({ type: 'html', html: '<img src=x onerror=alert(1)>' });
    h.deliver({
      type: 'plan',
      plan: { ...toPanelPlan(plan), phases: [{ id: 'x', title: 'X', counts: {}, steps: [] }] },
    });
    h.deliver({
      type: 'init',
      protocol: PROTOCOL_VERSION,
      plan: {
        ...toPanelPlan(plan),
        phases: [
          {
            ...toPanelPlan(plan).phases[0],
            steps: [{ ...toPanelPlan(plan).phases[0].steps[0], consoleUrl: 'javascript:alert(1)' }],
          },
        ],
      },
    });
    assert.deepEqual(
      h.received.map((m) => m.type),
      ['init'],
    );
    assert.equal(h.dropped.length, 3);
  });

  it('a request resolves on its own reply and rejects with the host error; replies are not passed on', async () => {
    const h = harness();
    h.client.start();
    const first = h.client.request({ kind: 'verify' });
    const second = h.client.request({ kind: 'execute' });
    const ids = h.posted.filter((m) => m.type === 'request').map((m) => (m as { requestId: number }).requestId);
    assert.equal(new Set(ids).size, 2);
    h.deliver({ type: 'reply', requestId: ids[1], ok: false, error: 'The plan is stale: the configuration changed' });
    h.deliver({ type: 'reply', requestId: ids[0], ok: true });
    await first;
    await assert.rejects(second, /The plan is stale: the configuration changed/);
    assert.deepEqual(h.received, []);
  });
});

describe("the Plan & Run page's Content-Security-Policy", () => {
  const source = 'https://file+.vscode-resource.vscode-cdn.net';
  const html = planPanelHtml({
    cspSource: source,
    scriptUri: `${source}/ext/dist/webview/plan.js`,
    styleUri: `${source}/ext/dist/webview/plan.css`,
    nonce: 'bm9uY2Ux',
  });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/
    .exec(html)![1]
    .replace(/&#39;|&apos;/g, "'");

  it('scripts only with the nonce; no unsafe-inline or eval anywhere; nothing remote; default none', () => {
    const directives = Object.fromEntries(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([k, ...v]) => [k, v]),
    );
    assert.deepEqual(directives['default-src'], ["'none'"]);
    assert.deepEqual(directives['script-src'], ["'nonce-bm9uY2Ux'"]);
    assert.deepEqual(directives['style-src'], [source]);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*|https?:\/\/(?!file\+\.vscode-resource)/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0][1], /nonce="bm9uY2Ux"/);
    assert.match(
      scripts[0][1],
      /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\/plan\.js"/,
    );
    assert.equal(scripts[0][2].trim(), '', 'no inline script body');
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
  });

  it('a new nonce for every page', () => {
    const page = () => /nonce="([^"]+)"/.exec(planPanelHtml({ cspSource: source, scriptUri: 's', styleUri: 'c' }))![1];
    const a = page();
    assert.notEqual(a, page());
    assert.ok(Buffer.from(a, 'base64').length >= 16);
    assert.equal(panelCsp(source, a).includes(`'nonce-${a}'`), true);
  });
});
