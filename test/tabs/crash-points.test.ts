/**
 * Crash points: the leader's worker is ended (or its tab closed) at each step of a commit in turn
 * (before BEGIN, after each write, before COMMIT, inside the storage's flush, after the flush
 * before any reply, between two replies of one group) for `run`, `batch`, an interactive
 * transaction and a group of 8 calls from 4 tabs. After each: every acknowledged write present
 * exactly once, every rejected one absent (only a cut transaction may be rejected, with
 * TRANSACTION_ABORTED), no call unsettled, integrity_check ok. See test/support/crash-points.ts.
 * The same on IndexedDB storage at the steps around its save: COMMIT returned in memory, the
 * save's IndexedDB transaction under way, the save done before any reply.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  allCrashPoints,
  CrashCluster,
  CRASH_PATH,
  describePoint,
  indexedDBCrashPoints,
  shortCrashPoints,
  type KillKind,
} from '../support/crash-points.ts';
import { sized } from '../support/short-form.ts';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

// Before the dev server starts: its worker entry then loads the fault injection (vite.config.ts).
process.env.SQLITE_BATON_FAULTS = '1';
const tabs = useTabs({ beforeAll, afterAll }, { path: CRASH_PATH });

afterAll(() => {
  delete process.env.SQLITE_BATON_FAULTS;
});

let cluster: CrashCluster;
beforeAll(async () => {
  cluster = await CrashCluster.start(tabs(), uniqueName('crash'));
}, 60_000);

// Kills alternate: the worker terminated (its tab stays and retries its own calls), the tab closed.
// The short form leaves out the middle ones of repeated steps (shortCrashPoints).
const points = sized(allCrashPoints(), shortCrashPoints(allCrashPoints())).map((point, i) => ({
  point,
  kill: (i % 2 === 0 ? 'terminate' : 'close') as KillKind,
}));

test.each(points.map(({ point, kill }) => [describePoint(point), kill, point] as const))('%s (%s)', async (_, kill, point) => {
  const result = await cluster.runPoint(point, kill);
  expect(result.problems).toEqual([]);
});

describe('on IndexedDB, around the save after each commit', () => {
  let idbCluster: CrashCluster;
  beforeAll(async () => {
    idbCluster = await CrashCluster.start(tabs(), uniqueName('crash-idb'), undefined, 'indexeddb');
  }, 60_000);

  const idbPoints = indexedDBCrashPoints().map((point, i) => ({ point, kill: (i % 2 === 0 ? 'terminate' : 'close') as KillKind }));
  test.each(idbPoints.map(({ point, kill }) => [describePoint(point), kill, point] as const))('%s (%s)', async (_, kill, point) => {
    const result = await idbCluster.runPoint(point, kill);
    expect(result.problems).toEqual([]);
  });
});
