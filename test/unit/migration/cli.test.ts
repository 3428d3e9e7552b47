import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { recordCloudRunEndpoint } from '../../../src/core/workspace/wiring';
import type { StatusDocument } from '../../../src/core/workspace';
import { StateStore } from '../../../src/core/migration/store';
import { PROJECT, cliWorkspace, startWorld, type World } from './world';
import { runCli as cli } from '../cli-run';
import { shippedCli } from '../bundles';

describe('orchestra-migrate verify / execute / status / monitor / skip / reset', function () {
  this.timeout(60_000);
  let world: World;
  let cliBundle: string;

  before(async () => {
    world = await startWorld({ records: 30 });
    await cliWorkspace(world);
    cliBundle = await shippedCli();
  });
  after(async () => world?.close());

  function spawnCli(args: string[]) {
    const child = spawn(process.execPath, [cliBundle, ...args], {
      cwd: world.workspace,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    return new Promise<{ code: number | null; out: string }>((resolve) =>
      child.on('exit', (code) => resolve({ code, out })),
    );
  }

  it('status --json before anything ran: every phase not started, in the documented shape', async () => {
    const { code, out } = await cli(['status', '--json'], world.workspace);
    assert.equal(code, 0);
    const doc = JSON.parse(out) as StatusDocument;
    assert.equal(doc.statusVersion, 1);
    assert.equal(doc.projectId, 'orchestra-test');
    assert.equal(doc.running, false);
    assert.deepEqual(
      doc.phases.map((p) => [p.order, p.id, p.status]),
      [
        [1, 'core-infrastructure', 'not-started'],
        [2, 'workstation-configuration', 'not-started'],
        [3, 'memory-system', 'not-started'],
        [4, 'hybrid-config', 'not-started'],
        [5, 'ai-coding', 'not-started'],
        [6, 'api-deployment', 'not-started'],
        [7, 'validation', 'not-started'],
      ],
    );
  });

  it('verify prints the plan and changes nothing', async () => {
    world.emulator.clearRequestLog();
    const { code, out } = await cli(['verify'], world.workspace);
    assert.equal(code, 0, out);
    assert.match(out, /\+ create +core-infrastructure\/service-account/);
    assert.match(out, /~ update +core-infrastructure\/api-iam/);
    // The image pipeline: the source upload and the Cloud Build build come before the service.
    assert.match(
      out,
      /\+ create +api-deployment\/source: source archive gs:\/\/orchestra-test-orchestra-reports\/source\/orchestra-api-[0-9a-f]{16}\.tar\.gz does not exist/,
    );
    assert.match(out, /\+ create +api-deployment\/image: /);
    assert.deepEqual(
      world.emulator
        .requestLog()
        .filter((r) => r.method !== 'GET' && !/:(getIamPolicy|testIamPermissions)$/.test(r.path)),
      [],
    );
  });

  it('verify and execute reject an unknown phase with exit 2', async () => {
    const { code, err } = await cli(['verify', '--phase', 'nope'], world.workspace);
    assert.equal(code, 2);
    assert.match(err, /Unknown phase 'nope'\.\n {2}where: --phase\n {2}fix: Use one of: core-infrastructure/);
  });

  it('execute without --yes and without a terminal refuses with exit 2 and says why', async () => {
    const { code, out } = await spawnCli(['execute']);
    assert.equal(code, 2, out);
    assert.match(out, /no terminal to confirm.*\n.*--yes/);
  });

  it('two executes at once: one runs, the other exits 2 with the lock message', async () => {
    const [a, b] = await Promise.all([spawnCli(['execute', '--yes']), spawnCli(['execute', '--yes'])]);
    assert.deepEqual([a.code, b.code].sort(), [0, 2], `${a.out}\n---\n${b.out}`);
    const loser = a.code === 2 ? a : b;
    assert.match(loser.out, /locked by pid \d+ on host \S+ since \S+ \(heartbeat \d+s ago, execute\)/);

    // The winner uploaded the source, built and pushed it with Cloud Build, and deployed it by digest.
    const writes = world.emulator
      .requestLog()
      .filter((r) => r.method === 'POST')
      .map((r) => r.path);
    assert.ok(writes.includes(`/upload/storage/v1/b/${PROJECT}-orchestra-reports/o`), 'source uploaded');
    assert.ok(writes.includes(`/v1/projects/${PROJECT}/locations/us-central1/builds`), 'Cloud Build build created');
    const call = async (p: string) => {
      const res = await fetch(`${world.emulator.url}${p}`, { headers: { authorization: 'Bearer test-token' } });
      return (await res.json()) as Record<string, unknown>;
    };
    const images = (await call(`/v1/projects/${PROJECT}/locations/us-central1/repositories/orchestra/dockerImages`))
      .dockerImages as Array<{ uri: string; tags: string[] }>;
    assert.equal(images.length, 1);
    assert.match(
      images[0].uri,
      /^us-central1-docker\.pkg\.dev\/orchestra-test\/orchestra\/orchestra-api@sha256:[0-9a-f]{64}$/,
    );
    assert.deepEqual(images[0].tags.map((t) => t.replace(/^src-[0-9a-f]{16}$/, 'src-DIGEST')).sort(), [
      'latest',
      'src-DIGEST',
    ]);
    const service = await call(`/v2/projects/${PROJECT}/locations/us-central1/services/orchestra-api`);
    const template = service.template as { containers: Array<{ image: string }> };
    assert.equal(template.containers[0].image, images[0].uri, 'deployed by digest');
    const builds = (await call(`/v1/projects/${PROJECT}/locations/us-central1/builds`)).builds as Array<{
      status: string;
      logUrl: string;
      logsBucket: string;
    }>;
    assert.deepEqual(
      [builds.length, builds[0].status, builds[0].logsBucket],
      [1, 'SUCCESS', `gs://${PROJECT}-orchestra-reports`],
    );
    assert.match(builds[0].logUrl, /^https:\/\/console\.cloud\.google\.com\/cloud-build\/builds;region=us-central1\//);
  });

  it('execute --yes --json reports completion; status --json shows every phase completed with metrics and the API URL', async () => {
    world.emulator.clearRequestLog();
    const run = await cli(['execute', '--yes', '--json'], world.workspace);
    assert.equal(run.code, 0, run.err);
    assert.equal(JSON.parse(run.out).status, 'completed');
    assert.match(run.err, /already up to date/);
    assert.match(run.err, /api-deployment\/image: already up to date/);
    // A second execute changes nothing: same source digest, no upload, no build, no deploy.
    assert.deepEqual(
      world.emulator
        .requestLog()
        .filter((r) => r.method !== 'GET' && !/:(getIamPolicy|testIamPermissions)$/.test(r.path))
        .map((r) => `${r.method} ${r.path}`),
      [],
    );
    const { out } = await cli(['status', '--json'], world.workspace);
    const doc = JSON.parse(out) as StatusDocument;
    for (const p of doc.phases) assert.equal(p.status, 'completed', p.id);
    assert.ok(doc.metrics.runs >= 2);
    assert.match(String(doc.outputs.apiUrl), /^http:\/\/127\.0\.0\.1/);
    // A rehearsal on the emulator keeps its local URL out of the config files.
    await assert.rejects(readFile(path.join(world.workspace, 'config', 'cloud_run.json')), { code: 'ENOENT' });
    const text = await cli(['status'], world.workspace);
    assert.match(text.out, /7\. Validation +completed +3\/3 steps/);
  });

  it('report writes the Markdown report of the runs under report.dir; --stdout prints the same', async () => {
    const written = await cli(['report'], world.workspace);
    assert.equal(written.code, 0, written.err);
    const file = path.join(world.workspace, '.orchestra', 'reports', `migration-report-${PROJECT}.md`);
    const chart = file.replace(/\.md$/, '.timeline.svg');
    assert.equal(
      written.out.trim(),
      `Wrote ${path.relative(world.workspace, file)} and its timeline chart ${path.relative(world.workspace, chart)}`,
    );
    const markdown = await readFile(file, 'utf8');
    assert.match(
      markdown,
      new RegExp(`## Timeline\\n\\n!\\[Gantt chart of the last run[^\\]]*\\]\\(${path.basename(chart)}\\)`),
    );
    const svg = await readFile(chart, 'utf8');
    for (const phase of ['1. Core Infrastructure', '3. Memory System', '7. Validation'])
      assert.ok(svg.includes(phase), phase);
    assert.match(svg, /<title>Copy memory records: (ran|unchanged), /);
    assert.match(markdown, new RegExp(`^# Migration report: ${PROJECT}\n`));
    assert.match(markdown, /\| Phases completed \| 7 of 7 \|/);
    assert.match(markdown, /\| 3 \| Memory System \| completed \|/);
    assert.match(markdown, /\| API URL \| `http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(markdown, /### Memory copy\n\n\| Field \| Value \|\n\|---\|---\|\n\| Records \| 30 \|/);
    assert.match(markdown, /## Timeline\n/);
    const printed = await cli(['report', '--stdout'], world.workspace);
    assert.equal(
      printed.out.replace(/^Generated .*$/m, ''),
      markdown.replace(/^Generated .*$/m, '').replace(/^!\[Gantt chart.*\n\n/m, ''),
      'the same report, but for its date and the chart it has no file for',
    );
    const both = await cli(['report', '--stdout', '--out', 'x.md'], world.workspace);
    assert.equal(both.code, 2);
    assert.match(both.err, /--stdout and --out exclude each other/);
  });

  it('report --html writes one page to open in a browser: the stylesheet inline, allowed by its hash, no script', async () => {
    const written = await cli(['report', '--html'], world.workspace);
    assert.equal(written.code, 0, written.err);
    const file = path.join(world.workspace, '.orchestra', 'reports', `migration-report-${PROJECT}.html`);
    assert.equal(written.out.trim(), `Wrote ${path.relative(world.workspace, file)}`);
    const html = await readFile(file, 'utf8');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    assert.match(csp, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; base-uri 'none'; form-action 'none'$/);
    const style = /<style>([\s\S]*)<\/style>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(style, 'utf8').digest('base64');
    assert.ok(csp.includes(`'sha256-${hash}'`), 'the policy allows exactly the inline stylesheet');
    assert.match(style, /--vscode-foreground: #/, 'theme variables have plain values outside VS Code');
    assert.doesNotMatch(html, /<script|\sstyle=|<link /);
    assert.match(html, /<td>3<\/td>\s*<td>Memory System<\/td>\s*<td>completed<\/td>/);
    assert.match(html, /<h2>Timeline<\/h2>\n<figure class="timeline">\n<svg /, 'the chart inline, under Timeline');
  });

  it('with the source folder gone and no image configured, verify says blocked with the reason and the fix', async () => {
    const api = path.join(world.workspace, 'api');
    await rename(api, `${api}.moved`);
    try {
      const { out } = await cli(['verify', '--phase', 'api-deployment'], world.workspace);
      assert.match(
        out,
        /! blocked +api-deployment\/source: no API source to build: the folder \S+\/api \(phases\.apiDeployment\.source\) does not exist, and phases\.apiDeployment\.image \(orchestra-api:latest\) is not a full image path/,
      );
      assert.match(out, /blocked +api-deployment\/image: /);
    } finally {
      await rename(`${api}.moved`, api);
    }
  });

  it('report without a recorded migration says so and exits 2', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'report-'));
    try {
      const none = await cli(['report'], empty, { ORCHESTRA_PROJECT_ID: 'nothing-yet' });
      assert.equal(none.code, 2);
      assert.match(none.err, /No migration has run for nothing-yet yet/);
      assert.match(none.err, /Run orchestra-migrate verify, then orchestra-migrate execute/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('monitor follows a run made elsewhere and exits when it finishes', async () => {
    let ready!: () => void;
    const listening = new Promise<void>((resolve) => (ready = resolve));
    const following = cli(['monitor'], world.workspace, {}, (err) => err.includes('Following ') && ready());
    // Started when it says it follows the state file: only then does the run begin.
    await Promise.race([listening, following]);
    const run = await cli(['execute', '--yes', '--phase', 'hybrid-config'], world.workspace);
    assert.equal(run.code, 0, run.err);
    const monitor = await following;
    assert.equal(monitor.code, 0);
    assert.match(monitor.out, /run \w+: hybrid-config\n/);
    assert.match(monitor.out, /hybrid-config\/secret-version: none\n/);
    assert.match(monitor.out, /run \w+ completed\n/);
  });

  it('skip and reset change one phase; monitor --once prints the history', async () => {
    assert.equal((await cli(['skip', 'validation'], world.workspace)).code, 0);
    let doc = JSON.parse((await cli(['status', '--json'], world.workspace)).out) as StatusDocument;
    assert.equal(doc.phases[6].status, 'skipped');
    const verify = await cli(['verify'], world.workspace);
    assert.match(verify.out, /Validation \[skipped\] \(skipped: not planned\)/);
    assert.equal((await cli(['reset', 'validation'], world.workspace)).code, 0);
    doc = JSON.parse((await cli(['status', '--json'], world.workspace)).out) as StatusDocument;
    assert.equal(doc.phases[6].status, 'not-started');
    assert.deepEqual(doc.phases[6].steps, []);
    const monitor = await cli(['monitor', '--once'], world.workspace);
    assert.equal(monitor.code, 0);
    assert.match(monitor.out, /validation skipped\n/);
    assert.match(monitor.out, /validation reset\n/);
  });

  it('monitor and status on a run that was killed (recorded as running, no live lock): interrupted, not running', async () => {
    const store = await StateStore.open(path.join(world.workspace, '.orchestra'), PROJECT);
    const previous = store.state.run;
    await store.update((state) => {
      state.run = {
        id: 'run-killed',
        startedAt: new Date().toISOString(),
        status: 'running',
        phases: ['validation'],
        pid: 999_999_999,
        host: os.hostname(),
      };
    });
    await store.flush();
    try {
      const monitor = await cli(['monitor'], world.workspace);
      assert.equal(monitor.code, 0);
      assert.match(
        monitor.err,
        /The run run-killed stopped before finishing \(no process holds the migration lock\); run execute again to resume/,
      );
      const status = await cli(['status'], world.workspace);
      assert.match(status.out, /Last run run-killed: interrupted \(its process is gone; run execute again to resume\)/);
    } finally {
      await store.update((state) => {
        state.run = previous;
      });
      await store.flush();
    }
  });
});

describe('recording the deployed API URL in config/cloud_run.json', () => {
  it('sets endpoints.api in place, keeping comments, and leaves the file alone when unchanged', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'orchestra-endpoint-'));
    try {
      const file = path.join(dir, 'cloud_run.json');
      await writeFile(file, '{\n  // Cloud Run profile\n  "endpoints": {},\n  "memory": { "transport": "http" }\n}\n');
      assert.equal(await recordCloudRunEndpoint(dir, 'api', 'https://orchestra-api-abc.a.run.app'), true);
      const text = await readFile(file, 'utf8');
      assert.match(text, /\/\/ Cloud Run profile/);
      assert.match(text, /"api": "https:\/\/orchestra-api-abc\.a\.run\.app"/);
      assert.equal(await recordCloudRunEndpoint(dir, 'api', 'https://orchestra-api-abc.a.run.app'), false);
      await rm(file);
      assert.equal(await recordCloudRunEndpoint(dir, 'api', 'https://x.a.run.app'), true);
      assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { endpoints: { api: 'https://x.a.run.app' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
