/**
 * Page side of the chaos soak (scripts/soak.ts, test/tabs/soak.test.ts): one of these runs in
 * every tab. It writes without pause, either a single-row `run` or a three-row `transaction`,
 * every row tagged (tab, grp, kind, part) so a lost, doubled or partial write is visible in the file,
 * and it keeps the outcome of every call, with times, for the Node side to collect.
 */
import { openDatabase, SqliteError, type Database } from 'sqlite-baton';
import * as testing from 'sqlite-baton/testing';

/** One write as this tab saw it. `end` is unset while the call is pending. */
export interface SoakWrite {
  tab: string;
  grp: number;
  kind: 'run' | 'tx';
  start: number;
  end?: number;
  ok?: boolean;
  code?: string;
}

declare global {
  interface Window {
    __harnessReady?: boolean;
    soak: typeof soak;
    db: Database;
    testing: typeof testing;
  }
}

const TX_SHARE = 0.4;

let tab = '';
let stopped = true;
let grp = 0;
const writes: SoakWrite[] = [];

function codeOf(error: unknown): string {
  if (error instanceof SqliteError) return error.code;
  return `not a SqliteError: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

async function writeOnce(): Promise<void> {
  const w: SoakWrite = { tab, grp: grp++, kind: Math.random() < TX_SHARE ? 'tx' : 'run', start: Date.now() };
  writes.push(w);
  try {
    if (w.kind === 'run') {
      await window.db.run("INSERT INTO soak (tab, grp, kind, part) VALUES (?, ?, 'run', 0)", [w.tab, w.grp]);
    } else {
      await window.db.transaction(async (tx) => {
        for (let part = 0; part < 3; part++)
          await tx.run("INSERT INTO soak (tab, grp, kind, part) VALUES (?, ?, 'tx', ?)", [w.tab, w.grp, part]);
      });
    }
    w.ok = true;
  } catch (e) {
    w.ok = false;
    w.code = codeOf(e);
  }
  w.end = Date.now();
}

const soak = {
  /** Opens `name`, creates the table and returns this tab's id. */
  async open(name: string): Promise<string> {
    window.db = await openDatabase(name);
    await window.db.exec(
      'CREATE TABLE IF NOT EXISTS soak (tab TEXT NOT NULL, grp INTEGER NOT NULL, kind TEXT NOT NULL, part INTEGER NOT NULL)',
    );
    tab = (await window.db.status()).tabId;
    return tab;
  },

  /** Starts `loops` writers that write one after another until `stop()`. */
  start(loops: number): void {
    stopped = false;
    for (let i = 0; i < loops; i++) {
      void (async () => {
        while (!stopped) await writeOnce();
      })();
    }
  },

  stop(): void {
    stopped = true;
  },

  /** Every write of this tab, settled or not. */
  all(): SoakWrite[] {
    return writes;
  },

  /** Calls started and not yet settled. */
  pending(): number {
    return writes.filter((w) => w.end === undefined).length;
  },
};

window.soak = soak;
window.testing = testing;
window.__harnessReady = true;
