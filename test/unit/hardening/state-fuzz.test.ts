/**
 * The state file as hostile input: 200 seeded mutations of a real state (wrong types,
 * unknown statuses, missing fields, huge numbers, markup in strings, unknown fields),
 * each given to one command of the CLI: in a child process while the time budget lasts,
 * the rest through the same CLI entry point in this process, so all 200 run on a loaded
 * machine too. Every command must exit 0 or 2 with the file named, never crash, never
 * leave a lock or temp file; the reports it writes stay inert; nothing outside the
 * workspace changes. Replay: STATE_FUZZ_SEED (and STATE_FUZZ_CASES=i,j for single
 * cases); STATE_FUZZ_BUDGET_MS sets the child-process share.
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { main } from '../../../src/cli/main';
import { builtInPhases } from '../../../src/core/migration/phases';
import { emulatorWorkspace, placeDemoApi, startWorld, type World } from '../migration/world';
import { leftovers, runCli, seededRandom, treeHash, type CliResult } from './harness';

const PHASES = builtInPhases().infos();

const MUTATIONS = Number(process.env.STATE_FUZZ_COUNT ?? 200);
const WORKERS = 4;
/**
 * Wall time for child processes: one starts in about 0.4 s of CPU, but on a loaded machine
 * 200 of them take minutes. Cases run in child processes until the budget is spent (at
 * least every command twice), the rest in this process through the CLI's main().
 */
const BUDGET_MS = Number(process.env.STATE_FUZZ_BUDGET_MS ?? 120_000);
// Every command at least twice (eight commands in rotation) as a child process.
const MINIMUM = 16;

/** The CLI's entry point in this process: the same commands, without a process start each. */
async function runInProcess(args: string[], cwd: string): Promise<CliResult> {
  const collect = () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    return { stream, text: () => text };
  };
  const out = collect();
  const err = collect();
  const code = await main(args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdout: out.stream,
    stderr: err.stream,
  });
  return { code, signal: null, stdout: out.text(), stderr: err.text() };
}
const STATE_FILE = 'state-orchestra-test.json';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

const MARKUP = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '| a | b |\n# heading',
  '[click](javascript:alert(1))',
  '`code` **bold** <b>x</b>',
  '<iframe src="https://example.com"></iframe>',
  '&lt;script&gt;',
];
const WEIRD: Json[] = [null, true, 0, -1, 1.5, 1e308, 2 ** 60, '', 'exploded', [], {}, ['x'], { a: 1 }];

/** Every (container, key) pair in the document, the root's children included. */
function slots(doc: Json): [Container, string | number][] {
  const out: [Container, string | number][] = [];
  const walk = (node: Json) => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        out.push([node, i]);
        walk(child);
      });
    } else if (node && typeof node === 'object') {
      for (const key of Object.keys(node)) {
        out.push([node, key]);
        walk(node[key]);
      }
    }
  };
  walk(doc);
  return out;
}

/** One to three mutations; returns the file text (raw, so numbers JSON cannot write fit in) and what was done. */
function mutate(base: Json, random: () => number): { text: string; did: string[] } {
  const doc = structuredClone(base);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const did: string[] = [];
  let overflow: string | undefined;
  const n = 1 + Math.floor(random() * 3);
  for (let i = 0; i < n; i++) {
    const [container, key] = pick(slots(doc));
    const current = (container as Record<string | number, Json>)[key];
    const kind = pick(['type', 'enum', 'delete', 'huge', 'markup', 'unknown-field']);
    did.push(`${kind} ${String(key)}`);
    const set = (value: Json) => ((container as Record<string | number, Json>)[key] = value);
    switch (kind) {
      case 'type':
        set(pick(WEIRD));
        break;
      case 'enum':
        set(typeof current === 'string' ? `${current}-exploded` : 'exploded');
        break;
      case 'delete':
        if (Array.isArray(container)) container.splice(Number(key), 1);
        else delete container[key as string];
        break;
      case 'huge':
        if (random() < 0.3) {
          overflow = `__overflow_${i}__`;
          set(overflow);
        } else set(pick([Number.MAX_SAFE_INTEGER + 2, 1e300, -1e300, 123456789.123]));
        break;
      case 'markup':
        set(pick(MARKUP));
        break;
      case 'unknown-field':
        if (current && typeof current === 'object' && !Array.isArray(current)) current['<b>extra</b>'] = 1;
        else set({ extra: pick(MARKUP) });
        break;
    }
  }
  let text = JSON.stringify(doc, null, 2);
  // 1e400 is valid JSON that parses to Infinity: only raw text can carry it.
  if (overflow) text = text.replace(`"${overflow}"`, '1e400');
  return { text, did };
}

