/**
 * Migrations across real tabs: tabs that open a fresh database together apply each migration
 * once; a newer tab migrates through an older leader and the older tabs are told and refused; a
 * failing migration and a leader killed in the middle of one leave nothing applied.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Tab as Page } from '../support/tab.ts';
import { until, useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';
import type { Outcome } from './migration-harness.ts';

const tabs = useTabs({ beforeAll, afterAll }, { path: '/test/tabs/migration-harness.html' });

async function openTab(name: string, keys?: string[], options?: object): Promise<Page> {
  const page = await tabs().openTab();
  const outcome = await page.evaluate(([n, k, o]) => window.migrations.open(n, k, o), [name, keys, options] as const);
  expect(outcome).toMatchObject({ ok: true });
  return page;
}

function rows(outcome: Outcome): unknown {
  if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
  return outcome.value;
}

async function query(page: Page, sql: string): Promise<unknown> {
  return rows(await page.evaluate((s) => window.migrations.all(s), sql));
}

async function queueDepth(leader: Page): Promise<number> {
  return (await leader.evaluate(() => window.migrations.status())).queueDepth;
}

const APPLIED = 'SELECT name FROM _baton_migrations ORDER BY seq';
const USER_VERSION = 'SELECT user_version AS v FROM pragma_user_version';

test('4 tabs opening a fresh database at once with the same migrations: each applied once, none fails', async () => {
  const name = uniqueName('mig-four');
  // A fifth tab holds the writer while the four start, so all four have read the database (and
  // found every migration pending) before any can apply one: only the check inside the run's
  // transaction keeps each migration to one application.
  const holder = await openTab(name);
  await holder.evaluate(() => window.migrations.holdWriter());
  const pages = await Promise.all(Array.from({ length: 4 }, () => tabs().openTab()));
  for (const page of pages) await page.evaluate((n) => window.migrations.startOpening(n, ['person', 'pet', 'tally']), name);
  await until(async () => (await queueDepth(holder)) >= 4, "the four tabs' first reads waiting for the writer");
  await holder.evaluate(() => window.migrations.releaseWriter());

  const outcomes = await Promise.all(pages.map((page) => page.evaluate(() => window.migrations.opening!)));
  expect(outcomes.filter((o) => !o.ok)).toEqual([]);
  expect(await query(pages[0]!, APPLIED)).toEqual([{ name: '0001_person' }, { name: '0002_pet' }, { name: '0003_tally' }]);
  expect(await query(pages[0]!, 'SELECT count(*) AS n FROM tally')).toEqual([{ n: 1 }]);
  expect(await query(pages[3]!, USER_VERSION)).toEqual([{ v: 3 }]);
  for (const page of [holder, ...pages]) await page.close();
});

test('a newer tab migrates through an older leader; the older tab is told, refused from then on, and a newer write goes on', async () => {
  const name = uniqueName('mig-skew');
  const old = await openTab(name, ['person']);
  const kept = await openTab(name, ['person'], { onVersionChange: 'continue' });
  expect(rows(await old.evaluate(() => window.migrations.run("INSERT INTO person (name) VALUES ('before')")))).toMatchObject({
    changes: 1,
  });

  const newer = await openTab(name, ['person', 'pet']);
  expect((await newer.evaluate(() => window.migrations.status())).role).toBe('follower');
  expect((await old.evaluate(() => window.migrations.status())).role).toBe('leader');
  expect(await query(newer, APPLIED)).toEqual([{ name: '0001_person' }, { name: '0002_pet' }]);

  for (const page of [old, kept]) {
    await page.waitForFunction(() => window.migrations.versionChanges.length > 0);
    expect(await page.evaluate(() => window.migrations.versionChanges)).toEqual([{ oldVersion: 1, newVersion: 2 }]);
  }
  const refused = await old.evaluate(() => window.migrations.run("INSERT INTO person (name) VALUES ('refused')"));
  expect(refused).toMatchObject({ ok: false, code: 'SCHEMA_CHANGED' });
  expect(await old.evaluate(() => window.migrations.all('SELECT * FROM person'))).toMatchObject({ ok: false, code: 'SCHEMA_CHANGED' });
  expect(rows(await kept.evaluate(() => window.migrations.run("INSERT INTO person (name) VALUES ('continued')")))).toMatchObject({
    changes: 1,
  });
  rows(await newer.evaluate(() => window.migrations.run("INSERT INTO pet (owner, name) VALUES (1, 'Rex')")));
  expect(await query(newer, 'SELECT name FROM person ORDER BY id')).toEqual([{ name: 'before' }, { name: 'continued' }]);

  // A tab that opens now with the old list is behind the file; it may open only if it says so.
  const late = await tabs().openTab();
  expect(await late.evaluate((n) => window.migrations.open(n, ['person']), name)).toMatchObject({ ok: false, code: 'SCHEMA_NEWER' });
  expect(await late.evaluate((n) => window.migrations.open(n, ['person'], { allowNewerSchema: true }), name)).toMatchObject({ ok: true });
  rows(await late.evaluate(() => window.migrations.run("INSERT INTO person (name) VALUES ('late')")));
  for (const page of [old, kept, newer, late]) await page.close();
});

test("an older tab's write that waited behind the migration is refused once it commits, not applied", async () => {
  const name = uniqueName('mig-queued');
  const old = await openTab(name, ['person']);
  const newer = await tabs().openTab();
  await newer.evaluate((n) => window.migrations.startOpening(n, ['person', 'gated']), name);
  await newer.waitForFunction(() => window.migrations.gateReached);
  // The migration holds the writer: the old tab's write waits in the queue, checked against the
  // file when its turn comes, after the migration committed.
  await old.evaluate(() => window.migrations.startRun("INSERT INTO person (name) VALUES ('queued')"));
  await until(async () => (await queueDepth(old)) === 1, "the old tab's write waiting for the writer");
  await newer.evaluate(() => window.migrations.openGate());
  expect(await newer.evaluate(() => window.migrations.opening!)).toMatchObject({ ok: true });
  expect(await old.evaluate(() => window.migrations.pending!)).toMatchObject({ ok: false, code: 'SCHEMA_CHANGED' });
  expect(await query(newer, 'SELECT count(*) AS n FROM person')).toEqual([{ n: 0 }]);
  for (const page of [old, newer]) await page.close();
});

test('a failing migration applies nothing, names itself with SQLite code, and the next open retries', async () => {
  const name = uniqueName('mig-fail');
  const leader = await openTab(name);
  const tab = await tabs().openTab();
  const failed = await tab.evaluate((n) => window.migrations.open(n, ['person', 'broken']), name);
  expect(failed).toMatchObject({ ok: false, code: 'MIGRATION_FAILED', resultCode: 1, causeCode: 'SQLITE_ERROR' });
  expect(failed.ok ? '' : failed.message).toContain('"0002_broken"');
  expect(await query(leader, "SELECT name FROM sqlite_master WHERE name IN ('person', 'half_made', '_baton_migrations')")).toEqual([]);
  expect(await query(leader, USER_VERSION)).toEqual([{ v: 0 }]);

  expect(await tab.evaluate((n) => window.migrations.open(n, ['person', 'pet']), name)).toMatchObject({ ok: true });
  expect(await query(leader, APPLIED)).toEqual([{ name: '0001_person' }, { name: '0002_pet' }]);
  for (const page of [leader, tab]) await page.close();
});

test("the leader's worker killed in the middle of a migration: nothing partial, and the run completes at the next leader", async () => {
  const name = uniqueName('mig-kill');
  const leader = await openTab(name);
  const migrating = await tabs().openTab();
  await migrating.evaluate((n) => window.migrations.startOpening(n, ['person', 'gated', 'after']), name);
  await migrating.waitForFunction(() => window.migrations.gateReached);
  const reader = await openTab(name);

  await leader.evaluate(() => window.migrations.terminateWorker());
  // The migration's transaction died with the leader: none of it is in the file.
  await until(async () => (await reader.evaluate(() => window.migrations.status())).leaderId !== null, 'a new leader');
  expect(
    await query(reader, "SELECT name FROM sqlite_master WHERE name IN ('person', 'gated', 'after_gated', '_baton_migrations')"),
  ).toEqual([]);
  await migrating.evaluate(() => window.migrations.openGate());
  expect(await migrating.evaluate(() => window.migrations.opening!)).toMatchObject({ ok: true });
  expect(await query(reader, APPLIED)).toEqual([{ name: '0001_person' }, { name: '0003_gated' }, { name: '0004_after' }]);
  expect(await query(reader, 'SELECT step FROM gated ORDER BY step')).toEqual([{ step: 1 }, { step: 2 }]);
  for (const page of [leader, migrating, reader]) await page.close();
});
