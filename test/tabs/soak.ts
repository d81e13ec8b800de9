/**
 * Page side of the chaos soak (scripts/soak.ts, test/tabs/soak.test.ts): one of these runs in
 * every tab. It writes without pause, either a single-row `run` or a three-row `transaction`,
 * every row tagged (tab, grp, kind, part) so a lost, doubled or partial write is visible in the file,
 * and it keeps the outcome of every call, with times, for the Node side to collect.
 */
import { openDatabase, SqliteError, type Database } from 'sqlite-baton';
import * as testing from 'sqlite-baton/testing';
import { FAULT_CHANNEL, type ArmedStep, type FaultMessage } from '../support/fault-protocol.ts';
import { seededRandom } from '../support/seeded-random.ts';

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
let name = '';
let stopped = true;
let grp = 0;
let random: () => number = Math.random;
const writes: SoakWrite[] = [];

// The fault injection of the leader's worker (test/support/fault-injection.ts), for aimed kills.
const faults = new BroadcastChannel(FAULT_CHANNEL);
let armedBy = new Set<string>();
const fired: string[] = [];
faults.onmessage = (event: MessageEvent<FaultMessage>) => {
  const message = event.data;
  if (message.t === 'armed' && message.db === name) armedBy.add(message.worker);
  if (message.t === 'fired' && message.db === name) fired.push(`${message.kind}:${message.step}#${message.nth}`);
};

function codeOf(error: unknown): string {
  if (error instanceof SqliteError) return error.code;
  return `not a SqliteError: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

async function writeOnce(): Promise<void> {
  const w: SoakWrite = { tab, grp: grp++, kind: random() < TX_SHARE ? 'tx' : 'run', start: Date.now() };
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
  async open(db: string): Promise<string> {
    name = db;
    window.db = await openDatabase(db);
    await window.db.exec(
      'CREATE TABLE IF NOT EXISTS soak (tab TEXT NOT NULL, grp INTEGER NOT NULL, kind TEXT NOT NULL, part INTEGER NOT NULL)',
    );
    tab = (await window.db.status()).tabId;
    return tab;
  },

  /** Starts `loops` writers that write one after another until `stop()`; `seed` draws which writes are transactions. */
  start(loops: number, seed?: number): void {
    if (seed !== undefined) random = seededRandom(seed);
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

  /** Arms the fault injection of this database's workers; resolves once `workers` of them said so (or false after 5 s). */
  async armFault(step: ArmedStep, kind: 'group' | 'transaction', nth: number, workers: number): Promise<boolean> {
    armedBy = new Set();
    fired.length = 0;
    faults.postMessage({ t: 'arm', db: name, step, kind, nth } satisfies FaultMessage);
    const giveUp = Date.now() + 5_000;
    while (armedBy.size < workers && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 10));
    return armedBy.size >= workers;
  },

  disarmFault(): void {
    faults.postMessage({ t: 'disarm' } satisfies FaultMessage);
  },

  /** Steps at which a leader stopped since the last arming. */
  fired(): string[] {
    return fired;
  },
};

window.soak = soak;
window.testing = testing;
window.__harnessReady = true;
