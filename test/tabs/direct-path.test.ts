/**
 * A follower page talks to the leader's worker directly once it knows the leader (one hop fewer
 * than through its own worker), with the same guarantees; calls made in one turn travel as one
 * message each way.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sleep } from '../support/sleep.ts';
import type { Tab as Page } from '../support/tab.ts';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll });

async function openTab(name: string): Promise<{ page: Page; tab: string }> {
  const page = await tabs().openTab();
  const tab = await page.evaluate((n) => window.harness.open(n), name);
  return { page, tab };
}

test("a follower's page links to the leader directly; the leader's own tab stays local", async () => {
  const name = uniqueName('direct');
  const leader = await openTab(name);
  const follower = await openTab(name);
  await follower.page.evaluate(() => window.harness.usePath('direct'));
  expect((await leader.page.evaluate(() => window.db.status())).path).toBe('local');
  await follower.page.evaluate((t) => window.db.run('INSERT INTO writes (tab, seq) VALUES (?, 1)', [t]), follower.tab);
  const rows = await leader.page.evaluate(() => window.db.all('SELECT tab, seq FROM writes'));
  expect(rows).toEqual([{ tab: follower.tab, seq: 1 }]);
});

test.each([
  ['direct', 'committed', 1],
  ['forwarded', 'TRANSACTION_ABORTED', 0],
] as const)("a follower's worker dying inside its transaction (%s path): %s", async (path, expected, rowsAfter) => {
  const name = uniqueName('worker-dies');
  const leader = await openTab(name);
  const follower = await openTab(name);
  await follower.page.evaluate((p) => window.harness.usePath(p), path);
  await follower.page.evaluate((t) => window.harness.openTransaction(t), follower.tab);
  await follower.page.evaluate(() => window.testing.terminateWorker(window.db));
  await follower.page.evaluate(() => window.harness.release!(true));
  await follower.page.waitForFunction(() => window.harness.txOutcome !== undefined);
  // Over the direct link the transaction never touched the worker that died.
  expect(await follower.page.evaluate(() => window.harness.txOutcome)).toBe(expected);
  const count = await leader.page.evaluate(() => window.db.get<{ n: number }>('SELECT count(*) AS n FROM writes'));
  expect(count?.n).toBe(rowsAfter);
});

test('calls made in one turn travel to the leader as one message, and come back as one', async () => {
  const name = uniqueName('one-message');
  await openTab(name);
  const follower = await openTab(name);
  await follower.page.evaluate(() => window.harness.usePath('direct'));
  const observer = await tabs().openTab();
  // Any tab of the origin can listen on a follower's RPC channel: count what crosses it.
  await observer.evaluate((channel) => {
    const seen: Array<{ from: string; bodies: number }> = [];
    (window as unknown as { seen: typeof seen }).seen = seen;
    new BroadcastChannel(channel).onmessage = (e: MessageEvent) => seen.push({ from: e.data.from, bodies: e.data.bodies.length });
  }, `sqlite-baton:${name}:rpc:${follower.tab}~page`);
  const answers = await follower.page.evaluate(() =>
    Promise.all(Array.from({ length: 20 }, (_, i) => window.db.get<{ v: number }>('SELECT ? AS v', [i]))),
  );
  expect(answers.map((a) => a?.v)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  await observer.waitForFunction(() => (window as unknown as { seen: unknown[] }).seen.length >= 2);
  const seen = await observer.evaluate(() => (window as unknown as { seen: Array<{ from: string; bodies: number }> }).seen);
  expect(seen).toEqual([
    { from: `${follower.tab}~page`, bodies: 20 },
    { from: expect.not.stringMatching(`^${follower.tab}`), bodies: 20 },
  ]);
});

test("after the leader's tab closes, a follower links directly to the new leader", async () => {
  const name = uniqueName('relink');
  const first = await openTab(name);
  const b = await openTab(name);
  const c = await openTab(name);
  await b.page.evaluate(() => window.harness.usePath('direct'));
  await c.page.evaluate(() => window.harness.usePath('direct'));
  await first.page.close();
  const paths = async () => Promise.all([b, c].map(({ page }) => page.evaluate(async () => (await window.db.status()).path)));
  const until = Date.now() + 15_000;
  while ((await paths()).sort().join() !== 'direct,local') {
    if (Date.now() > until) throw new Error(`paths stayed ${(await paths()).join()}`);
    await sleep(50);
  }
  for (const { page, tab } of [b, c]) await page.evaluate((t) => window.db.run('INSERT INTO writes (tab, seq) VALUES (?, 1)', [t]), tab);
  const count = await b.page.evaluate(() => window.db.get<{ n: number }>('SELECT count(*) AS n FROM writes'));
  expect(count?.n).toBe(2);
});
