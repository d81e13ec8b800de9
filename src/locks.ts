/**
 * The Web Locks this library uses. A lock is released when the worker holding it goes away
 * (tab closed, crashed, reloaded, worker terminated), which is what makes locks the liveness
 * signal: whoever waits on a peer's lock learns of that peer's death.
 */

/**
 * Web Locks exist only in secure contexts. Without them there is no OPFS either, so the database
 * is a private in-memory one and there is nobody to elect or to watch: holding becomes a no-op
 * and a watched lock is never released.
 */
function locks(): LockManager | undefined {
  return typeof navigator === 'object' ? navigator.locks : undefined;
}

/** The election lock: its holder is the leader and owns the database file. */
export function leaderLockName(db: string): string {
  return `sqlite-baton:${db}:leader`;
}

/** Each worker holds its peer lock for its whole life. */
export function peerLockName(db: string, peerId: string): string {
  return `sqlite-baton:${db}:peer:${peerId}`;
}

/**
 * Takes `name` exclusively and keeps it until `until` settles. Resolves once the lock is held.
 * Never released by hand otherwise: the browser releases it when this worker dies.
 */
export function holdLock(name: string, until: Promise<unknown>): Promise<void> {
  const manager = locks();
  if (!manager) return Promise.resolve();
  return new Promise((held, failed) => {
    manager
      .request(name, () => {
        held();
        return until.catch(() => undefined);
      })
      .catch(failed);
  });
}

/**
 * Resolves when nobody holds `name` any more (at once if nobody does). A shared request is
 * granted only once the exclusive holder is gone; it is given back immediately.
 */
export function whenReleased(name: string, signal?: AbortSignal): Promise<void> {
  const manager = locks();
  if (!manager) return new Promise<void>(() => undefined);
  return manager
    .request(name, { mode: 'shared', signal }, () => undefined)
    .then(
      () => undefined,
      (e: unknown) => {
        if (signal?.aborted) return new Promise<void>(() => undefined);
        throw e;
      },
    );
}
