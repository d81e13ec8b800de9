/**
 * The floor under a follower's call, measured without the library: a round trip between this
 * page and its own worker (postMessage), and over a BroadcastChannel to a worker in another tab,
 * from this page's worker (the path a follower's call takes: page, own worker, leader's worker)
 * and from this page itself. Cross-origin isolated, for the 5 µs timer.
 */
import { summarize, type LatencySummary } from '../shared/stats.ts';
import { broadcastRoundTrips } from '../shared/broadcast-rtt.ts';

interface Answer {
  op: string;
  done: true;
  result?: LatencySummary;
}

const worker = new Worker(new URL('./hop-worker.ts', import.meta.url), { type: 'module', name: 'bench hop' });

function ask(message: { op: string; channel?: string; count?: number }): Promise<Answer> {
  return new Promise((resolve) => {
    worker.onmessage = (event: MessageEvent<Answer>) => resolve(event.data);
    worker.postMessage(message);
  });
}

const hop = {
  /** Makes this page's worker answer pings on `channel` (it plays the leader's worker). */
  async echo(channel: string): Promise<void> {
    await ask({ op: 'echo', channel });
  },
  /** Round trips page -> own worker -> page. */
  async ownWorker(count: number): Promise<LatencySummary> {
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await ask({ op: 'noop' });
      latencies.push(performance.now() - t0);
    }
    return summarize(latencies);
  },
  /** Round trips over `channel` from this page's worker to the echoing worker of another tab. */
  async workerToWorker(channel: string, count: number): Promise<LatencySummary> {
    return (await ask({ op: 'rtt', channel, count })).result!;
  },
  /** Round trips over `channel` from this page to the echoing worker of another tab. */
  pageToWorker: broadcastRoundTrips,
};

declare global {
  interface Window {
    hop?: typeof hop;
  }
}
window.hop = hop;
window.__benchReady = true;
