/**
 * The migration report of a workspace, from its state file alone: Markdown, and the HTML
 * page the editor's webview or `report --html` shows. Loaded on first use: markdown-it
 * is only paid for by those who ask for a report.
 */
import { InputError } from '../errors';
import type { PhaseInfo } from '../migration/catalog';
import type { MigrationState } from '../migration/state';
import { readStateFile } from '../migration/store';
import { reportPage, standaloneReportPage, type ReportPageOptions } from '../report/html';
import { migrationReport } from '../report/markdown';
import type { StepInfo } from '../report/outcomes';
import { timelineSvg } from '../report/timeline';

export interface ReportRequest {
  /** The editor's webview page (the chart inline); the Markdown then dates itself by the state. */
  readonly page?: ReportPageOptions;
  /** One self-contained page (`report --html`): the stylesheet inline, no script. */
  readonly standalone?: { readonly stylesheet: string; readonly title: string };
  /** The Markdown links the chart under this file name, and `timeline` is the SVG to write there. */
  readonly timelineImage?: string;
  /** Rewrites the Markdown before it is rendered: the editor names its palette commands where the CLI's are. */
  readonly wording?: (text: string) => string;
}

export interface WorkspaceReport {
  readonly projectId: string;
  readonly stateFile: string;
  readonly markdown: string;
  readonly html?: string;
  /** The SVG chart, when a timelineImage was asked for and the state has a run to draw. */
  readonly timeline?: string;
}

export async function readReport(
  stateFile: string,
  projectId: string,
  phases: readonly PhaseInfo[],
  request: ReportRequest = {},
  steps: readonly StepInfo[] = [],
): Promise<WorkspaceReport> {
  const state = await readStateFile(stateFile, projectId);
  if (!state) {
    throw new InputError(`No migration has run for ${projectId} yet (no state file ${stateFile}).`, {
      fix: 'Run orchestra-migrate verify, then orchestra-migrate execute; the report describes what execute did.',
    });
  }
  return { projectId, stateFile, ...renderReport(state, phases, request, steps) };
}

export function renderReport(
  state: MigrationState,
  phases: readonly PhaseInfo[],
  request: ReportRequest,
  steps: readonly StepInfo[] = [],
): Pick<WorkspaceReport, 'markdown' | 'html' | 'timeline'> {
  const timeline = timelineSvg(state, phases, steps);
  const linked = timeline && request.timelineImage ? request.timelineImage : undefined;
  // A page follows the state file: the same state draws the same page.
  const written = migrationReport(state, phases, {
    asOfState: request.page !== undefined,
    steps,
    ...(linked ? { timelineImage: linked } : {}),
  });
  const markdown = request.wording ? request.wording(written) : written;
  const html = request.page
    ? reportPage(markdown, { ...request.page, timeline })
    : request.standalone
      ? standaloneReportPage(markdown, request.standalone.stylesheet, request.standalone.title, timeline)
      : undefined;
  return { markdown, ...(html === undefined ? {} : { html }), ...(linked ? { timeline } : {}) };
}
