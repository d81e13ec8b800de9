/**
 * Tabs running different versions of sqlite-baton on one database. A real older release (commit
 * 695210b, cross-tab protocol 1, its sources from test/fixtures and served by the dev server) next to
 * this one: a tab of this version rejects PROTOCOL_MISMATCH at once instead of waiting for a
 * leader it cannot talk to. And two tabs of this version, one claiming a newer protocol: the
 * older leader hands over, its cut work is never applied twice.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Tab as Page } from '../support/tab.ts';
import { until, useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

/** The last commit with cross-tab protocol 1: the library before this session's changes. */
const OLD_RELEASE = '695210b';
const root = fileURLToPath(new URL('../..', import.meta.url));
const oldSources = mkdtempSync(join(tmpdir(), `sqlite-baton-${OLD_RELEASE}-`));

beforeAll(() => {
  // `git archive 695210b src worker | gzip -9`, kept in the repository so that a shallow clone
  // (as CI may make) can run these tests too.
  const archive = fileURLToPath(new URL(`../fixtures/baton-${OLD_RELEASE}.tar.gz`, import.meta.url));
  execFileSync('tar', ['-xzf', archive, '-C', oldSources]);
  // Its imports (comlink, sqlite-wasm) resolve to this project's packages: the same versions.
  symlinkSync(join(root, 'node_modules'), join(oldSources, 'node_modules'));
});
afterAll(() => rmSync(oldSources, { recursive: true, force: true }));

const tabs = useTabs({ beforeAll, afterAll }, { path: '/test/tabs/migration-harness.html', serve: [oldSources] });

async function openOld(name: string): Promise<Page> {
  const page = await tabs().openTab(`/test/tabs/legacy-harness.html?lib=${encodeURIComponent(oldSources)}`);
  await page.evaluate((n) => window.legacy.startOpening(n), name);
  return page;
}

async function openCurrent(name: string): Promise<Page> {
  const page = await tabs().openTab();
  expect(await page.evaluate((n) => window.migrations.open(n), name)).toMatchObject({ ok: true });
  return page;
}

/** Requests waiting for `name`'s leader lock, seen from `page` (any tab of the origin). */
async function waitingForLeaderLock(page: Page, name: string): Promise<number> {
  return page.evaluate(async (n) => {
    const { pending = [] } = await navigator.locks.query();
    return pending.filter((lock) => lock.name === `sqlite-baton:${n}:leader`).length;
  }, name);
}