/**
 * Markdown whose raw HTML is all escaped: no `<` that starts a tag unless backslash-escaped
 * or inside a code span (CommonMark shows a code span's text as written; the report's spans
 * hold no backtick, so one cannot be closed early).
 */
function assertInertMarkdown(markdown: string, context: string): void {
  const outsideCode = markdown.replace(/(^|[^\\])`[^`\n]*`/gm, (_span, before: string) => `${before}\`\``);
  const raw = /(^|[^\\])<[a-zA-Z!/?]/m.exec(outsideCode);
  assert.equal(
    raw,
    null,
    `raw HTML in the Markdown report (${context}): ...${outsideCode.slice(Math.max(0, (raw?.index ?? 0) - 40), (raw?.index ?? 0) + 40)}...`,
  );
}

const PAGE_TAGS = new Set(
  'html head meta link style title body h1 h2 h3 h4 p ul ol li table thead tbody tr th td code strong em br hr figure svg g rect text line tspan img blockquote pre'.split(
    ' ',
  ),
);

/** A page with only the tags a report is made of, no event handler, no script URL. */
function assertInertPage(html: string, context: string): void {
  for (const match of html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/g)) {
    const [tag, name, attributes] = match;
    assert.ok(PAGE_TAGS.has(name.toLowerCase()), `unexpected <${name}> in the HTML report (${context}): ${tag}`);
    assert.doesNotMatch(attributes, /\son[a-z]+\s*=/i, `event handler in the HTML report (${context}): ${tag}`);
    assert.doesNotMatch(attributes, /javascript:/i, `script URL in the HTML report (${context}): ${tag}`);
  }
}

async function makeWorkspace(workspace: string, world: World): Promise<string> {
  await mkdir(path.join(workspace, 'config'), { recursive: true });
  await placeDemoApi(workspace);
  const c = world.config;
  await emulatorWorkspace(world, workspace, {
    breaker: { retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 20 }, recoveryTimeoutMs: 200 },
    phases: {
      aiCoding: { members: c.phases.aiCoding.members },
      apiDeployment: { source: c.phases.apiDeployment.source },
      memorySystem: {
        sourceEndpoint: c.phases.memorySystem.sourceEndpoint,
        targetEndpoint: c.phases.memorySystem.targetEndpoint,
      },
      validation: { samples: 2 },
    },
    // Latency verdicts have their own tests; a loaded machine must not fail these runs.
    validation: { targets: { memoryReadMs: 60_000, apiMs: 60_000 } },
  });
  return workspace;
}

