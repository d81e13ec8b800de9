/**
 * Page side of the crash-point tests (test/tabs/crash-points.test.ts, the soak's aimed kills):
 * one of these runs in every tab. It opens a database, runs one workload on command (run, batch,
 * an interactive transaction, or calls queued to form one group), keeps every call's outcome,
 * arms the leader's fault injection (test/support/fault-injection.ts) and, when the leader's
 * worker says it stopped at the armed step, ends that worker if this tab hosts it and was asked to.
 */
import { openDatabase, SqliteError, type Database } from 'sqlite-baton';
import { terminateWorker } from 'sqlite-baton/testing';
import { FAULT_CHANNEL, type ArmedStep, type FaultMessage } from '../support/fault-protocol.ts';

/** One call as this tab saw it; every row it writes carries its `seq` (unique in the test) and a part. */
export interface CrashCall {
  seq: number;
  kind: 'run' | 'batch' | 'tx' | 'hold';
  /** Rows the call writes when it applies. */
  parts: number;
  ok?: boolean;
  code?: string;
}

declare global {
  interface Window {
    __harnessReady?: boolean;
    db: Database;
    crash: typeof crash;
  }
}

const channel = new BroadcastChannel(FAULT_CHANNEL);
let role: 'leader' | 'follower' = 'follower';
let dbName = '';
let acks = new Set<string>();
/** What this tab does when the leader stops at the armed step, if its worker is the leader. */
let onFired: 'terminate' | 'nothing' = 'nothing';
let releaseHold: (() => void) | undefined;
const calls: CrashCall[] = [];

channel.onmessage = (event: MessageEvent<FaultMessage>) => {
  const message = event.data;
  if (message.t === 'armed' && message.db === dbName) acks.add(message.worker);
  if (message.t === 'fired' && message.db === dbName) {
    crash.fired.push(`${message.kind}:${message.step}#${message.nth}`);
    if (role === 'leader' && onFired === 'terminate') void terminateWorker(window.db);
  }
};

function track(call: CrashCall, work: Promise<unknown>): void {
  calls.push(call);
  work.then(
    () => (call.ok = true),
    (e: unknown) => {
      call.ok = false;
      call.code = e instanceof SqliteError ? e.code : `not a SqliteError: ${String(e)}`;
    },
  );
}

const INSERT = 'INSERT INTO w (seq, part) VALUES (?, ?)';

const crash = {
  /** Steps at which a leader stopped, as `kind:step#nth`, seen by this tab. */
  fired: [] as string[],

  async open(name: string): Promise<string> {
    dbName = name;
    window.db = await openDatabase(name);
    window.db.addEventListener('leaderchange', (event) => (role = event.detail.role));
    await window.db.exec('CREATE TABLE IF NOT EXISTS w (seq INTEGER NOT NULL, part INTEGER NOT NULL)');
    const status = await window.db.status();
    role = status.role;
    return status.tabId;
  },

  async role(): Promise<'leader' | 'follower'> {
    return (await window.db.status()).role;
  },

  /** What this tab does when its worker, leading, stops at the armed step. */
  endOnFire(action: 'terminate' | 'nothing'): void {
    onFired = action;
  },

  /** Arms the fault injection of every worker of this database; resolves once `workers` of them said so. */
  async arm(step: ArmedStep, kind: 'group' | 'transaction', nth: number, workers: number): Promise<void> {
    acks = new Set();
    channel.postMessage({ t: 'arm', db: dbName, step, kind, nth } satisfies FaultMessage);
    const giveUp = Date.now() + 10_000;
    while (acks.size < workers) {
      if (Date.now() > giveUp) throw new Error(`only ${acks.size} of ${workers} workers armed`);
      await new Promise((r) => setTimeout(r, 10));
    }
  },

  disarm(): void {
    channel.postMessage({ t: 'disarm' } satisfies FaultMessage);
  },

  run(seq: number): void {
    track({ seq, kind: 'run', parts: 1 }, window.db.run(INSERT, [seq, 0]));
  },

  batch(seq: number): void {
    const statements = [0, 1, 2].map((part) => ({ sql: INSERT, params: [seq, part] }));
    track({ seq, kind: 'batch', parts: 3 }, window.db.batch(statements));
  },

  tx(seq: number): void {
    track(
      { seq, kind: 'tx', parts: 3 },
      window.db.transaction(async (tx) => {
        for (let part = 0; part < 3; part++) await tx.run(INSERT, [seq, part]);
      }),
    );
  },

  /** Holds the writer with a transaction (writing one row) until `release()`; resolves once it holds it. */
  hold(seq: number): Promise<void> {
    return new Promise<void>((holding) => {
      track(
        { seq, kind: 'hold', parts: 1 },
        window.db.transaction(async (tx) => {
          await tx.run(INSERT, [seq, 0]);
          holding();
          await new Promise<void>((r) => (releaseHold = r));
        }),
      );
    });
  },

  release(): void {
    releaseHold?.();
  },

  async queueDepth(): Promise<number> {
    return (await window.db.status()).queueDepth;
  },

  calls(): CrashCall[] {
    return calls;
  },

  pending(): number {
    return calls.filter((c) => c.ok === undefined).length;
  },
};

window.crash = crash;
window.__harnessReady = true;
