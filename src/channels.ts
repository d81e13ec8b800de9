import type { Endpoint } from 'comlink';
import { SqliteError } from './errors.ts';
import { MAX_BATCH, MessageBatch } from './message-batch.ts';

/**
 * How tabs talk. Dedicated workers of different tabs share no MessagePort,
 * SharedWorker is missing on Android Chrome, and BroadcastChannel cannot carry ports, so:
 *
 * - one control channel per database (`sqlite-baton:<db>`) carries the small election messages:
 *   a leader announces itself, a follower discovers it and says hello, the leader welcomes it;
 * - one RPC channel per follower (`sqlite-baton:<db>:rpc:<follower>`) carries comlink traffic
 *   between that follower and the leader only, so a call is cloned once, not into every tab. A
 *   follower is a worker, or a page that talks to the leader directly (one hop fewer). The
 *   messages of one turn travel as one envelope (message-batch.ts).
 *
 * Any same-origin script can post on a BroadcastChannel and messages carry no sender, so every
 * message is validated and addressed (`from`, `to`) and fenced by the leader's epoch; anything
 * else is dropped.
 */

/**
 * The version of the cross-tab protocol. Tabs of one version talk to each other only; but three
 * messages keep their shape in every version from 2 on, so that tabs of different versions can
 * tell each other apart instead of waiting in silence: `discover`, `announce` (a leader says which
 * version it speaks) and `handover` (a newer tab asks an older leader to step down for it).
 */
export const PROTOCOL_VERSION = 2;

/** The first version whose leaders answer a discover of any version and honour a newer tab's handover. */
export const HANDOVER_SINCE = 2;

/** Version 1 leaders answer only a discover of version 1; nothing else of theirs is understood. */
const LEGACY_VERSION = 1;

let spoken = PROTOCOL_VERSION;

/** The version this realm (page or worker) speaks: {@link PROTOCOL_VERSION}, unless a test claims another. */
export function protocolVersion(): number {
  return spoken;
}

/**
 * @internal For tests only: this realm speaks `version` from now on, as a tab of another release
 * of the library would. A page that calls it before `openDatabase` hands it to its worker.
 */
export function speakProtocolVersion(version: number): void {
  spoken = version;
}

/** PROTOCOL_MISMATCH: the leader speaks `theirs`, which this tab cannot talk to. */
export function protocolMismatch(theirs: number): SqliteError {
  return new SqliteError(
    'PROTOCOL_MISMATCH',
    `another tab runs a different version of sqlite-baton (cross-tab protocol ${theirs}, this tab ${spoken}) and leads this ` +
      'database: reload all tabs of this app so that they run the same version',
  );
}

export type ControlMessage =
  /** `v` is the leader's version, which may not be this tab's. */
  | { v: number; t: 'announce'; from: string; epoch: number }
  | { v: number; t: 'discover'; from: string }
  /** A tab of version `v` asks leader `to` (under `epoch`) to step down so that it can lead. */
  | { v: number; t: 'handover'; from: string; to: string; epoch: number }
  | { v: number; t: 'hello'; from: string; to: string; epoch: number }
  | { v: number; t: 'welcome'; from: string; to: string; epoch: number }
  /** A tab migrated the database to schema `version` (see src/migrations/): look at it. */
  | { v: number; t: 'schema'; from: string; version: number };

type Distribute<T> = T extends unknown ? Omit<T, 'v'> : never;
export type ControlPayload = Distribute<ControlMessage>;

interface RpcEnvelope {
  v: number;
  t: 'rpc';
  from: string;
  to: string;
  epoch: number;
  bodies: unknown[];
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

function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= LEGACY_VERSION;
}

/**
 * The control message in `data`, or undefined when it is not one of ours or is malformed. Only
 * the messages whose shape every version keeps are taken from another version.
 */
export function parseControl(data: unknown): ControlMessage | undefined {
  if (!isRecord(data) || !isVersion(data.v) || !isId(data.from)) return undefined;
  const { v, from } = data;
  switch (data.t) {
    case 'discover':
      return { v, t: 'discover', from };
    case 'announce':
      return isEpoch(data.epoch) ? { v, t: 'announce', from, epoch: data.epoch } : undefined;
    case 'handover':
      return v >= HANDOVER_SINCE && isId(data.to) && isEpoch(data.epoch)
        ? { v, t: 'handover', from, to: data.to, epoch: data.epoch }
        : undefined;
  }
  if (v !== spoken) return undefined;
  switch (data.t) {
    case 'hello':
    case 'welcome':
      return isId(data.to) && isEpoch(data.epoch) ? { v, t: data.t, from, to: data.to, epoch: data.epoch } : undefined;
    case 'schema':
      return typeof data.version === 'number' && Number.isSafeInteger(data.version) && data.version >= 0
        ? { v, t: 'schema', from, version: data.version }
        : undefined;
    default:
      return undefined;
  }
}

/** The per-database control channel; several parts of one tab or worker may listen. */
export class ControlChannel {
  private readonly channel: BroadcastChannel;
  private readonly listeners = new Set<(message: ControlMessage) => void>();

  constructor(db: string) {
    this.channel = new BroadcastChannel(`sqlite-baton:${db}`);
    this.channel.onmessage = (event: MessageEvent) => {
      const message = parseControl(event.data);
      if (!message) return;
      for (const listener of [...this.listeners]) listener(message);
    };
  }

  /** Calls `listener` with every valid control message until the returned function is called. */
  listen(listener: (message: ControlMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  post(message: ControlPayload): void {
    this.channel.postMessage({ v: spoken, ...message });
  }

  /** A discover that leaders of version 1 answer (they drop every other version's messages). */
  postLegacyDiscover(from: string): void {
    this.channel.postMessage({ v: LEGACY_VERSION, t: 'discover', from });
  }

  close(): void {
    this.listeners.clear();
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
 * lets through envelopes from `peer`, to `self`, under `epoch`, and of those only the messages
 * that pass `accept`.
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
  const version = spoken;
  const batch = new MessageBatch((bodies) => {
    if (closed) return;
    const envelope: RpcEnvelope = { v: version, t: 'rpc', from: self, to: peer, epoch, bodies };
    channel.postMessage(envelope);
  });
  channel.onmessage = (event: MessageEvent) => {
    const data: unknown = event.data;
    if (!isRecord(data) || data.v !== version || data.t !== 'rpc') return;
    if (data.from !== peer || data.to !== self || data.epoch !== epoch) return;
    const bodies = data.bodies;
    if (!Array.isArray(bodies) || bodies.length > MAX_BATCH) return;
    for (const body of bodies) {
      if (closed || !accept(body)) continue;
      const forwarded = { data: body } as MessageEvent;
      for (const listener of listeners) {
        if (typeof listener === 'function') listener(forwarded);
        else listener.handleEvent(forwarded);
      }
    }
  };
  return {
    postMessage(body: unknown) {
      if (!closed) batch.add(body);
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
