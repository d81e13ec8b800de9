/**
 * A worker that only moves messages, for the floor under a follower's calls: it echoes on a
 * BroadcastChannel (the leader's side), times round trips over one (the follower's side), and
 * answers its page's postMessage at once (the page-to-worker hop).
 */
import { summarize } from '../shared/stats.ts';

const scope = globalThis as unknown as DedicatedWorkerGlobalScope;
let echo: BroadcastChannel | undefined;

async function roundTrips(channelName: string, count: number) {
  const channel = new BroadcastChannel(channelName);
  const latencies: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        channel.onmessage = (event: MessageEvent<{ pong?: number }>) => {
          if (event.data.pong === i) resolve();
        };
        channel.postMessage({ ping: i });
      });
      latencies.push(performance.now() - t0);
    }
  } finally {
    channel.close();
  }
  return summarize(latencies);
}

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
    scope.postMessage({ op, done: true, result: await roundTrips(channel!, count!) });
  } else scope.postMessage({ op, done: true });
};
