/**
 * IndexedDB storage with several tabs. On a non-secure origin (http://insecure.test, mapped to the
 * local dev server: no OPFS, no Web Locks) the default storage is IndexedDB and the tabs elect
 * their leader with leases kept in IndexedDB; on a secure origin `storage: 'indexeddb'` runs the
 * same back end with Web Locks. Either way: one leader, concurrent writes with no errors, every
 * acknowledged write kept exactly once across tab closes, crashes and reloads, and a leader
 * stalled past its lease can never write again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BrowserContext, Page as PlaywrightPage } from 'playwright';
import { CHROMIUM_ARGS, resolveChromium } from '../support/chromium.ts';
import type { DatabaseOptions } from 'sqlite-baton';
import { leaderOf, rowsByKey, type HarnessTab as Tab } from '../support/harness-tabs.ts';
import { HARNESS_PATH } from '../support/browser-session.ts';
import { engineFromEnv } from '../support/engine.ts';
import type { Tab as Page } from '../support/tab.ts';
import { testWith, until, useTabs } from '../support/tabs.ts';
import { sleep } from '../support/sleep.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll }, { hostAliases: ['insecure.test'] });

interface Origin {
  label: string;
  url: () => string;
  options: DatabaseOptions;
  locks: 'lease' | 'web-locks';
}

const LEASES: Origin = {
  label: 'a non-secure origin (leases)',
  url: () => `http://insecure.test:${new URL(tabs().baseUrl).port}${HARNESS_PATH}`,
  options: {},
  locks: 'lease',
};

const WEB_LOCKS: Origin = {
  label: "a secure origin with storage: 'indexeddb' (Web Locks)",
  url: () => HARNESS_PATH,
  options: { storage: 'indexeddb' },
  locks: 'web-locks',
};

async function openTab(origin: Origin, name: string, options: DatabaseOptions = {}): Promise<Tab> {
  const page = await tabs().openTab(origin.url());
  const tab = await page.evaluate(([n, o]) => window.harness.open(n, o), [name, { ...origin.options, ...options }] as const);
  return { page, tab };
}

/** Stops every tab's writers and collects what each call answered. */
async function stopAll(open: Tab[]): Promise<{ acknowledged: string[]; failures: string[] }> {
  const acknowledged: string[] = [];
  const failures: string[] = [];
  for (const { page, tab } of open) {
    const outcomes = await page.evaluate(() => window.harness.stopWriting());
    for (const o of outcomes) {
      if (o.ok) acknowledged.push(`${tab}/${o.seq}`);
      else failures.push(`${tab}/${o.seq}: ${o.code}`);
    }
  }
  return { acknowledged, failures };
}

/** Lets the calls still in flight after stopAll settle before the tabs close. */
async function settled(): Promise<void> {
  await sleep(1_500);
}

/** Closes every tab, then reads the database from a fresh one: what IndexedDB kept. */
async function reopened(origin: Origin, name: string, open: Tab[]): Promise<Map<string, number>> {
  for (const { page } of open) await page.close();
  const reader = await openTab(origin, name);
  const rows = await rowsByKey(reader.page);
  await reader.page.close();
  return rows;
}

test('the non-secure origin has IndexedDB but neither OPFS nor Web Locks, and opens in IndexedDB', async () => {
  const { page } = await openTab(LEASES, uniqueName('idb-check'));
  const seen = await page.evaluate(async () => ({
    secure: isSecureContext,
    locks: 'locks' in navigator,
    indexedDB: typeof indexedDB,
    storage: window.db.storage,
  }));
  expect(seen).toEqual({ secure: false, locks: false, indexedDB: 'object', storage: 'indexeddb' });
  await page.close();
});