describe('state file fuzz: every command survives a damaged state (child processes)', function () {
  this.timeout(BUDGET_MS + 600_000);
  let world: World;
  let parent: string;
  let workspaces: string[];
  let base: Json;

  before(async () => {
    world = await startWorld({ records: 20 });
    parent = await mkdtemp(path.join(os.tmpdir(), 'orchestra-fuzz-'));
    await writeFile(path.join(parent, 'neighbour.txt'), 'outside the workspace\n');
    workspaces = [];
    for (let w = 0; w < WORKERS; w++) workspaces.push(await makeWorkspace(path.join(parent, `ws-${w}`), world));
    const first = await runCli(['execute', '--yes'], workspaces[0]);
    assert.equal(first.code, 0, first.stderr);
    base = JSON.parse(await readFile(path.join(workspaces[0], '.orchestra', STATE_FILE), 'utf8')) as Json;
  });
  after(async () => {
    await world?.close();
    if (parent) await rm(parent, { recursive: true, force: true });
  });

  it(`${MUTATIONS} mutations: exit 0 or 2, the file named, no leftovers, reports inert`, async () => {
    const seed = Number(process.env.STATE_FUZZ_SEED ?? Date.now() % 2 ** 31);
    console.log(`      state fuzz seed ${seed} (replay: STATE_FUZZ_SEED=${seed})`);
    const random = seededRandom(seed);
    const phases = PHASES.map((p) => p.id);
    const commands: ((i: number) => string[])[] = [
      () => ['status', '--json'],
      () => ['report', '--stdout'],
      () => ['report', '--html', '--stdout'],
      () => ['verify'],
      () => ['monitor', '--once'],
      (i) => ['reset', phases[i % phases.length]],
      () => ['status'],
      () => ['execute', '--yes'],
    ];
    const skip = workspaces.map((w) => path.basename(w));
    const outside = treeHash(parent, skip);
    const tally = { ok: 0, refused: 0, children: 0 };
    // Mutations are drawn up front, in order, so a seed replays the same cases whatever the timing.
    const only = process.env.STATE_FUZZ_CASES?.split(',').map(Number);
    const cases = Array.from({ length: MUTATIONS }, (_, i) => ({ i, ...mutate(base, random) })).filter(
      (c) => !only || only.includes(c.i),
    );
    // Workers on separate workspaces: child processes start slowly on a loaded machine.
    const worker = async (workspace: string, child: boolean) => {
      const stateFile = path.join(workspace, '.orchestra', STATE_FILE);
      await mkdir(path.dirname(stateFile), { recursive: true });
      const more = () => (child ? Date.now() < deadline || tally.children < MINIMUM : true);
      for (let next = more() ? cases.shift() : undefined; next; next = more() ? cases.shift() : undefined) {
        const { i, text, did } = next;
        await writeFile(stateFile, text);
        const args = commands[i % commands.length](i);
        const context = `seed ${seed} #${i} [${did.join(', ')}] ${args.join(' ')}${child ? '' : ' (in process)'}`;
        if (child) tally.children++;
        const { code, stdout, stderr } = await (child ? runCli : runInProcess)(args, workspace);
        if (only) console.log(context, code, stdout, stderr);
        assert.ok(code === 0 || code === 2, `exit ${code} (${context}):\n${stderr}`);
        assert.doesNotMatch(stderr, /TypeError|RangeError|ReferenceError|\n\s+at /, `a crash (${context}):\n${stderr}`);
        assert.deepEqual(leftovers(workspace), [], `left behind (${context})`);
        if (code === 2) {
          tally.refused++;
          assert.match(
            stderr,
            new RegExp(`${STATE_FILE}.*(field|not valid)`),
            `the file is not named (${context}):\n${stderr}`,
          );
          assert.match(stderr, /fix: (Reset the phase|Move the file aside)/, `no fix (${context}):\n${stderr}`);
        } else {
          tally.ok++;
          if (args[0] === 'report' && args.includes('--html')) assertInertPage(stdout, context);
          else if (args[0] === 'report') assertInertMarkdown(stdout, context);
        }
      }
    };
    const total = cases.length;
    const deadline = Date.now() + BUDGET_MS;
    await Promise.all(workspaces.map((w) => worker(w, true)));
    await Promise.all(workspaces.map((w) => worker(w, false)));
    const ran = tally.ok + tally.refused;
    console.log(
      `      ${ran} of ${MUTATIONS} mutations (${tally.children} as child processes, ${ran - tally.children} in process): ${tally.ok} accepted, ${tally.refused} refused with exit 2`,
    );
    assert.equal(ran, total, 'every mutation ran');
    assert.ok(only || tally.children >= Math.min(MINIMUM, MUTATIONS), `only ${tally.children} child processes ran`);
    // Both outcomes must have happened, or the mutations test nothing.
    assert.ok(only || (tally.ok > 0 && tally.refused > 0), JSON.stringify(tally));
    assert.deepEqual(treeHash(parent, skip).entries, outside.entries);
  });
});
