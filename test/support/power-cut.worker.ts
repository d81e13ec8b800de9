/**
 * Test-only worker: power cuts. It opens a database as the leader does (opfs-sahpool, power-safe
 * overwrite declared, write combining for 'full'), with test/support/power-cut-storage.ts under
 * write combining, and writes through the leader's own writer and request record the workloads of
 * the crash points (`run`, `batch`, an interactive transaction, groups of 8 calls from 4 callers).
 * The power goes out before a random storage call; the file is reopened, as after a reboot, and
 * checked: integrity_check ok, no write partly there or there twice, and
 *  - 'full': every acknowledged write there;
 *  - 'relaxed': every write acknowledged before the last sync there (synchronous=NORMAL syncs the
 *    log only at checkpoints), and the writes lost are the last acknowledged ones, none before.
 * Everything is drawn from one seed, printed by the callers, so a failing cut can be replayed.
 */
import { expose } from 'comlink';
import { packStatements } from '../../src/batch-wire.ts';
import type { Request } from '../../src/protocol.ts';
import type { Durability } from '../../src/types.ts';
import type { Connection } from '../../worker/engine/connection.ts';
import { connect, loadSqlite } from '../../worker/engine/engine.ts';
import { DB_FILE, takePool } from '../../worker/engine/opfs-engine.ts';
import { declarePowersafeOverwrite } from '../../worker/engine/powersafe-overwrite.ts';
import { combineWrites } from '../../worker/engine/write-combining.ts';
import { RequestLog } from '../../worker/writer/request-log.ts';
import { Writer } from '../../worker/writer/writer.ts';
import { PowerCutStorage, type CutModel } from './power-cut-storage.ts';
import { seededRandom } from './seeded-random.ts';

export type PowerWorkload = 'run' | 'batch' | 'tx' | 'group';

export interface PowerCutOptions {
  name: string;
  seed: number;
  cuts: number;
  /** Cut models to draw from; default drop, tear and reorder. */
  models?: CutModel[];
  durabilities?: Durability[];
  /** Operations per cut (a group of 8 counts as one). */
  operations?: number;
}

export interface CutResult {
  index: number;
  workload: PowerWorkload;
  durability: Durability;
  model: CutModel;
  /** The power went out before this storage call; `calls` were made in all (a cut after the workload: calls < cutBefore). */
  cutBefore: number;
  calls: number;
  syncs: number;
  acknowledged: number;
  /** Acknowledged writes the model must keep, and how many of those, and of all acknowledged ones, are there. */
  required: number;
  requiredPresent: number;
  acknowledgedPresent: number;
  unsynced: { dropped: number; kept: number; torn: number };
  problems: string[];
}

export interface PowerCutReport {
  seed: number;
  cuts: CutResult[];
  failed: number;
  ms: number;
}

const INSERT = 'INSERT INTO w (seq, part) VALUES (?, ?)';
/** A checkpoint every few commits, so cuts land in checkpoints (which overwrite the main file) too. */
const AUTOCHECKPOINT_PAGES = 12;
const WORKLOADS: readonly PowerWorkload[] = ['run', 'batch', 'tx', 'group'];
const SELF = 'power-cut-leader';

interface Opened {
  conn: Connection;
  close(): void;
}

