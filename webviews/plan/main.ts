/**
 * The Plan & Run panel in the webview: the protocol client, the view, and the clock that
 * makes running steps' times and bars grow. The host sends data only; this draws it.
 */
import type { HostMessage, WebviewMessage } from '../../src/shared/plan-protocol';
import { PanelClient } from './client';
import './plan.css';
import { PanelView } from './view';

declare function acquireVsCodeApi(): { postMessage(message: WebviewMessage): void };

const vscode = acquireVsCodeApi();
const root = document.getElementById('app')!;
let view: PanelView | undefined;

const client = new PanelClient(
  { post: (m) => vscode.postMessage(m), listen: (l) => window.addEventListener('message', (e) => l(e.data)) },
  (message) => handle(message),
  (data) => console.warn('Plan & Run: dropped a message outside the protocol', data),
);

const ask: ConstructorParameters<typeof PanelView>[1] = (request) => {
  view?.showError(undefined);
  const long = request.kind === 'verify' || request.kind === 'execute';
  if (long) view?.setBusy(true);
  client
    .request(request)
    .catch((error: Error) => view?.showError(error.message))
    .finally(() => long && view?.setBusy(false));
};

function handle(message: HostMessage): void {
  view ??= new PanelView(root, ask);
  switch (message.type) {
    case 'init':
      view.setPlan(message.plan);
      if (message.run) view.setRun(message.run);
      break;
    case 'plan':
      view.setPlan(message.plan);
      break;
    case 'run':
      view.setRun(message.run);
      break;
    case 'step': {
      view.updateStep(message.step);
      const { id, state } = message.step;
      // After the browser laid the row out: what the user can see.
      requestAnimationFrame(() => client.shown({ type: 'shown', step: id, state, sentAtMs: message.sentAtMs }));
      break;
    }
    case 'copy':
      view.updateCopy(message.copy);
      break;
    case 'run-finished':
      view.finish(message.status, message.summary);
      break;
    case 'reply':
      break;
  }
}

setInterval(() => view?.tick(), 500);
client.start();
