/**
 * Page side of the migration tests: the migrations an app would ship, by key, so that each tab can
 * open with the list of "its" version of the app; outcomes are reported as plain data. A tab may
 * claim another cross-tab protocol version (`speak`) before it opens, as a newer release would.
 */
import { openDatabase, SqliteError, type Database, type DatabaseOptions, type Migration, type Transaction } from 'sqlite-baton';
import { terminateWorker } from 'sqlite-baton/testing';
import { speakProtocolVersion } from '../../src/channels.ts';

/** What a call ended with, as the tab saw it. */
export type Outcome = { ok: true; value: unknown } | { ok: false; code: string; message: string; resultCode?: number; causeCode?: string };

let releaseGate!: () => void;
const gate = new Promise<void>((resolve) => (releaseGate = resolve));

const catalog: Record<string, Migration> = {
  person: { name: '0001_person', sql: 'CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT NOT NULL)' },
  pet: { name: '0002_pet', sql: 'CREATE TABLE pet (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, name TEXT NOT NULL)' },
  /** A data migration: applied twice, it would leave two rows. */
  tally: {
    name: '0003_tally',
    checksum: 'tally-1',
    async up(tx) {
      await tx.exec('CREATE TABLE tally (by TEXT NOT NULL)');
      await tx.run('INSERT INTO tally (by) VALUES (?)', [location.hash || 'a tab']);
    },
  },
  /** Inserts a row, then waits for `openGate()` before the next: a kill can land inside it. */
  gated: {
    name: '0003_gated',
    async up(tx: Transaction) {
      await tx.exec('CREATE TABLE gated (step INTEGER NOT NULL)');
      await tx.run('INSERT INTO gated (step) VALUES (1)');
      harness.gateReached = true;
      await gate;
      await tx.run('INSERT INTO gated (step) VALUES (2)');
    },
  },
  after: { name: '0004_after', sql: 'CREATE TABLE after_gated (x)' },
  broken: { name: '0002_broken', sql: 'CREATE TABLE half_made (x); CREATE TABLE broken (' },
};

function outcomeOf(error: unknown): Outcome {
  if (!(error instanceof SqliteError)) return { ok: false, code: `not a SqliteError: ${String(error)}`, message: String(error) };
  const cause = error.cause instanceof SqliteError ? error.cause.code : undefined;
  return {
    ok: false,
    code: error.code,
    message: error.message,
    ...(error.resultCode === undefined ? {} : { resultCode: error.resultCode }),
    ...(cause === undefined ? {} : { causeCode: cause }),
  };
}

async function settle(call: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await call };
  } catch (e) {
    return outcomeOf(e);
  }
}

type OpenOptions = Pick<DatabaseOptions, 'allowNewerSchema' | 'onVersionChange' | 'lockTimeout'>;

const harness = {
  db: undefined as Database | undefined,
  versionChanges: [] as Array<{ oldVersion: number; newVersion: number }>,
  gateReached: false,
  opening: undefined as Promise<Outcome> | undefined,
  pending: undefined as Promise<Outcome> | undefined,

  /** Opens `name` with the catalog's migrations `keys` (none: without the option); resolves to the outcome. */
  open(name: string, keys?: string[], options: OpenOptions = {}): Promise<Outcome> {
    const migrations = keys?.map((key) => catalog[key]!);
    return settle(
      openDatabase(name, { ...options, ...(migrations ? { migrations } : {}) }).then(async (db) => {
        harness.db = db;
        db.addEventListener('versionchange', (event) => harness.versionChanges.push(event.detail));
        return (await db.status()).tabId;
      }),
    );
  },

  /** Starts opening and keeps the outcome in `opening`, for tabs that must start together. */
  startOpening(name: string, keys?: string[], options?: OpenOptions): void {
    harness.opening = harness.open(name, keys, options);
  },

  run: (sql: string, params?: unknown[]) => settle(harness.db!.run(sql, params as never)),
  all: (sql: string) => settle(harness.db!.all(sql)),
  status: () => harness.db!.status(),

  /** Starts a write and keeps its outcome in `pending`. */
  startRun(sql: string): void {
    harness.pending = harness.run(sql);
  },

  held: undefined as Transaction | undefined,
  async holdWriter(): Promise<void> {
    harness.held = await harness.db!.begin();
  },
  releaseWriter: () => harness.held!.commit(),
  /** A statement inside the transaction `holdWriter` began. */
  heldRun: (sql: string) => settle(harness.held!.run(sql)),

  openGate: () => releaseGate(),
  terminateWorker: () => terminateWorker(harness.db!),
  speak: (version: number) => speakProtocolVersion(version),
};

declare global {
  interface Window {
    __harnessReady?: boolean;
    __harnessError?: string;
    migrations: typeof harness;
  }
}

try {
  window.migrations = harness;
  window.__harnessReady = true;
} catch (error) {
  window.__harnessError = String(error);
}
