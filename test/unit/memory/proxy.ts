/**
 * A recording HTTP proxy between a memory client and a real local server: it counts
 * requests per route, keeps what each request asked for, and can play an older or a
 * misbehaving server (features hidden, preferences ignored, answers lost or rewritten).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyHooks {
  /** Hide the batch route: drop 'batch' from /api/status features and answer 404 on the route. */
  noBatch?: boolean;
  /** Drop these from /api/status features (the server behind still honours them when asked). */
  hideFeatures?: string[];
  /** Strip the Prefer header before the server sees it: a server that ignores preferences. */
  stripPrefer?: boolean;
  /** Request headers the server never sees (e.g. 'accept': a server that answers JSON whatever is asked). */
  dropRequestHeaders?: string[];
  /** 1-based numbers of batch requests that reach the server but whose answer becomes a 503. */
  loseBatchAnswers?: number[];
  /** Replaces the text of a successful answer on a route, e.g. 'POST /api/memory/batch'. */
  rewrite?: (route: string, text: string) => string;
}

export interface SeenRequest {
  route: string;
  /** Path and query, as sent. */
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface Proxy {
  url: string;
  /** Requests seen per route, e.g. 'POST /api/memory/batch'. */
  counts: Map<string, number>;
  /** Every request, in arrival order. */
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** Answer headers passed on from the server: the body's type, and those the memory API defines. */
const FORWARDED = ['content-type', 'orchestra-next-cursor', 'preference-applied', 'retry-after'];

function pick(headers: http.IncomingHttpHeaders, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

export async function startProxy(target: string, hooks: ProxyHooks = {}): Promise<Proxy> {
  const counts = new Map<string, number>();
  const seen: SeenRequest[] = [];
  const hidden = [...(hooks.hideFeatures ?? []), ...(hooks.noBatch ? ['batch'] : [])];
  const agent = new http.Agent({ keepAlive: true });
  let batches = 0;
  const server = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
      counts.set(route, (counts.get(route) ?? 0) + 1);
      seen.push({ route, url: req.url ?? '/', headers: { ...req.headers } });
      const send = (status: number, payload: Buffer | string, headers: http.IncomingHttpHeaders = {}) => {
        res.writeHead(status, {
          'content-type': 'application/json',
          ...pick(headers, FORWARDED),
          'content-length': Buffer.byteLength(payload),
        });
        res.end(payload);
      };
      const isBatch = route === 'POST /api/memory/batch';
      if (isBatch && hooks.noBatch) return send(404, JSON.stringify({ error: { code: 'not_found', message: 'no' } }));
      const number = isBatch ? ++batches : 0;
      const headers = { ...req.headers };
      if (hooks.stripPrefer) delete headers.prefer;
      for (const name of hooks.dropRequestHeaders ?? []) delete headers[name];
      const upstream = http.request(`${target}${req.url}`, { method: req.method, headers, agent }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          let text = Buffer.concat(chunks).toString('utf8');
          if (number && hooks.loseBatchAnswers?.includes(number)) {
            // The server applied the batch; the client only sees an overloaded server.
            return send(503, JSON.stringify({ error: { code: 'unavailable', message: 'answer lost' } }));
          }
          if (route === 'GET /api/status' && hidden.length) {
            const status = JSON.parse(text) as { features: string[] };
            status.features = status.features.filter((f) => !hidden.includes(f));
            text = JSON.stringify(status);
          }
          const status = answer.statusCode ?? 500;
          if (hooks.rewrite && status < 300) text = hooks.rewrite(route, text);
          send(status, text, answer.headers);
        });
      });
      upstream.on('error', () => res.destroy());
      upstream.end(Buffer.concat(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    seen,
    async close() {
      agent.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
