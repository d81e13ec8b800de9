import { completed, openIndexedDB, requested } from './idb-requests.ts';
import type { HoldOptions, LockHolder, LockService } from './locks.ts';

/**
 * Locks as leases in IndexedDB, for contexts without Web Locks (a non-secure origin has none, but
 * has IndexedDB and BroadcastChannel). One record per lock name (`{ holder, expires }`) in the
 * origin's `sqlite-baton:leases` database; taking a lock is a compare-and-set inside one readwrite
 * transaction (IndexedDB runs readwrite transactions on one store one at a time), so two contexts
 * can never both take it.
 *
 * A holder renews all its leases every RENEW_MS in one transaction, each for LEASE_MS. A lease is
 * free once it has lapsed (its holder crashed, or stopped running: a frozen tab), once its holder
 * released it (`released` on the lease channel), or once its holder's page said goodbye on
 * `pagehide` (`bye`): then the others take over at once instead of after the lapse.
 *
 * The renewals are the peers' heartbeats: watching a lock reads its record when its lease is due
 * to lapse, so a watch costs one small read every few seconds, not one per renewal. A holder busy
 * in one long statement cannot renew (IndexedDB is asynchronous, the statement is not), so SQLite's
 * progress handler calls `busy()`, which says `alive` on the lease channel, at most every
 * RENEW_MS: whoever heard it within LEASE_MS counts its leases as held.
 *
 * Times. Background tabs' timers may be throttled to one wake-up a second (workers included, in
 * some browsers), and a leader busy in one long statement renews nothing until it ends: a lease of
 * LEASE_MS = 5 s renewed every second survives both down to 4 missed renewals. A crashed leader is
 * thus replaced about 5 s after its last renewal; a closed or reloaded one at once (`bye`).
 * Correctness does not rest on these times: a leader whose lease lapsed while it still ran is
 * fenced by the storage (page-store.ts), and learns it here (`onLost`) at its next renewal.
 */

const LEASE_MS = 5_000;
const RENEW_MS = 1_000;
const DATABASE = 'sqlite-baton:leases';
const STORE = 'leases';
const CHANNEL = 'sqlite-baton:leases';
const VERSION = 1;

interface Lease {
  holder: string;
  expires: number;
}

type LeaseMessage =
  { v: 1; t: 'released'; name: string; holder: string } | { v: 1; t: 'bye'; holder: string } | { v: 1; t: 'alive'; holder: string };

function isLease(value: unknown): value is Lease {
  const v = value as Partial<Lease> | null;
  return typeof v === 'object' && v !== null && typeof v.holder === 'string' && typeof v.expires === 'number';
}

/** The lease message in `data`, or undefined: any same-origin script can post on the channel. */
function parseMessage(data: unknown): LeaseMessage | undefined {
  const d = data as Record<string, unknown> | null;
  if (typeof d !== 'object' || d === null || d.v !== 1 || typeof d.holder !== 'string' || d.holder.length > 256) return undefined;
  if (d.t === 'bye' || d.t === 'alive') return { v: 1, t: d.t, holder: d.holder };
  if (d.t === 'released' && typeof d.name === 'string' && d.name.length <= 512)
    return { v: 1, t: 'released', name: d.name, holder: d.holder };
  return undefined;
}

/** Waits `ms`, or less: until one of `wake` is called, or `signal` aborts. */
function sleep(ms: number, wake: Set<() => void>, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      wake.delete(done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    wake.add(done);
    signal?.addEventListener('abort', done);
  });
}

export class LeaseLocks implements LockService {
  readonly kind = 'lease';
  private database: Promise<IDBDatabase> | undefined;
  private channel: BroadcastChannel | undefined;
  /** The leases this context holds, by name. */
  private readonly held = new Map<string, { holder: string; onLost?: () => void }>();
  /** Holders whose page said goodbye: whatever they hold is free. */
  private readonly departed = new Set<string>();
  /** When each busy holder last said it was alive. */
  private readonly heard = new Map<string, number>();
  private lastBusy = 0;
  /** Waits (to take or to watch a lease) woken early by any message on the lease channel. */
  private readonly sleepers = new Set<() => void>();
  private renewal: ReturnType<typeof setInterval> | undefined;
  /** Releases under way (or done), by name. */
  private readonly letting = new Map<string, Promise<void>>();

  async hold(name: string, holder: string, until: Promise<unknown>, options: HoldOptions = {}): Promise<void> {
    this.listen();
    for (;;) {
      options.signal?.throwIfAborted();
      const due = await this.tryTake(name, holder);
      if (due === undefined) break;
      await sleep(due, this.sleepers, options.signal);
    }
    this.held.set(name, { holder, onLost: options.onLost });
    this.renewal ??= setInterval(() => void this.renew().catch(() => undefined), RENEW_MS);
    this.letting.set(
      name,
      until
        .catch(() => undefined)
        .then(() => this.release(name, holder))
        .catch(() => undefined),
    );
  }

