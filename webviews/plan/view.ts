/**
 * The panel's DOM. Every text the host sends (resource names, errors, metric names) goes
 * in as a text node or an attribute value, never as markup, so a name holding `<script>`
 * shows as those characters. Links are the console URLs the protocol guard accepted.
 */
import {
  describeCounts,
  type CopyProgress,
  type PanelAction,
  type PanelPlan,
  type PanelRun,
  type PanelStep,
  type PanelStepRun,
  type PanelRequest,
  type RunStatus,
} from '../../src/shared/plan-protocol';

type Ask = (request: PanelRequest) => void;

const ACTION_MARKS: Readonly<Record<PanelAction, string>> = {
  create: '+ create',
  update: '~ update',
  ok: '= up to date',
  run: '> run',
  blocked: '! blocked',
};

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; attrs?: Record<string, string> } = {},
  ...children: (Node | undefined)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, v);
  for (const child of children) if (child) node.appendChild(child);
  return node;
}

function button(text: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = el('button', { text, attrs: { type: 'button', ...attrs } });
  b.addEventListener('click', onClick);
  return b;
}

const SVG = 'http://www.w3.org/2000/svg';

export class PanelView {
  private plan?: PanelPlan;
  private run?: PanelRun;
  private readonly rows = new Map<
    string,
    { row: HTMLTableRowElement; state: HTMLElement; time: HTMLElement; detail: HTMLElement }
  >();
  private readonly bars = new Map<string, SVGRectElement>();
  private readonly steps = new Map<string, PanelStepRun>();
  private readonly announce: HTMLElement;
  private readonly toolbar: HTMLElement;
  private readonly planArea: HTMLElement;
  private readonly runArea: HTMLElement;
  private readonly error: HTMLElement;
  private executeButton!: HTMLButtonElement;
  private cancelButton!: HTMLButtonElement;
  private gantt?: SVGSVGElement;
  private copyArea?: HTMLElement;
  private runHeading?: HTMLElement;
  private busy = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly ask: Ask,
  ) {
    root.textContent = '';
    root.removeAttribute('aria-busy');
    this.announce = el('div', {
      className: 'sr-only',
      attrs: { 'aria-live': 'polite', role: 'status', id: 'announce' },
    });
    this.error = el('div', { className: 'error', attrs: { role: 'alert', id: 'panel-error' } });
    this.toolbar = el('div', { className: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Plan actions' } });
    this.planArea = el('section', { attrs: { id: 'plan', 'aria-labelledby': 'plan-heading' } });
    this.runArea = el('section', { attrs: { id: 'run', 'aria-labelledby': 'run-heading' } });
    root.append(el('h1', { text: 'Plan & Run' }), this.toolbar, this.error, this.planArea, this.runArea, this.announce);
    this.drawToolbar();
    this.drawPlan();
  }

  showError(text: string | undefined): void {
    this.error.textContent = text ?? '';
    this.error.hidden = !text;
  }

  setPlan(plan: PanelPlan | undefined): void {
    this.plan = plan;
    this.drawPlan();
    this.updateButtons();
    if (plan)
      this.say(
        plan.stale ? `The plan is stale: ${plan.stale}` : `Plan of ${plan.createdAt}: ${describeCounts(plan.counts)}`,
      );
  }

  setRun(run: PanelRun): void {
    this.run = run;
    this.steps.clear();
    for (const s of run.steps) this.steps.set(s.id, s);
    this.drawRun();
    this.updateButtons();
    this.say(`Run ${run.runId} started: ${run.steps.length} steps.`);
  }

  /** One step changed: its row and its bar only. */
  updateStep(step: PanelStepRun): void {
    if (!this.run) return;
    this.steps.set(step.id, step);
    const row = this.rows.get(step.id) ?? this.addRow(step);
    this.fillRow(row, step);
    this.drawBar(step);
    if (step.state === 'failed') this.say(`${step.title} failed: ${step.cause ?? ''}`);
  }

  updateCopy(copy: CopyProgress): void {
    if (!this.copyArea) return;
    this.copyArea.textContent = '';
    const bar = el('progress', {
      attrs: { max: String(Math.max(copy.total, 1)), value: String(copy.done), 'aria-label': 'Memory records copied' },
    });
    const text = `${copy.done.toLocaleString('en')} / ${copy.total.toLocaleString('en')} records · ${copy.ratePerSecond.toLocaleString('en')} records/s`;
    this.copyArea.append(el('h3', { text: 'Memory copy' }), bar, el('span', { className: 'copy-text', text }));
  }

  finish(status: RunStatus, summary?: string): void {
    if (this.run) this.run = { ...this.run, status, ...(summary ? { summary } : {}) };
    if (status === 'cancelled') {
      for (const s of this.steps.values()) if (s.state === 'queued') this.updateStep({ ...s, state: 'cancelled' });
    }
    if (this.runHeading) this.runHeading.textContent = this.runTitle();
    this.updateButtons();
    this.say(`Run ${status}. ${summary ?? ''}`);
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.updateButtons();
  }

  /** Elapsed times of running steps and the Gantt's growing bars. */
  tick(): void {
    if (!this.run || this.run.status !== 'running') return;
    for (const step of this.steps.values()) {
      if (step.state !== 'running') continue;
      const row = this.rows.get(step.id);
      if (row) row.time.textContent = elapsed(step, this.now());
      this.drawBar(step);
    }
  }

  private now(): number {
    return this.run ? Date.now() - this.run.startedAtMs : 0;
  }

  private say(text: string): void {
    this.announce.textContent = text;
  }

  private drawToolbar(): void {
    this.executeButton = button('Execute this plan', () => this.ask({ kind: 'execute' }), { id: 'execute' });
    this.cancelButton = button('Cancel run', () => this.ask({ kind: 'cancel' }), { id: 'cancel' });
    this.toolbar.append(
      button('Verify', () => this.ask({ kind: 'verify' }), { id: 'verify' }),
      this.executeButton,
      this.cancelButton,
    );
    this.updateButtons();
  }

  private updateButtons(): void {
    const running = this.run?.status === 'running';
    // A stale plan stays executable from here: the host refuses it and says why.
    this.executeButton.disabled = this.busy || running || !this.plan;
    this.executeButton.title = !this.plan
      ? 'Verify first'
      : this.plan.stale
        ? 'The plan is stale: verify again'
        : 'Execute the plan shown below';
    this.cancelButton.disabled = !running;
  }

  private drawPlan(): void {
    const area = this.planArea;
    area.textContent = '';
    const plan = this.plan;
    area.append(el('h2', { text: 'Plan', attrs: { id: 'plan-heading' } }));
    if (!plan) {
      area.append(
        el('p', {
          className: 'muted',
          text: 'No plan yet: Verify reads every resource (changing nothing) and shows here what Execute would do.',
        }),
      );
      return;
    }
    area.append(
      el('p', {
        attrs: { id: 'plan-meta' },
        text: `Project ${plan.projectId} · planned ${plan.createdAt} · ${describeCounts(plan.counts)}`,
      }),
    );
    if (plan.stale)
      area.append(
        el('p', {
          className: 'stale',
          attrs: { role: 'alert', id: 'plan-stale' },
          text: `The plan is stale: ${plan.stale}.`,
        }),
      );
    if (plan.missingPermissions.length) area.append(this.preflight(plan));
    if (plan.preflightError)
      area.append(el('p', { className: 'muted', text: `Permission preflight skipped: ${plan.preflightError}` }));
    for (const phase of plan.phases) {
      const section = el('section', { className: 'phase', attrs: { 'data-phase': phase.id } });
      const heading = phase.excluded
        ? `${phase.title} — ${phase.excluded}, not planned`
        : `${phase.title} — ${describeCounts(phase.counts)}`;
      section.append(el('h3', { text: heading }));
      if (phase.steps.length) section.append(this.planTable(phase.title, phase.steps));
      area.append(section);
    }
  }

  private preflight(plan: PanelPlan): HTMLElement {
    const box = el('div', { className: 'preflight', attrs: { id: 'preflight' } });
    box.append(el('h3', { text: `Missing permissions (${plan.missingPermissions.length})` }));
    const list = el('ul');
    for (const p of plan.missingPermissions) list.append(el('li', {}, el('code', { text: p })));
    box.append(list, el('p', { text: 'Grant them with a custom role (run as a project owner):' }));
    box.append(el('pre', {}, el('code', { text: plan.grantCommands.join('\n') })));
    return box;
  }

  private planTable(title: string, steps: readonly PanelStep[]): HTMLTableElement {
    const table = el('table', { className: 'plan-table' });
    table.append(el('caption', { className: 'sr-only', text: `${title}: planned steps` }));
    const head = el('tr');
    for (const h of ['Action', 'Step', 'Resource', 'Change'])
      head.append(el('th', { text: h, attrs: { scope: 'col' } }));
    table.append(el('thead', {}, head));
    const body = el('tbody');
    for (const step of steps) body.append(this.planRow(step));
    table.append(body);
    return table;
  }

  private planRow(step: PanelStep): HTMLTableRowElement {
    const row = el('tr', { attrs: { 'data-step': step.id, 'data-action': step.action } });
    const action = el(
      'td',
      {},
      el('span', { className: `badge action-${step.action}`, text: ACTION_MARKS[step.action] }),
    );
    if (step.drift)
      action.append(
        el('span', {
          className: 'badge drift',
          text: step.drift === 'deleted' ? 'deleted outside the tool' : 'changed since the last run',
        }),
      );
    const name = el('td');
    name.append(
      button(step.title, () => this.ask({ kind: 'revealStep', step: step.id }), {
        class: 'link',
        'aria-label': `${step.title}: show in the tree`,
      }),
    );
    name.append(el('div', { className: 'muted id', text: step.id }));
    const resource = el('td');
    if (step.target) resource.append(el('div', { text: step.target }));
    if (step.consoleUrl) resource.append(this.consoleLink(step.consoleUrl, step.title));
    const change = el('td');
    if (step.reason) change.append(el('div', { text: step.reason }));
    if (step.diff.length) {
      const list = el('ul', { className: 'diff' });
      for (const d of step.diff) {
        list.append(
          el(
            'li',
            {},
            el('code', { text: d.field }),
            document.createTextNode(': '),
            el('del', { text: d.live }),
            document.createTextNode(' → '),
            el('ins', { text: d.desired }),
          ),
        );
      }
      change.append(list);
    }
    if (step.missingPermissions.length)
      change.append(el('div', { className: 'muted', text: `Missing: ${step.missingPermissions.join(', ')}` }));
    row.append(action, name, resource, change);
    return row;
  }

  private consoleLink(url: string, title: string): HTMLAnchorElement {
    const a = el('a', {
      className: 'console',
      text: 'Open in the Cloud console',
      attrs: { href: url, 'aria-label': `${title}: open in the Google Cloud console` },
    });
    a.addEventListener('click', (event) => {
      event.preventDefault();
      this.ask({ kind: 'openConsole', url });
    });
    return a;
  }

  private runTitle(): string {
    const run = this.run!;
    return `Run ${run.runId} — ${run.status}${run.summary ? `: ${run.summary}` : ''}`;
  }

  private drawRun(): void {
    const area = this.runArea;
    area.textContent = '';
    this.rows.clear();
    this.bars.clear();
    const run = this.run;
    if (!run) return;
    this.runHeading = el('h2', { attrs: { id: 'run-heading' }, text: this.runTitle() });
    this.copyArea = el('div', { className: 'copy', attrs: { id: 'copy' } });
    this.gantt = document.createElementNS(SVG, 'svg');
    this.gantt.setAttribute('class', 'gantt');
    this.gantt.setAttribute('role', 'img');
    this.gantt.setAttribute('aria-label', 'Timeline of the run: one bar per step, growing while it runs');
    this.gantt.setAttribute('viewBox', '0 0 1000 10');
    this.gantt.setAttribute('preserveAspectRatio', 'none');
    const table = el('table', { className: 'run-table' });
    table.append(el('caption', { className: 'sr-only', text: 'Steps of the run and their state' }));
    const head = el('tr');
    for (const h of ['Step', 'State', 'Time', 'Details', 'Log'])
      head.append(el('th', { text: h, attrs: { scope: 'col' } }));
    table.append(el('thead', {}, head), el('tbody', { attrs: { id: 'run-steps' } }));
    const legend = el('p', { className: 'legend', attrs: { 'aria-hidden': 'true' } });
    for (const [cls, text] of [
      ['running', 'running'],
      ['done', 'done'],
      ['failed', 'failed'],
      ['stopped', 'blocked or cancelled'],
    ]) {
      legend.append(el('span', { className: cls, text }));
    }
    area.append(this.runHeading, this.copyArea, this.gantt, legend, table);
    if (run.copy) this.updateCopy(run.copy);
    for (const step of run.steps) this.updateStep(step);
  }

  private addRow(step: PanelStepRun) {
    const row = el('tr', { attrs: { 'data-step': step.id } });
    const state = el('td', { className: 'state' });
    const time = el('td', { className: 'time' });
    const detail = el('td', { className: 'detail' });
    const title = el('td');
    title.append(
      button(step.title, () => this.ask({ kind: 'revealStep', step: step.id }), {
        class: 'link',
        'aria-label': `${step.title}: show in the tree`,
      }),
    );
    const log = el('td');
    log.append(
      button('Log', () => this.ask({ kind: 'showLog', step: step.id }), {
        class: 'link',
        'aria-label': `${step.title}: show its log lines`,
      }),
    );
    row.append(title, state, time, detail, log);
    this.runArea.querySelector('#run-steps')?.append(row);
    const entry = { row, state, time, detail };
    this.rows.set(step.id, entry);
    return entry;
  }

  private fillRow(
    entry: { row: HTMLTableRowElement; state: HTMLElement; time: HTMLElement; detail: HTMLElement },
    step: PanelStepRun,
  ): void {
    entry.row.setAttribute('data-state', step.state);
    entry.state.textContent = '';
    entry.state.append(el('span', { className: `badge state-${step.state}`, text: stateWords(step) }));
    entry.time.textContent = elapsed(step, this.now());
    entry.detail.textContent = '';
    if (step.cause)
      entry.detail.append(el('div', { className: step.state === 'failed' ? 'cause' : 'muted', text: step.cause }));
    if (step.fix) entry.detail.append(el('div', { className: 'fix', text: `Fix: ${step.fix}` }));
  }

  private drawBar(step: PanelStepRun): void {
    const svg = this.gantt;
    if (!svg || step.startMs === undefined) return;
    let bar = this.bars.get(step.id);
    if (!bar) {
      bar = document.createElementNS(SVG, 'rect');
      const title = document.createElementNS(SVG, 'title');
      title.textContent = step.title;
      bar.appendChild(title);
      bar.setAttribute('y', String(this.bars.size * 12));
      bar.setAttribute('height', '10');
      svg.appendChild(bar);
      this.bars.set(step.id, bar);
      svg.setAttribute('viewBox', `0 0 1000 ${this.bars.size * 12}`);
      svg.style.height = `${Math.min(this.bars.size * 12, 600)}px`;
    }
    const end = step.endMs ?? this.now();
    const span = Math.max(this.now(), end, 1);
    for (const [id, rect] of this.bars) {
      const s = this.steps.get(id)!;
      const start = s.startMs ?? 0;
      const stop = s.endMs ?? this.now();
      rect.setAttribute('x', String((start / span) * 1000));
      rect.setAttribute('width', String(Math.max(((stop - start) / span) * 1000, 2)));
      rect.setAttribute('class', `bar state-${s.state}`);
    }
  }
}

function stateWords(step: PanelStepRun): string {
  const retried = step.retries ? ` · retried ${step.retries} ${step.retries === 1 ? 'time' : 'times'}` : '';
  const did =
    step.state === 'done' && step.did
      ? ` · ${step.did === 'none' ? 'unchanged' : step.did === 'run' ? 'ran' : `${step.did}d`}`
      : '';
  return `${step.state}${did}${retried}`;
}

function elapsed(step: PanelStepRun, now: number): string {
  if (step.startMs === undefined) return '';
  const ms = (step.endMs ?? now) - step.startMs;
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
