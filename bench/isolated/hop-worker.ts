/**
 * A worker that only moves messages, for the floor under a follower's calls: it echoes on a
 * BroadcastChannel (the leader's side), times round trips over one (the follower's side), and
 * answers its page's postMessage at once (the page-to-worker hop).
 */
import { broadcastRoundTrips } from '../shared/broadcast-rtt.ts';

const scope = globalThis as unknown as DedicatedWorkerGlobalScope;
let echo: BroadcastChannel | undefined;

scope.onmessage = async (event: MessageEvent<{ op: string; channel?: string; count?: number }>) => {
  const { op, channel, count } = event.data;
  if (op === 'echo') {
    echo?.close();
    echo = new BroadcastChannel(channel!);
    echo.onmessage = (e: MessageEvent<{ ping?: number }>) => {
      if (typeof e.data.ping === 'number') echo!.postMessage({ pong: e.data.ping });
    };
    scope.postMessage({ op, done: true });
  } else if (op === 'rtt') {
    scope.postMessage({ op, done: true, result: await broadcastRoundTrips(channel!, count!) });
  } else scope.postMessage({ op, done: true });
};