  letGo(name: string): Promise<void> {
    return this.letting.get(name) ?? Promise.resolve();
  }

  async whenReleased(name: string, signal?: AbortSignal): Promise<void> {
    this.listen();
    for (;;) {
      if (signal?.aborted) return new Promise<void>(() => undefined);
      const tx = (await this.db()).transaction(STORE, 'readonly');
      const lease = await requested(tx.objectStore(STORE).get(name));
      const due = this.dueIn(lease);
      if (due === undefined) return;
      // Read again once the lease is due to lapse, or sooner if its holder says something.
      await sleep(due + 20, this.sleepers, signal);
    }
  }

  async heldBy(name: string): Promise<LockHolder | undefined> {
    const tx = (await this.db()).transaction(STORE, 'readonly');
    const lease = await requested(tx.objectStore(STORE).get(name));
    return isLease(lease) && this.dueIn(lease) !== undefined ? { holder: lease.holder } : undefined;
  }

  busy(): void {
    const now = Date.now();
    if (now - this.lastBusy < RENEW_MS || this.held.size === 0) return;
    this.lastBusy = now;
    for (const holder of new Set([...this.held.values()].map((held) => held.holder))) this.post({ v: 1, t: 'alive', holder });
  }

  farewell(holder: string): void {
    this.departed.add(holder);
    this.post({ v: 1, t: 'bye', holder });
    for (const wake of [...this.sleepers]) wake();
  }

  /** ms until `lease` lapses, or undefined when it is free now. */
  private dueIn(lease: unknown): number | undefined {
    if (!isLease(lease) || this.departed.has(lease.holder)) return undefined;
    const expires = Math.max(lease.expires, (this.heard.get(lease.holder) ?? 0) + LEASE_MS);
    const left = expires - Date.now();
    return left > 0 ? left : undefined;
  }

  /** Takes `name` for `holder` if it is free; else returns ms until it lapses. */
  private async tryTake(name: string, holder: string): Promise<number | undefined> {
    const tx = (await this.db()).transaction(STORE, 'readwrite');
    const done = completed(tx);
    const store = tx.objectStore(STORE);
    const lease = await requested(store.get(name));
    const due = isLease(lease) && lease.holder === holder ? undefined : this.dueIn(lease);
    if (due === undefined) {
      const taken: Lease = { holder, expires: Date.now() + LEASE_MS };
      store.put(taken, name);
    }
    await done;
    return due;
  }

  /** Extends every lease this context holds; a lease another holder took meanwhile is lost. */
  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const tx = (await this.db()).transaction(STORE, 'readwrite');
    const done = completed(tx);
    const store = tx.objectStore(STORE);
    const lost: Array<() => void> = [];
    await Promise.all(
      [...this.held].map(async ([name, { holder, onLost }]) => {
        const lease = await requested(store.get(name));
        if (isLease(lease) && lease.holder === holder && !this.departed.has(holder)) {
          const renewed: Lease = { holder, expires: Date.now() + LEASE_MS };
          store.put(renewed, name);
          return;
        }
        this.held.delete(name);
        if (onLost) lost.push(onLost);
      }),
    );
    await done;
    for (const onLost of lost) onLost();
  }

  private async release(name: string, holder: string): Promise<void> {
    const mine = this.held.get(name);
    if (mine?.holder !== holder) return;
    this.held.delete(name);
    if (this.held.size === 0) {
      clearInterval(this.renewal);
      this.renewal = undefined;
    }
    try {
      const tx = (await this.db()).transaction(STORE, 'readwrite');
      const done = completed(tx);
      const store = tx.objectStore(STORE);
      const lease = await requested(store.get(name));
      if (isLease(lease) && lease.holder === holder) store.delete(name);
      await done;
    } finally {
      this.post({ v: 1, t: 'released', name, holder });
    }
  }

  private db(): Promise<IDBDatabase> {
    this.database ??= openIndexedDB(DATABASE, VERSION, (db) => {
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE);
    });
    return this.database;
  }

  private listen(): void {
    if (this.channel) return;
    this.channel = new BroadcastChannel(CHANNEL);
    this.channel.onmessage = (event: MessageEvent) => {
      const message = parseMessage(event.data);
      if (!message) return;
      if (message.t === 'alive') {
        this.heard.set(message.holder, Date.now());
        return;
      }
      if (message.t === 'bye') {
        this.departed.add(message.holder);
        // This context's own holder was said goodbye to (its page is going): it holds nothing now.
        for (const [name, held] of [...this.held]) {
          if (held.holder !== message.holder) continue;
          this.held.delete(name);
          held.onLost?.();
        }
      }
      for (const wake of [...this.sleepers]) wake();
    };
  }

  private post(message: LeaseMessage): void {
    this.listen();
    this.channel!.postMessage(message);
  }
}