test('next to a leader of protocol 1, openDatabase rejects PROTOCOL_MISMATCH at once, and opens once that tab is gone', async () => {
  const name = uniqueName('skew-v1-leader');
  const old = await openOld(name);
  expect(await old.evaluate(() => window.legacy.opening)).toBe('opened');
  await old.evaluate(() => window.legacy.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('from the old tab')"));

  const current = await tabs().openTab();
  // Without the check it would wait for a leader forever (the old one drops this version's messages).
  const refused = await current.evaluate((n) => window.migrations.open(n, undefined, { lockTimeout: 600_000 }), name);
  expect(refused).toMatchObject({ ok: false, code: 'PROTOCOL_MISMATCH' });
  expect(refused.ok ? '' : refused.message).toMatch(/reload all tabs/);

  await old.evaluate(() => window.legacy.close());
  expect(await current.evaluate((n) => window.migrations.open(n), name)).toMatchObject({ ok: true });
  expect(await current.evaluate(() => window.migrations.all('SELECT x FROM t'))).toEqual({ ok: true, value: [{ x: 'from the old tab' }] });
  for (const page of [old, current]) await page.close();
});

test('an open tab whose next leader is a protocol 1 tab: its calls reject PROTOCOL_MISMATCH at once, and work again once it leaves', async () => {
  const name = uniqueName('skew-v1-next');
  const first = await openCurrent(name);
  await first.evaluate(() => window.migrations.run('CREATE TABLE t (x)'));
  // The old tab cannot hear this version's leader: it waits, queued for the leader lock.
  const old = await openOld(name);
  await until(async () => (await waitingForLeaderLock(first, name)) === 1, "the old tab's worker queued for the leader lock");
  const follower = await openCurrent(name);
  await until(async () => (await waitingForLeaderLock(first, name)) === 2, "the follower's worker queued behind it");

  await first.close();
  expect(await old.evaluate(() => window.legacy.opening)).toBe('opened');
  expect((await old.evaluate(() => window.legacy.status())).role).toBe('leader');
  const refused = await follower.evaluate(() => window.migrations.run("INSERT INTO t VALUES ('refused')"));
  expect(refused).toMatchObject({ ok: false, code: 'PROTOCOL_MISMATCH' });

  await old.evaluate(() => window.legacy.close());
  expect(await follower.evaluate(() => window.migrations.run("INSERT INTO t VALUES ('after')"))).toMatchObject({ ok: true });
  expect(await follower.evaluate(() => window.migrations.all('SELECT x FROM t'))).toEqual({ ok: true, value: [{ x: 'after' }] });
  for (const page of [old, follower]) await page.close();
});

test('a tab of a newer protocol has the older leader hand over: its open transaction is cut, waiting writes land at most once, and the older tabs are told', async () => {
  const name = uniqueName('skew-handover');
  const older = await openCurrent(name);
  await older.evaluate(() => window.migrations.run('CREATE TABLE t (x TEXT)'));
  await older.evaluate(() => window.migrations.run("INSERT INTO t VALUES ('committed')"));
  const follower = await openCurrent(name);
  // The leader's tab holds a transaction; a follower's write waits behind it.
  await older.evaluate(() => window.migrations.holdWriter());
  expect(await older.evaluate(() => window.migrations.heldRun("INSERT INTO t VALUES ('uncommitted')"))).toMatchObject({ ok: true });
  await follower.evaluate(() => window.migrations.startRun("INSERT INTO t VALUES ('waiting')"));
  await until(async () => (await older.evaluate(() => window.migrations.status())).queueDepth === 1, "the follower's write queued");

  const newer = await tabs().openTab();
  await newer.evaluate(() => window.migrations.speak(3));
  expect(await newer.evaluate((n) => window.migrations.open(n), name)).toMatchObject({ ok: true });
  expect((await newer.evaluate(() => window.migrations.status())).role).toBe('leader');

  expect(await older.evaluate(() => window.migrations.heldRun("INSERT INTO t VALUES ('too late')"))).toMatchObject({
    ok: false,
    code: 'TRANSACTION_ABORTED',
  });
  expect(await older.evaluate(() => window.migrations.run("INSERT INTO t VALUES ('older')"))).toMatchObject({
    ok: false,
    code: 'PROTOCOL_MISMATCH',
  });
  const waiting = await follower.evaluate(() => window.migrations.pending!);
  const file = (await newer.evaluate(() => window.migrations.all('SELECT x FROM t ORDER BY rowid'))) as {
    ok: true;
    value: { x: string }[];
  };
  const values = file.value.map((r) => r.x);
  // The write that waited was answered by the leader that stepped down, or retried until a leader
  // of this version took it, or refused: never applied twice, never applied and refused.
  expect(values).toEqual(waiting.ok ? ['committed', 'waiting'] : ['committed']);
  if (!waiting.ok) expect(waiting.code).toBe('PROTOCOL_MISMATCH');

  // The newer tab gone (which this tab learns from the browser a moment later), a tab of this
  // version leads again and the older tab works.
  await newer.close();
  await until(async () => (await older.evaluate(() => window.migrations.status())).leaderId !== null, 'a leader of this version');
  expect(await older.evaluate(() => window.migrations.run("INSERT INTO t VALUES ('again')"))).toMatchObject({ ok: true });
  for (const page of [older, follower]) await page.close();
});

test('forged announces of another version and a forged handover change nothing: the claims are checked against the locks', async () => {
  const name = uniqueName('skew-forged');
  const leader = await openCurrent(name);
  const follower = await openCurrent(name);
  const [leaderId, followerId] = await Promise.all(
    [leader, follower].map(async (page) => (await page.evaluate(() => window.migrations.status())).tabId),
  );
  const attacker = await tabs().openTab();
  // A live worker that is not the leader (the follower's) claims to lead in protocol 9, over and
  // over; a peer that does not exist asks the leader to hand over.
  await attacker.evaluate(
    ([n, l, f]) => {
      const control = new BroadcastChannel(`sqlite-baton:${n}`);
      const forge = () => {
        control.postMessage({ v: 9, t: 'announce', from: `${f}~0`, epoch: 1 });
        control.postMessage({ v: 9, t: 'handover', from: 'ghost~0', to: `${l}~0`, epoch: 1 });
      };
      forge();
      setInterval(forge, 20);
    },
    [name, leaderId, followerId] as const,
  );
  const late = await openCurrent(name);
  expect(await late.evaluate(() => window.migrations.run('CREATE TABLE t (x)'))).toMatchObject({ ok: true });
  expect((await late.evaluate(() => window.migrations.status())).leaderId).toBe(leaderId);
  expect((await leader.evaluate(() => window.migrations.status())).role).toBe('leader');
  for (const page of [leader, follower, attacker, late]) await page.close();
});
