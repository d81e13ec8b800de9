/**
 * Page side of the multi-tab tests: one of these runs in every tab that test/support/tabs.ts
 * opens. Tests drive it with `page.evaluate(...)` and wait for `window.__harnessReady === true`.
 * It exposes the library and a few bookkeeping helpers, nothing that changes its behaviour.
 */
import { openDatabase, SqliteError, type Database, type DatabaseOptions } from 'sqlite-baton';
import * as testing from 'sqlite-baton/testing';

/** Outcome of one write, as the tab saw it. */
interface WriteOutcome {
  seq: number;
  ok: boolean;
  code?: string;
}

declare global {
  interface Window {
    __harnessReady?: boolean;
    __harnessError?: string;
    baton: { openDatabase: typeof openDatabase; SqliteError: typeof SqliteError };
    /** The database this tab opened with `harness.open`. */
    db: Database;
    /** Fault injection (`terminateWorker(db)`, `allowDirectPath(db, allowed)`). */
    testing: typeof testing;
    harness: typeof harness;
  }
}

const harness = {
  /** Opens `name` (with `options`, or a lockTimeout) and creates the shared table the tests write to. */
  async open(name: string, options?: number | DatabaseOptions): Promise<string> {
    window.db = await openDatabase(name, typeof options === 'number' ? { lockTimeout: options } : options);
    await window.db.exec('CREATE TABLE IF NOT EXISTS writes (tab TEXT NOT NULL, seq INTEGER NOT NULL, note TEXT)');
    return (await window.db.status()).tabId;
  },

  /**
   * Makes this tab's calls take one path to the leader: `'forwarded'` through its own worker, or
   * `'direct'` from the page, waiting (up to 10 s) until the page has linked to the leader.
   */
  async usePath(path: 'direct' | 'forwarded'): Promise<void> {
    testing.allowDirectPath(window.db, path === 'direct');
    const until = Date.now() + 10_000;
    while ((await window.db.status()).path !== path) {
      if (Date.now() > until) throw new Error(`this tab's calls did not take the ${path} path within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  },

  outcomes: [] as WriteOutcome[],
  stopped: false,
  /** Set when the page was shown again from the back/forward cache (its state, workers included, kept). */
  shownFromCache: false,

  /** The row count of `writes` as a live query in this tab last delivered it (-1: not yet). */
  watchedCount: -1,
  /** Starts that live query. */
  watchCount(): void {
    window.db.watch<{ n: number }>('SELECT count(*) AS n FROM writes', [], (rows) => (harness.watchedCount = rows[0]!.n));
  },

  /**
   * Runs `writers` concurrent loops, each inserting rows tagged (tab, seq) until `count` rows were
   * attempted; every attempt's outcome is kept so the test can compare with the file.
   */
  async write(tab: string, count: number, writers: number): Promise<WriteOutcome[]> {
    let next = harness.outcomes.length;
    const end = next + count;
    const loop = async () => {
      while (next < end && !harness.stopped) {
        const seq = next++;
        try {
          await window.db.run('INSERT INTO writes (tab, seq) VALUES (?, ?)', [tab, seq]);
          harness.outcomes.push({ seq, ok: true });
        } catch (e) {
          harness.outcomes.push({ seq, ok: false, code: e instanceof SqliteError ? e.code : String(e) });
        }
      }
    };
    await Promise.all(Array.from({ length: writers }, loop));
    return harness.outcomes;
  },

  /** Starts writing in the background; `outcomes` fills as calls settle. */
  startWriting(tab: string, writers: number): void {
    harness.stopped = false;
    void harness.write(tab, 1_000_000, writers);
  },

  stopWriting(): WriteOutcome[] {
    harness.stopped = true;
    return harness.outcomes;
  },

  /** A transaction left open until `release(commit)` is called from the test. */
  release: undefined as undefined | ((commit: boolean) => void),
  txOutcome: undefined as undefined | string,

  openTransaction(tab: string): Promise<void> {
    return new Promise<void>((begun) => {
      window.db
        .transaction(async (tx) => {
          await tx.run('INSERT INTO writes (tab, seq, note) VALUES (?, -1, ?)', [tab, 'uncommitted']);
          begun();
          const commit = await new Promise<boolean>((resolve) => (harness.release = resolve));
          if (!commit) throw new Error('rolled back on purpose');
        })
        .then(
          () => (harness.txOutcome = 'committed'),
          (e: unknown) => (harness.txOutcome = e instanceof SqliteError ? e.code : 'thrown'),
        );
    });
  },
};

try {
  // No check of Web Locks or OPFS here: the storage tests open this page on a non-secure origin on purpose.
  window.baton = { openDatabase, SqliteError };
  window.testing = testing;
  window.harness = harness;
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) harness.shownFromCache = true;
  });
  window.__harnessReady = true;
} catch (error) {
  window.__harnessError = String(error);
  console.error(`harness not ready: ${String(error)}`);
}

export {};
