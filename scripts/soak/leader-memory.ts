/**
 * The leader worker's memory, read through DevTools: its JS heap (Runtime.getHeapUsage on the
 * worker's target) and its wasm heap, which holds SQLite's page cache and statements
 * (`self.__batonProbe`, test/support/fault-injection.ts). The leader is the worker that has made
 * the most COMMITs: only a leader commits. Workers have no `performance.memory`. The JS heap is
 * measured after a garbage collection.
 *
 * Chromium only (capability `worker-memory`, test/support/engine.ts): the session's `devtools()`
 * rejects with the reason in Firefox.
 */
import type { BrowserSession } from '../../test/support/browser-session.ts';
import type { DevToolsSession } from '../../test/support/tab.ts';

export interface LeaderMemory {
  /** The worker's DevTools target id: the same one at start and end means the same leader. */
  target: string;
  jsHeapBytes: number;
  wasmHeapBytes: number;
  commits: number;
}

interface TargetInfo {
  targetId: string;
  type: string;
}

/** Sends one DevTools command to a worker target over the browser session (workers have no page to attach to). */
async function inWorker<T>(cdp: DevToolsSession, targetId: string, method: string, params: object = {}): Promise<T> {
  const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: false });
  try {
    const id = Math.floor(Math.random() * 1e9);
    const answer = new Promise<T>((resolve, reject) => {
      const onMessage = (event: { sessionId: string; message: string }) => {
        const message = JSON.parse(event.message) as { id?: number; result?: T; error?: { message: string } };
        if (event.sessionId !== sessionId || message.id !== id) return;
        cdp.off('Target.receivedMessageFromTarget', onMessage);
        if (message.error) reject(new Error(message.error.message));
        else resolve(message.result as T);
      };
      cdp.on('Target.receivedMessageFromTarget', onMessage);
    });
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) });
    return await answer;
  } finally {
    await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
  }
}

async function evaluate<T>(cdp: DevToolsSession, targetId: string, expression: string): Promise<T> {
  const { result } = await inWorker<{ result: { value: T } }>(cdp, targetId, 'Runtime.evaluate', {
    expression,
    awaitPromise: true,
    returnByValue: true,
  });
  return result.value;
}

export async function leaderMemory(session: BrowserSession): Promise<LeaderMemory> {
  const cdp = await session.devtools();
  try {
    const { targetInfos } = await cdp.send<{ targetInfos: TargetInfo[] }>('Target.getTargets');
    let best: { target: string; commits: number } | undefined;
    for (const { targetId, type } of targetInfos) {
      if (type !== 'worker') continue;
      const commits = await evaluate<number>(cdp, targetId, 'self.__batonProbe ? self.__batonProbe.commits() : -1').catch(() => -1);
      if (!best || commits > best.commits) best = { target: targetId, commits };
    }
    if (!best || best.commits <= 0) throw new Error('no worker has committed: is SQLITE_BATON_FAULTS=1 set for the dev server?');
    // After a full collection, so that what is counted is what the leader keeps.
    await inWorker(cdp, best.target, 'HeapProfiler.collectGarbage');
    const { usedSize } = await inWorker<{ usedSize: number }>(cdp, best.target, 'Runtime.getHeapUsage');
    const { wasmHeapBytes } = await evaluate<{ wasmHeapBytes: number }>(cdp, best.target, 'self.__batonProbe.memory()');
    return { target: best.target, jsHeapBytes: usedSize, wasmHeapBytes, commits: best.commits };
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}
