/**
 * Multi-tab smoke test: two tabs of ONE browser context share Web Locks, and a lock held by a tab
 * is released when that tab goes away, closed or crashed (the mechanism the leader election is
 * built on).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTabs, type TabsSession } from '../support/tabs.ts';

let tabs: TabsSession;

beforeAll(async () => {
  tabs = await startTabs();
});

afterAll(async () => {
  await tabs?.close();
});

test('a Web Lock held by one tab is seen by another and released when the holder closes', async () => {
  const tab1 = await tabs.openTab();
  const tab2 = await tabs.openTab();

  // Tab 1 takes 'x' and never lets go (the promise never settles).
  await tab1.evaluate(
    () =>
      new Promise<void>((acquired) => {
        void navigator.locks.request('x', () => {
          acquired();
          return new Promise<never>(() => {});
        });
      }),
  );

  // Tab 2 sees it held, and cannot take it right now.
  const state = await tab2.evaluate(async () => {
    const snapshot = await navigator.locks.query();
    const free = await navigator.locks.request('x', { ifAvailable: true }, (lock) => lock !== null);
    return { held: (snapshot.held ?? []).map((lock) => lock.name), free };
  });
  expect(state.held).toContain('x');
  expect(state.free).toBe(false);

  // Tab 2 queues for 'x'; closing tab 1 must hand it over within a few seconds.
  const waited = tab2.evaluate(async () => {
    const start = performance.now();
    await navigator.locks.request('x', async () => {});
    return performance.now() - start;
  });
  await tab1.close();
  const ms = await waited;
  expect(ms).toBeLessThan(5_000);

  const after = await tab2.evaluate(async () => (await navigator.locks.query()).held?.map((lock) => lock.name) ?? []);
  expect(after).not.toContain('x');

  expect(tabs.pageErrors).toEqual([]);
});

test("a Web Lock held by a tab's worker is released when that tab's renderer crashes, and only that tab dies", async () => {
  const tab1 = await tabs.openTab();
  const tab2 = await tabs.openTab();
  const bystander = await tabs.openTab();

  // Tab 1's dedicated worker takes 'crash-lock' and never lets go, as the leader's worker does.
  await tab1.evaluate(
    () =>
      new Promise<void>((acquired) => {
        const source = `navigator.locks.request('crash-lock', () => { postMessage('held'); return new Promise(() => {}); });`;
        const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
        worker.onmessage = () => acquired();
      }),
  );
  const waited = tab2.evaluate(async () => {
    const start = performance.now();
    await navigator.locks.request('crash-lock', async () => {});
    return performance.now() - start;
  });
  await tab1.crash();
  expect(await waited).toBeLessThan(5_000);
  expect(await bystander.evaluate(() => 1 + 1)).toBe(2);
  expect(tabs.pageErrors).toEqual([]);
});
