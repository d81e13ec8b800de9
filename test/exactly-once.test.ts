/**
 * A retried write gets a definite answer, whatever its deadline and whatever it returned: its
 * reply from the request record, APPLIED_WITHOUT_REPLY when that reply was too large to keep, its
 * error when it failed after SQLite kept part of it, or LOCK_TIMEOUT when it was not applied. Two
 * handles in one page: the first leads, the second follows through its own worker, which the
 * test ends the hard way (as a crash would) so that its page retries the call with the same id.
 */
import { describe, expect, it } from 'vitest';
import type { Database } from 'sqlite-baton';
import { allowDirectPath, terminateWorker } from 'sqlite-baton/testing';
import { failure, open } from './support/open.ts';
import { sleep } from './support/sleep.ts';
import { uniqueName } from './support/unique-name.ts';

async function pair(followerOptions?: { lockTimeout: number }): Promise<{ leader: Database; follower: Database }> {
  const name = uniqueName('once');
  const leader = await open({ storage: 'opfs' }, name);
  const follower = await open({ storage: 'opfs', ...followerOptions }, name);
  // Through its own worker, whose death is what these tests are about (not the direct link).
  allowDirectPath(follower, false);
  expect((await follower.status()).role).toBe('follower');
  expect((await follower.status()).path).toBe('forwarded');
  return { leader, follower };
}

/** Polls until the leader's writer queue holds `depth` requests. */
async function queueDepth(leader: Database, depth: number): Promise<void> {
  for (let i = 0; (await leader.status()).queueDepth !== depth; i++) {
    if (i > 500) throw new Error(`the queue never reached ${depth}`);
    await sleep(10);
  }
}

/** Holds the writer with a transaction of the leader's; `release()` lets it commit. */
async function holdWriter(leader: Database): Promise<{ release(): Promise<void> }> {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let begun!: () => void;
  const inTransaction = new Promise<void>((r) => (begun = r));
  const transaction = leader.transaction(async () => {
    begun();
    await gate;
  });
  await inTransaction;
  return {
    release: () => {
      open();
      return transaction;
    },
  };
}

/**
 * Sends `queued` from the follower while the writer is held; ends the follower's worker once the
 * write waits at the leader (so its page sends it again, with the same request id), then lets
 * both copies run.
 */
async function retriedWhileQueued<T>(leader: Database, follower: Database, queued: () => Promise<T>): Promise<PromiseSettledResult<T>> {
  const held = await holdWriter(leader);
  const settled = Promise.allSettled([queued()]).then(([outcome]) => outcome!);
  await queueDepth(leader, 1);
  await terminateWorker(follower);
  await queueDepth(leader, 2);
  await held.release();
  return settled;
}

describe('a retried write', () => {
  it('applied before its worker died, past its deadline, is answered from the record, not LOCK_TIMEOUT', async () => {
    const { leader, follower } = await pair({ lockTimeout: 300 });
    await leader.exec('CREATE TABLE t (n INTEGER)');
    // Starts at once (before its 300 ms deadline) and runs for seconds in the leader's worker.
    const slow = `INSERT INTO t (n) SELECT count(*) FROM (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000000) SELECT i FROM c)`;
    let settled = false;
    const call = follower.run(slow).finally(() => (settled = true));
    await sleep(600);
    // Past the deadline, while the leader runs it: the follower's worker dies, its page asks again.
    expect(settled).toBe(false);
    await terminateWorker(follower);
    expect(await call).toEqual({ changes: 1, lastInsertRowid: 1 });
    expect(await leader.all('SELECT n FROM t')).toEqual([{ n: 3_000_000 }]);
  }, 60_000);

  it('whose reply was too large to keep is applied once and answered APPLIED_WITHOUT_REPLY; the record stays small', async () => {
    const { leader, follower } = await pair();
    await leader.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, b BLOB)');
    const outcome = await retriedWhileQueued(leader, follower, () =>
      follower.get<{ b: Uint8Array }>('INSERT INTO big (b) VALUES (randomblob(5000000)) RETURNING b'),
    );
    expect(outcome.status).toBe('rejected');
    expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'APPLIED_WITHOUT_REPLY' });
    expect(await leader.get('SELECT count(*) AS n, length(b) AS bytes FROM big')).toEqual({ n: 1, bytes: 5_000_000 });
    const largest = await leader.get<{ n: number }>('SELECT max(length(reply)) AS n FROM _baton_requests');
    expect(largest!.n).toBeLessThan(100);
  }, 60_000);

  it('that failed after SQLite kept part of it (INSERT OR FAIL) gets the same error, and the kept rows are not inserted twice', async () => {
    const { leader, follower } = await pair();
    await leader.exec('CREATE TABLE f (x INTEGER CHECK (x < 3))');
    const outcome = await retriedWhileQueued(leader, follower, () => follower.run('INSERT OR FAIL INTO f (x) VALUES (1), (2), (3)'));
    expect(outcome.status).toBe('rejected');
    expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_CHECK' });
    expect(await leader.all('SELECT x FROM f ORDER BY x')).toEqual([{ x: 1 }, { x: 2 }]);
  }, 60_000);

  it('that was not applied by its deadline is LOCK_TIMEOUT, and is never applied', async () => {
    const { leader, follower } = await pair({ lockTimeout: 1_000 });
    await leader.exec('CREATE TABLE late (x)');
    const held = await holdWriter(leader);
    const call = follower.run('INSERT INTO late (x) VALUES (1)');
    await queueDepth(leader, 1);
    await terminateWorker(follower);
    expect((await failure(() => call)).code).toBe('LOCK_TIMEOUT');
    await held.release();
    expect(await leader.all('SELECT x FROM late')).toEqual([]);
  }, 60_000);
});