async function openFile(name: string, durability: Durability, fresh: boolean): Promise<{ opened: Opened; storage: PowerCutStorage }> {
  const sqlite3 = await loadSqlite();
  const pool = await takePool(name);
  if (fresh) for (const file of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-journal`]) pool.unlink(file);
  const db = new pool.OpfsSAHPoolDb(DB_FILE);
  // As openOpfsEngine does, with the power-cut layer first, under write combining.
  declarePowersafeOverwrite(sqlite3, db);
  const storage = PowerCutStorage.install(sqlite3, db);
  combineWrites(sqlite3, db, durability === 'full');
  const { connection } = connect(sqlite3, db, durability, true);
  return {
    storage,
    opened: {
      conn: connection,
      close: () => {
        try {
          connection.close();
        } finally {
          pool.pauseVfs();
        }
      },
    },
  };
}

interface Ack {
  seq: number;
  parts: number;
  /** Syncs completed when the write was acknowledged. */
  syncs: number;
}

async function oneCut(options: PowerCutOptions, index: number, random: () => number, calibrated: Map<string, number>): Promise<CutResult> {
  const workload = WORKLOADS[index % WORKLOADS.length]!;
  const durabilities = options.durabilities ?? ['full', 'relaxed'];
  const durability = durabilities[Math.floor(index / WORKLOADS.length) % durabilities.length]!;
  const models = options.models ?? ['drop', 'tear', 'reorder'];
  const model = models[Math.floor(random() * models.length)]!;
  const key = `${workload}/${durability}`;
  const expected = calibrated.get(key);
  // Calibration: the first cut of each workload and durability runs whole, to learn how many calls it makes.
  const cutBefore = expected === undefined ? Number.POSITIVE_INFINITY : 1 + Math.floor(random() * expected);

  const { opened, storage } = await openFile(options.name, durability, true);
  const acks: Ack[] = [];
  let calls = 0;
  let syncs = 0;
  try {
    const conn = opened.conn;
    const log = new RequestLog(conn);
    const epoch = log.open();
    conn.exec(`CREATE TABLE w (seq INTEGER NOT NULL, part INTEGER NOT NULL); PRAGMA wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    conn.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const writer = new Writer(conn, log, { onTransactionStart: () => undefined, onCommit: () => undefined }, epoch);
    let ids = 0;
    const submit = (caller: string, body: object) =>
      writer.submit(caller, { ...body, requestId: `r${index}-${ids++}`, deadline: Date.now() + 60_000, queryTimeout: 10_000 } as Request);
    const acknowledged = (seq: number, parts: number) => () => acks.push({ seq, parts, syncs: storage.syncs });
    let seq = 0;

    storage.arm(cutBefore, model, random);
    const operations = options.operations ?? 10;
    for (let op = 0; op < operations && !storage.isCut; op++) {
      const attempts: Array<Promise<unknown>> = [];
      if (workload === 'run') {
        const s = seq++;
        attempts.push(submit('a', { op: 'run', sql: INSERT, params: [s, 0] }).then(acknowledged(s, 1)));
      } else if (workload === 'batch') {
        const s = seq++;
        const statements = packStatements([0, 1, 2].map((part) => ({ sql: INSERT, params: [s, part] })));
        attempts.push(submit('a', { op: 'batch', statements }).then(acknowledged(s, 3)));
      } else if (workload === 'tx') {
        const s = seq++;
        const txId = `tx${index}-${s}`;
        attempts.push(
          (async () => {
            await submit(SELF, { op: 'begin', txId });
            try {
              for (let part = 0; part < 3; part++) await submit(SELF, { op: 'run', sql: INSERT, params: [s, part], txId });
            } catch (e) {
              await submit(SELF, { op: 'rollback', txId }).catch(() => undefined);
              throw e;
            }
            await submit(SELF, { op: 'commit', txId });
          })().then(acknowledged(s, 3)),
        );
      } else {
        // Eight calls from four callers in one tick: one group, one commit.
        for (let i = 0; i < 8; i++) {
          const s = seq++;
          attempts.push(submit(`caller-${i % 4}`, { op: 'run', sql: INSERT, params: [s, 0] }).then(acknowledged(s, 1)));
        }
      }
      await Promise.allSettled(attempts);
    }
    calls = storage.callCount;
    if (expected === undefined) calibrated.set(key, calls);
    storage.cut();
    syncs = storage.syncs;
    writer.close(new Error('the power went out'));
  } finally {
    try {
      opened.close();
    } catch {
      // A connection whose storage failed may not close cleanly: the reboot is what matters.
    }
  }

  storage.revive();
  const problems: string[] = [];
  let present = new Map<number, { n: number; parts: number }>();
  try {
    const reopened = await openFile(options.name, durability, false);
    try {
      const integrity = reopened.opened.conn
        .query('PRAGMA integrity_check', undefined)
        .rows.map((r) => r.integrity_check)
        .join('; ');
      if (integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);
      const rows = reopened.opened.conn.query(
        'SELECT seq, count(*) AS n, count(DISTINCT part) AS parts FROM w GROUP BY seq',
        undefined,
      ).rows;
      present = new Map(rows.map((r) => [r.seq as number, { n: r.n as number, parts: r.parts as number }]));
    } finally {
      reopened.opened.close();
    }
  } catch (e) {
    problems.push(`the file does not reopen: ${String(e)}`);
  }

  const written = new Map(acks.map((a) => [a.seq, a.parts]));
  for (const [s, row] of present) {
    const parts = written.get(s);
    if (row.parts !== row.n) problems.push(`seq ${s}: a row twice`);
    if (parts !== undefined && row.n !== parts) problems.push(`seq ${s}: ${row.n} of its ${parts} rows`);
    if (parts === undefined && workload !== 'run' && workload !== 'group' && row.n !== 3)
      problems.push(`seq ${s} (in flight): ${row.n} of 3 rows`);
  }
  // 'full': every acknowledged write was flushed. 'relaxed': those acknowledged before a later sync.
  const required = acks.filter((a) => durability === 'full' || a.syncs < syncs);
  const requiredPresent = required.filter((a) => present.has(a.seq)).length;
  if (requiredPresent < required.length) {
    const missing = required.filter((a) => !present.has(a.seq)).map((a) => a.seq);
    problems.push(`${missing.length} acknowledged writes lost that ${durability} keeps: seq ${missing.slice(0, 8).join(', ')}`);
  }
  // What is lost is a tail: the writes acknowledged last, none before a write that survived.
  const firstLost = acks.findIndex((a) => !present.has(a.seq));
  if (firstLost >= 0) {
    const later = acks.slice(firstLost).filter((a) => present.has(a.seq));
    if (later.length > 0) problems.push(`seq ${acks[firstLost]!.seq} lost, yet ${later.length} acknowledged after it survived`);
  }
  return {
    index,
    workload,
    durability,
    model,
    cutBefore,
    calls,
    syncs,
    acknowledged: acks.length,
    required: required.length,
    requiredPresent,
    acknowledgedPresent: acks.filter((a) => present.has(a.seq)).length,
    unsynced: { ...storage.lastCut },
    problems,
  };
}

expose({
  async run(options: PowerCutOptions): Promise<PowerCutReport> {
    const started = Date.now();
    const random = seededRandom(options.seed);
    const calibrated = new Map<string, number>();
    const cuts: CutResult[] = [];
    for (let i = 0; i < options.cuts; i++) cuts.push(await oneCut(options, i, random, calibrated));
    return { seed: options.seed, cuts, failed: cuts.filter((c) => c.problems.length > 0).length, ms: Date.now() - started };
  },
});
