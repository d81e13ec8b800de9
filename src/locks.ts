import { hasIndexedDB } from './idb-requests.ts';
import { LeaseLocks } from './lease-locks.ts';

/**
 * The locks this library coordinates tabs with: the leader lock (its holder leads and owns the
 * database) and one liveness lock per peer (whoever waits on it learns of that peer's death). Two
 * implementations behind one seam, chosen once per context:
 *
 * - Web Locks, wherever they exist: a lock is released when the worker holding it goes away (tab
 *   closed, crashed, reloaded, worker terminated), and never before.
 * - Leases kept in IndexedDB (lease-locks.ts), where Web Locks are missing (a non-secure origin:
 *   plain http on a LAN address). A lease is renewed while its holder lives and lapses a few
 *   seconds after it stops (crash, freeze), or at once when its tab says goodbye (pagehide). Unlike
 *   a Web Lock it can be lost while its holder still runs (frozen past the lease): `onLost` says so.
 *
 * Without either (no IndexedDB either), only a private in-memory database can open: holding is a
 * no-op and a watched lock is never released.
 */
export interface LockService {
  readonly kind: 'web-locks' | 'lease' | 'none';
  /**
   * Waits for `name` (exclusively), then holds it as `holder` (a peer id) until `until` settles or
   * the holder dies. Resolves once held; rejects if `signal` aborts first. `onLost` is called if
   * the lock is taken away while held (a lapsed lease; never a Web Lock).
   */
  hold(name: string, holder: string, until: Promise<unknown>, options?: HoldOptions): Promise<void>;
  /**
   * Resolves once this context has let go of `name` (the `until` it held it with settled, and the
   * release is recorded): a worker about to end waits for it, so that the next holder takes over
   * at once instead of when a lease lapses. At once if this context does not hold `name`.
   */
  letGo(name: string): Promise<void>;
  /** Resolves when nobody holds `name` any more (at once if nobody does); never, once `signal` aborts. */
  whenReleased(name: string, signal?: AbortSignal): Promise<void>;
  /** Peer `holder` is going away (its page is being hidden): what it holds is free from now. */
  farewell(holder: string): void;
  /**
   * This context is alive though too busy to renew anything (one long statement): called from
   * SQLite's progress handler, so that a leader busy for longer than a lease is not taken for dead.
   */
  busy(): void;
  /**
   * Who holds `name` now, as this kind of lock can tell: a lease names its holder; a Web Lock only
   * the client (context) holding it, so a caller compares it with another lock's. Undefined: free.
   */
  heldBy(name: string): Promise<LockHolder | undefined>;
}

/** The holder of a lock: the peer id a lease was taken for, or the Web Locks client id. */
export type LockHolder = { readonly holder: string } | { readonly clientId: string };

export interface HoldOptions {
  signal?: AbortSignal;
  onLost?: () => void;
}

/** The election lock: its holder is the leader and owns the database file. */
export function leaderLockName(db: string): string {
  return `sqlite-baton:${db}:leader`;
}

/** Each worker holds its peer lock for its whole life. */
export function peerLockName(db: string, peerId: string): string {
  return `sqlite-baton:${db}:peer:${peerId}`;
}

function webLocks(manager: LockManager): LockService {
  const letting = new Map<string, Promise<void>>();
  return {
    kind: 'web-locks',
    hold(name, _holder, until, options = {}) {
      return new Promise((held, failed) => {
        const request = manager.request(name, { signal: options.signal }, () => {
          held();
          return until.catch(() => undefined);
        });
        letting.set(
          name,
          request.then(
            () => undefined,
            () => undefined,
          ),
        );
        request.catch(failed);
      });
    },
    letGo: (name) => letting.get(name) ?? Promise.resolve(),
    whenReleased(name, signal) {
      // A shared request is granted only once the exclusive holder is gone; it is given back at once.
      return manager
        .request(name, { mode: 'shared', signal }, () => undefined)
        .then(
          () => undefined,
          (e: unknown) => {
            if (signal?.aborted) return new Promise<void>(() => undefined);
            throw e;
          },
        );
    },
    farewell: () => undefined,
    busy: () => undefined,
    async heldBy(name) {
      const { held = [] } = await manager.query();
      const clientId = held.find((lock) => lock.name === name)?.clientId;
      return clientId === undefined ? undefined : { clientId };
    },
  };
}

const noLocks: LockService = {
  kind: 'none',
  hold: () => Promise.resolve(),
  letGo: () => Promise.resolve(),
  whenReleased: () => new Promise<void>(() => undefined),
  farewell: () => undefined,
  busy: () => undefined,
  heldBy: () => Promise.resolve(undefined),
};

let chosen: LockService | undefined;

/** This context's locks: Web Locks where they exist, else leases in IndexedDB, else none. */
export function lockService(): LockService {
  if (!chosen) {
    const manager = typeof navigator === 'object' ? navigator.locks : undefined;
    chosen = manager ? webLocks(manager) : hasIndexedDB() ? new LeaseLocks() : noLocks;
  }
  return chosen;
}

/**
 * Takes `name` exclusively and keeps it until `until` settles. Resolves once the lock is held.
 * Never released by hand otherwise: the browser releases it when this worker dies.
 */
export function holdLock(name: string, holder: string, until: Promise<unknown>, options?: HoldOptions): Promise<void> {
  return lockService().hold(name, holder, until, options);
}

/** Resolves when nobody holds `name` any more (at once if nobody does). */
export function whenReleased(name: string, signal?: AbortSignal): Promise<void> {
  return lockService().whenReleased(name, signal);
}