describe.each([LEASES, WEB_LOCKS])('IndexedDB on $label', (origin) => {
  test('four tabs write at once: one leader, no errors, every acknowledged write kept once after every tab closed', async () => {
    const name = uniqueName('idb-writes');
    const open: Tab[] = [];
    for (let i = 0; i < 4; i++) open.push(await openTab(origin, name));
    const statuses = await Promise.all(open.map(({ page }) => page.evaluate(() => window.db.status())));
    expect(statuses.filter((s) => s.role === 'leader')).toHaveLength(1);
    expect(new Set(statuses.map((s) => s.leaderId)).size).toBe(1);
    expect(statuses.every((s) => s.storage === 'indexeddb')).toBe(true);
    // A live query in a follower follows every tab's commits on this back end too.
    const watcher = open.find((_, i) => statuses[i]!.role === 'follower')!.page;
    await watcher.evaluate(() => window.harness.watchCount());

    await Promise.all(open.map(({ page, tab }) => page.evaluate((t) => window.harness.write(t, 60, 3), tab)));
    const { acknowledged, failures } = await stopAll(open);
    expect(failures).toEqual([]);
    expect(acknowledged).toHaveLength(240);
    await until(async () => (await watcher.evaluate(() => window.harness.watchedCount)) === 240, "the follower's live count at 240");

    const kept = await reopened(origin, name, open);
    expect(acknowledged.filter((key) => kept.get(key) !== 1)).toEqual([]);
    expect(kept.size).toBe(240);
  });

  test('the leader tab closed twice while the others write: nothing lost, nothing twice, no errors', async () => {
    const name = uniqueName('idb-close');
    const open: Tab[] = [];
    for (let i = 0; i < 3; i++) open.push(await openTab(origin, name));
    for (const { page, tab } of open) await page.evaluate((t) => window.harness.startWriting(t, 2), tab);
    const ackedByClosed: string[] = [];
    for (let kill = 0; kill < 2; kill++) {
      await sleep(800);
      const leader = await leaderOf(open);
      // What the closing tab was told before it went; its calls still in flight are nobody's now.
      ackedByClosed.push(...(await stopAll([leader])).acknowledged);
      await leader.page.close();
      open.splice(open.indexOf(leader), 1);
      const replacement = await openTab(origin, name);
      await replacement.page.evaluate((t) => window.harness.startWriting(t, 2), replacement.tab);
      open.push(replacement);
    }
    await sleep(800);
    const { acknowledged, failures } = await stopAll(open);
    await settled();
    const kept = await reopened(origin, name, open);

    expect(failures).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect([...ackedByClosed, ...acknowledged].filter((key) => kept.get(key) !== 1)).toEqual([]);
    expect([...kept.values()].filter((n) => n > 1)).toEqual([]);
  });

  testWith('crash')(
    "the leader's renderer crashes while the others write: they take over, nothing lost, nothing twice, no errors",
    async () => {
      const name = uniqueName('idb-crash');
      const leader = await openTab(origin, name);
      const others = [await openTab(origin, name), await openTab(origin, name)];
      expect((await leader.page.evaluate(() => window.db.status())).role).toBe('leader');
      for (const { page, tab } of others) await page.evaluate((t) => window.harness.startWriting(t, 2), tab);
      await sleep(800);
      await leader.page.crash();
      // Leases lapse about 5 s after the crash (Web Locks: at once); writes carry on after that.
      await leaderOf(others);
      const before = await others[0]!.page.evaluate(() => window.harness.outcomes.length);
      await others[0]!.page.waitForFunction((n) => window.harness.outcomes.length > n + 20, before, { timeout: 30_000 });
      const { acknowledged, failures } = await stopAll(others);
      await settled();
      const kept = await reopened(origin, name, others);

      expect(failures).toEqual([]);
      expect(acknowledged.filter((key) => kept.get(key) !== 1)).toEqual([]);
      expect([...kept.values()].filter((n) => n > 1)).toEqual([]);
    },
  );

  testWith('crash')("a crashed tab's open transaction is rolled back, and the others write on", async () => {
    const name = uniqueName('idb-tx');
    const leader = await openTab(origin, name);
    const holder = await openTab(origin, name);
    await holder.page.evaluate((t) => window.harness.openTransaction(t), holder.tab);
    await holder.page.crash();
    // The leader learns of the death (lease lapse, or the Web Lock's release) and rolls back.
    const written = await leader.page.evaluate(async (t) => {
      await window.db.run('INSERT INTO writes (tab, seq) VALUES (?, 1)', [t]);
      return window.db.all<{ seq: number }>('SELECT seq FROM writes ORDER BY seq');
    }, leader.tab);
    expect(written).toEqual([{ seq: 1 }]);
    await leader.page.close();
  });
});

