/**
 * Test-only, worker side: ends the leader's worker at a chosen step of a commit. The dev server
 * loads this module before the worker entry only when SQLITE_BATON_FAULTS=1 (vite.config.ts).
 *
 * A page arms it over the BroadcastChannel `sqlite-baton-test:faults` with the step, the kind of
 * commit (a group or a transaction) and which occurrence (`nth`, from 1) of that step ends the
 * worker. When it comes, the worker says `fired` on the channel and then spins, so that nothing
 * after the step runs, until its page terminates it (or the test closes or crashes the tab).
 *
 * Steps come from worker/fault-hook.ts, plus one this module counts itself: `between-replies`,
 * after the `nth` message of replies of a group (or transaction) has left the worker (the replies
 * to one tab travel together) and before the next
 * one: replies are posted in microtasks after the commit's synchronous code, so only the posting
 * itself marks the moment.
 *
 * It also answers `self.__batonProbe.memory()`, the leader's memory for the soak.
 */
import { setFaultHook, type CommitKind, type CommitStep } from '../../worker/fault-hook.ts';
import { loadSqlite } from '../../worker/engine/engine.ts';
import { FAULT_CHANNEL, type FaultMessage } from './fault-protocol.ts';
/** A worker nobody ends in this long has been forgotten by its test: stop spinning, loudly. */
const SPIN_LIMIT_MS = 60_000;

const channel = new BroadcastChannel(FAULT_CHANNEL);
const workerName = (self as unknown as { name: string }).name;
const workerId = Math.random().toString(36).slice(2, 10);

let armed: Extract<FaultMessage, { t: 'arm' }> | undefined;
/** Occurrences of the armed step in the current commit. */
let seen = 0;
/** Inside the armed kind's commit, between its COMMIT and the COMMIT's return. */
let committing = false;
/** Replies still to let out before ending, once counting began (`between-replies`). */
let repliesLeft: number | undefined;
/** COMMITs this worker made, armed or not: only a leader commits, so the soak finds the leader's worker by it. */
let commits = 0;

channel.onmessage = (event: MessageEvent<FaultMessage>) => {
  const message = event.data;
  if (message.t === 'arm' && workerName === `sqlite-baton ${message.db}`) {
    armed = message;
    seen = 0;
    committing = false;
    repliesLeft = undefined;
    channel.postMessage({ t: 'armed', db: message.db, worker: workerId } satisfies FaultMessage);
  } else if (message.t === 'fired' || message.t === 'disarm') {
    // One worker per arming: the next leader retries the same calls and must not end too.
    armed = undefined;
    repliesLeft = undefined;
  }
};

function fire(): never {
  const { db, step, kind, nth } = armed!;
  armed = undefined;
  repliesLeft = undefined;
  channel.postMessage({ t: 'fired', db, step, kind, nth } satisfies FaultMessage);
  const until = Date.now() + SPIN_LIMIT_MS;
  while (Date.now() < until) {
    // Nothing after the step may run: wait here for the page to end this worker.
  }
  throw new Error(`fault injection: nobody ended the worker within ${SPIN_LIMIT_MS} ms of ${step} #${nth}`);
}

setFaultHook((step: CommitStep, kind: CommitKind) => {
  if (step === 'after-flush') commits++;
  const target = armed;
  if (!target) return;
  if (kind === 'storage') {
    if (target.step === 'in-flush' && committing) fire();
    return;
  }
  if (kind !== target.kind) return;
  if (step === 'before-begin') seen = 0;
  if (step === 'before-commit') committing = true;
  if (step === 'after-flush') {
    committing = false;
    if (target.step === 'between-replies') repliesLeft = target.nth;
  }
  if (step === target.step && ++seen === target.nth) fire();
});

/** A comlink reply (a plain value, or an error through the `throw` handler). */
function isReply(body: unknown): boolean {
  const type = (body as { type?: unknown } | null)?.type;
  return typeof (body as { id?: unknown } | null)?.id === 'string' && (type === 'RAW' || type === 'HANDLER');
}

/**
 * Whether a posted message carries replies: messages of one turn travel as one (src/message-batch.ts),
 * as a batch to the page on its own port or as an rpc envelope's bodies to a follower.
 */
function carriesReplies(data: unknown): boolean {
  const d = data as { t?: unknown; bodies?: unknown; batch?: unknown } | null;
  const bodies = d?.t === 'rpc' ? d.bodies : d?.batch;
  return Array.isArray(bodies) && bodies.some(isReply);
}

function countReplies<T extends (...args: never[]) => void>(post: T): T {
  return function (this: unknown, ...args: Parameters<T>) {
    post.apply(this, args);
    if (repliesLeft !== undefined && carriesReplies(args[0]) && --repliesLeft === 0) fire();
  } as T;
}

BroadcastChannel.prototype.postMessage = countReplies(BroadcastChannel.prototype.postMessage);
self.postMessage = countReplies(self.postMessage.bind(self) as typeof self.postMessage);

/** The memory of this worker: asked of the leader's worker by the soak. */
(self as unknown as { __batonProbe: unknown }).__batonProbe = {
  commits: () => commits,
  async memory(): Promise<{ wasmHeapBytes: number; jsHeapBytes: number | null }> {
    const sqlite3 = await loadSqlite();
    const js = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
    return { wasmHeapBytes: sqlite3.wasm.heap8u().byteLength, jsHeapBytes: js ? js.usedJSHeapSize : null };
  },
};
