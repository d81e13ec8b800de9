import { summarize, type LatencySummary } from './stats.ts';

/**
 * Times `count` round trips over the BroadcastChannel `channelName`, one at a time, to whoever
 * answers `{ ping: i }` with `{ pong: i }` there (bench/isolated/hop-worker.ts). Works in pages
 * and in workers.
 */
export async function broadcastRoundTrips(channelName: string, count: number): Promise<LatencySummary> {
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