describe('IndexedDB on a non-secure origin, leases only', () => {
  test('every tab reloaded at once: the data is there, and a new leader serves', async () => {
    const name = uniqueName('idb-reload');
    const open: Tab[] = [];
    for (let i = 0; i < 3; i++) open.push(await openTab(LEASES, name));
    await Promise.all(open.map(({ page, tab }) => page.evaluate((t) => window.harness.write(t, 20, 2), tab)));
    const { acknowledged, failures } = await stopAll(open);
    expect(failures).toEqual([]);
    await Promise.all(open.map(({ page }) => page.reload()));
    const tabsAfter: string[] = [];
    for (const { page } of open) {
      await page.waitForFunction(() => window.__harnessReady === true);
      tabsAfter.push(await page.evaluate((n) => window.harness.open(n), name));
    }
    const kept = await rowsByKey(open[0]!.page);
    expect(acknowledged.filter((key) => kept.get(key) !== 1)).toEqual([]);
    const statuses = await Promise.all(open.map(({ page }) => page.evaluate(() => window.db.status())));
    expect(statuses.filter((s) => s.role === 'leader')).toHaveLength(1);
    await open[1]!.page.evaluate((t) => window.db.run('INSERT INTO writes (tab, seq) VALUES (?, 0)', [t]), tabsAfter[1]!);
    for (const { page } of open) await page.close();
  });

  // A second browser on the first one's profile folder: launched here through Playwright, Chromium only.
  test.skipIf(engineFromEnv() !== 'chromium')('a browser restart with the same profile keeps every acknowledged write', async () => {
    const name = uniqueName('idb-restart');
    const profile = mkdtempSync(join(tmpdir(), 'sqlite-baton-restart-'));
    const { chromium } = await import('playwright');
    const launch = async (): Promise<BrowserContext> =>
      chromium.launchPersistentContext(profile, {
        headless: true,
        executablePath: await resolveChromium(),
        args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP insecure.test 127.0.0.1'],
      });
    const inBrowser = async (context: BrowserContext): Promise<Tab> => {
      const page: PlaywrightPage = await context.newPage();
      await page.goto(LEASES.url());
      await page.waitForFunction(() => window.__harnessReady === true);
      const tab = await page.evaluate((n) => window.harness.open(n), name);
      // stopAll and rowsByKey use only evaluate(fn, arg), which a Playwright page has with the same shape.
      return { page: page as unknown as Page, tab };
    };
    try {
      const first = await launch();
      const writers = [await inBrowser(first), await inBrowser(first)];
      await Promise.all(writers.map(({ page, tab }) => page.evaluate((t) => window.harness.write(t, 30, 2), tab)));
      const { acknowledged, failures } = await stopAll(writers);
      expect(failures).toEqual([]);
      // The whole browser goes, as when the user quits it: no tab closes first.
      await first.close();

      const second = await launch();
      try {
        const reader = await inBrowser(second);
        const kept = await rowsByKey(reader.page);
        expect(acknowledged).toHaveLength(60);
        expect(acknowledged.filter((key) => kept.get(key) !== 1)).toEqual([]);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });

  test('a leader busy in one statement for longer than its lease keeps leading, and the others wait for it', async () => {
    const name = uniqueName('idb-busy');
    const busy = await openTab(LEASES, name, { queryTimeout: 8_000 });
    const other = await openTab(LEASES, name);
    const before = await busy.page.evaluate(() => window.db.status());
    const outcome = await busy.page.evaluate(() =>
      window.db
        .get('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c')
        .catch((e: { code?: string }) => e.code),
    );
    expect(outcome).toBe('INTERRUPTED');
    await other.page.evaluate((t) => window.db.run('INSERT INTO writes (tab, seq) VALUES (?, 1)', [t]), other.tab);
    const after = await Promise.all([busy, other].map(({ page }) => page.evaluate(() => window.db.status())));
    expect(after.map((s) => s.role)).toEqual(['leader', 'follower']);
    expect(after[0]!.epoch).toBe(before.epoch);
    for (const { page } of [busy, other]) await page.close();
  });

  testWith('stall-worker')(
    'a leader stalled past its lease is fenced: its write is refused there and retried at the new leader, and nothing acknowledged is lost',
    async () => {
      const name = uniqueName('idb-stale');
      const stale = await openTab(LEASES, name);
      const other = await openTab(LEASES, name);
      const epochBefore = (await stale.page.evaluate(() => window.db.status())).epoch;
      expect((await stale.page.evaluate(() => window.db.status())).role).toBe('leader');

      // The stall: the leader's worker thread blocked for 9 s (as a frozen or starved one is):
      // no renewal, no progress handler, nothing.
      const stalled = stale.page.stallWorker('/worker/entry', 9_000);
      // Awaited below; if the test fails first, its tab closes under the stall.
      stalled.catch(() => undefined);
      // Reaches the stalled worker only once it runs again: committed there in memory, then refused.
      await stale.page.evaluate((t) => {
        (window as unknown as { write: Promise<unknown> }).write = window.db.run(
          "INSERT INTO writes (tab, seq, note) VALUES (?, 1, 'from the stalled tab')",
          [t],
        );
      }, stale.tab);

      // The other tab takes the lapsed lease while the old leader is still stuck, and writes.
      await other.page.waitForFunction(async () => (await window.db.status()).role === 'leader', undefined, { timeout: 30_000 });
      await other.page.evaluate((t) => window.harness.write(t, 10, 1), other.tab);
      await stalled;

      const write = await stale.page.evaluate(() => (window as unknown as { write: Promise<unknown> }).write);
      expect(write).toMatchObject({ changes: 1 });
      const statuses = await Promise.all([stale, other].map(({ page }) => page.evaluate(() => window.db.status())));
      expect(statuses.map((s) => s.role)).toEqual(['follower', 'leader']);
      expect(statuses[0]!.epoch).toBeGreaterThan(epochBefore);
      const { acknowledged, failures } = await stopAll([other]);
      expect(failures).toEqual([]);
      const kept = await reopened(LEASES, name, [stale, other]);
      expect(kept.get(`${stale.tab}/1`)).toBe(1);
      expect(acknowledged.filter((key) => kept.get(key) !== 1)).toEqual([]);
      expect(acknowledged).toHaveLength(10);
    },
  );
});
