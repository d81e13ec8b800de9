/**
 * The smallest request/answer protocol over a dedicated worker's postMessage, for the bench's
 * own workers (raw sqlite-wasm, the naive setup): one message each way per call, nothing else,
 * so that what is timed is the hop itself.
 */

interface Call {
  id: number;
  op: string;
  args: unknown[];
}

type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { name: string; message: string; code?: string } };

export type Handlers = Record<string, (...args: never[]) => unknown>;

/** Worker side: answers each call with the handler of the same name. */
export function serve(handlers: Handlers): void {
  const scope = globalThis as unknown as DedicatedWorkerGlobalScope;
  scope.onmessage = async (event: MessageEvent<Call>) => {
    const { id, op, args } = event.data;
    let answer: Answer;
    try {
      const handler = handlers[op] as ((...a: unknown[]) => unknown) | undefined;
      if (!handler) throw new Error(`unknown op ${op}`);
      answer = { id, ok: true, value: await handler(...args) };
    } catch (e) {
      const error = e as { name?: string; message?: string; code?: unknown; resultCode?: unknown };
      const text = String(error?.message ?? e);
      const code = typeof error?.code === 'string' ? error.code : /SQLITE_[A-Z_]+/.exec(text)?.[0];
      answer = { id, ok: false, error: { name: String(error?.name ?? 'Error'), message: text, ...(code ? { code } : {}) } };
    }
    scope.postMessage(answer);
  };
}

/** Page side: `call(op, ...args)` resolves with the worker's answer or rejects with its error. */
export function connect(worker: Worker): (op: string, ...args: unknown[]) => Promise<unknown> {
  let next = 0;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  worker.onmessage = (event: MessageEvent<Answer>) => {
    const answer = event.data;
    const waiter = pending.get(answer.id);
    if (!waiter) return;
    pending.delete(answer.id);
    if (answer.ok) waiter.resolve(answer.value);
    else waiter.reject(Object.assign(new Error(answer.error.message), { name: answer.error.name, code: answer.error.code }));
  };
  worker.onerror = (event) => {
    const error = new Error(`worker failed: ${event.message || 'script error'}`);
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  return (op, ...args) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, args } satisfies Call);
    });
}
