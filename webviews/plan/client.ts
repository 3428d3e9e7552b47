/**
 * The webview's end of the protocol (src/shared/plan-protocol.ts): says `ready` once,
 * checks every host message before anyone sees it, and turns requests into promises
 * settled by the host's reply with the same id.
 */
import {
  isHostMessage,
  PROTOCOL_VERSION,
  type HostMessage,
  type PanelRequest,
  type WebviewMessage,
} from '../../src/shared/plan-protocol';

export interface Transport {
  post(message: WebviewMessage): void;
  /** Every message event's data, as received. */
  listen(listener: (data: unknown) => void): void;
}

export class PanelClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(): void; reject(error: Error): void }>();

  constructor(
    private readonly transport: Transport,
    private readonly onMessage: (message: HostMessage) => void,
    private readonly onDropped: (data: unknown) => void = () => undefined,
  ) {}

  /** Listens, then tells the host it may send (the ready handshake). */
  start(): void {
    this.transport.listen((data) => this.receive(data));
    this.transport.post({ type: 'ready', protocol: PROTOCOL_VERSION });
  }

  request(request: PanelRequest): Promise<void> {
    const requestId = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.transport.post({ type: 'request', requestId, request });
    });
  }

  /** Tells the host a step update is on screen (the bench's clock). */
  shown(message: Extract<WebviewMessage, { type: 'shown' }>): void {
    this.transport.post(message);
  }

  private receive(data: unknown): void {
    if (!isHostMessage(data)) {
      this.onDropped(data);
      return;
    }
    if (data.type === 'reply') {
      const waiting = this.pending.get(data.requestId);
      this.pending.delete(data.requestId);
      if (data.ok) waiting?.resolve();
      else waiting?.reject(new Error(data.error));
      return;
    }
    this.onMessage(data);
  }
}
