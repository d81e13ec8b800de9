import type { Endpoint } from 'comlink';

/**
 * How workers of different tabs talk. Dedicated workers of different tabs share no MessagePort,
 * SharedWorker is missing on Android Chrome, and BroadcastChannel cannot carry ports, so:
 *
 * - one control channel per database (`sqlite-baton:<db>`) carries the small election messages:
 *   a leader announces itself, a follower discovers it and says hello, the leader welcomes it;
 * - one RPC channel per follower (`sqlite-baton:<db>:rpc:<follower>`) carries comlink traffic
 *   between that follower and the leader only, so a call is cloned once, not into every tab.
 *
 * Any same-origin script can post on a BroadcastChannel and messages carry no sender, so every
 * message is validated and addressed (`from`, `to`) and fenced by the leader's epoch; anything
 * else is dropped.
 */

const VERSION = 1;

export type ControlMessage =
  | { v: typeof VERSION; t: 'announce'; from: string; epoch: number }
  | { v: typeof VERSION; t: 'discover'; from: string }
  | { v: typeof VERSION; t: 'hello'; from: string; to: string; epoch: number }
  | { v: typeof VERSION; t: 'welcome'; from: string; to: string; epoch: number };

type Distribute<T> = T extends unknown ? Omit<T, 'v'> : never;
export type ControlPayload = Distribute<ControlMessage>;

interface RpcEnvelope {
  v: typeof VERSION;
  t: 'rpc';
  from: string;
  to: string;
  epoch: number;
  body: unknown;
}

const MAX_ID_LENGTH = 128;

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

function isEpoch(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The control message in `data`, or undefined when it is not one of ours or is malformed. */
export function parseControl(data: unknown): ControlMessage | undefined {
  if (!isRecord(data) || data.v !== VERSION || !isId(data.from)) return undefined;
  switch (data.t) {
    case 'discover':
      return { v: VERSION, t: 'discover', from: data.from };
    case 'announce':
      return isEpoch(data.epoch) ? { v: VERSION, t: 'announce', from: data.from, epoch: data.epoch } : undefined;
    case 'hello':
    case 'welcome':
      return isId(data.to) && isEpoch(data.epoch) ? { v: VERSION, t: data.t, from: data.from, to: data.to, epoch: data.epoch } : undefined;
    default:
      return undefined;
  }
}

/** The per-database control channel. */
export class ControlChannel {
  private readonly channel: BroadcastChannel;

  constructor(db: string, onMessage: (message: ControlMessage) => void) {
    this.channel = new BroadcastChannel(`sqlite-baton:${db}`);
    this.channel.onmessage = (event: MessageEvent) => {
      const message = parseControl(event.data);
      if (message) onMessage(message);
    };
  }

  post(message: ControlPayload): void {
    this.channel.postMessage({ v: VERSION, ...message });
  }

  close(): void {
    this.channel.close();
  }
}

/** Name of the RPC channel between `followerId` and whichever worker leads. */
export function rpcChannelName(db: string, followerId: string): string {
  return `sqlite-baton:${db}:rpc:${followerId}`;
}

/** A comlink endpoint that can be closed. */
export interface ClosableEndpoint extends Endpoint {
  close(): void;
}

/**
 * A comlink endpoint over one RPC channel: it sends as `self` to `peer` under `epoch`, and only
 * lets through messages from `peer`, to `self`, under `epoch`, whose body passes `accept`.
 */
export function rpcEndpoint(
  channelName: string,
  self: string,
  peer: string,
  epoch: number,
  accept: (body: unknown) => boolean,
): ClosableEndpoint {
  const channel = new BroadcastChannel(channelName);
  const listeners = new Set<EventListenerOrEventListenerObject>();
  // comlink posts a release message when a dropped proxy is garbage-collected, possibly long
  // after the link was closed: that message has nobody to go to.
  let closed = false;
  channel.onmessage = (event: MessageEvent) => {
    const data: unknown = event.data;
    if (!isRecord(data) || data.v !== VERSION || data.t !== 'rpc') return;
    if (data.from !== peer || data.to !== self || data.epoch !== epoch || !accept(data.body)) return;
    const forwarded = { data: data.body } as MessageEvent;
    for (const listener of listeners) {
      if (typeof listener === 'function') listener(forwarded);
      else listener.handleEvent(forwarded);
    }
  };
  return {
    postMessage(body: unknown) {
      if (closed) return;
      const envelope: RpcEnvelope = { v: VERSION, t: 'rpc', from: self, to: peer, epoch, body };
      channel.postMessage(envelope);
    },
    addEventListener(_type: string, listener: EventListenerOrEventListenerObject) {
      listeners.add(listener);
    },
    removeEventListener(_type: string, listener: EventListenerOrEventListenerObject) {
      listeners.delete(listener);
    },
    close() {
      closed = true;
      listeners.clear();
      channel.close();
    },
  };
}

/** A comlink call the leader accepts: `APPLY` of one of `methods`, with plain (RAW) arguments. */
export function isAllowedCall(body: unknown, methods: ReadonlySet<string>): boolean {
  if (!isRecord(body) || !isId(body.id) || body.type !== 'APPLY') return false;
  const { path, argumentList } = body;
  if (!Array.isArray(path) || path.length !== 1 || typeof path[0] !== 'string' || !methods.has(path[0])) return false;
  if (!Array.isArray(argumentList) || argumentList.length > 4) return false;
  return argumentList.every((arg: unknown) => isRecord(arg) && arg.type === 'RAW' && Object.keys(arg).length === 2);
}

/** A comlink reply a follower accepts: a plain value, or an error through the `throw` handler. */
export function isAllowedReply(body: unknown): boolean {
  if (!isRecord(body) || !isId(body.id)) return false;
  return body.type === 'RAW' || (body.type === 'HANDLER' && body.name === 'throw');
}
