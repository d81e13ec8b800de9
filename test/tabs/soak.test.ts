/**
 * The chaos soak, short: four tabs write while the leader is killed six times (four in the short form; tab closed,
 * renderer crashed, worker terminated) at random moments. Nothing acknowledged is lost or doubled,
 * no transaction is half applied, the file is intact and no call hangs or fails, except
 * transactions cut by a kill, which applied nothing. Failover times are reported, not asserted.
 * The long run is `npm run soak`.
 */
import { expect, test } from 'vitest';
import { describeReport, runSoak } from '../../scripts/soak.ts';
import { sized } from '../support/short-form.ts';

// Leader kills (each a random one of close, crash, terminate); the short form makes fewer.
const KILLS = sized(6, 4);

test(`four tabs writing through ${KILLS} leader kills: every acknowledged write once, no partial transaction, integrity ok`, async () => {
  const report = await runSoak({ tabs: 4, kills: KILLS, settleTimeout: 10_000 });
  console.log(describeReport(report).join('\n'));

  expect(report.acknowledged).toBeGreaterThan(0);
  expect(report.lost).toEqual([]);
  expect(report.duplicates).toEqual([]);
  expect(report.partial).toEqual([]);
  expect(report.unexpected).toEqual([]);
  expect(report.hung).toBe(0);
  expect(report.integrity).toBe('ok');
  expect(report.pageErrors).toEqual([]);
  expect(report.orphanLeaders).toEqual([]);
  // Every kill was followed by a write that was acknowledged: writing never stopped for good.
  expect(report.failover.samples).toBe(KILLS);
}, 60_000);
