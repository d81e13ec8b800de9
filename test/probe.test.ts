import { expect, it } from 'vitest';
import { openDatabase } from 'sqlite-baton';

const u = () => `probe-${Math.random().toString(36).slice(2)}`;
async function attempt(f: () => Promise<unknown>) {
  try { return { ok: await f() }; } catch (e) { return { err: String((e as any)?.code) + ' ' + String((e as any)?.message) }; }
}
it('probe', async () => {
  const db = await openDatabase(u(), { storage: 'opfs' });
  const out: Record<string, unknown> = {};
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v)');
  out.insert = await db.run('INSERT INTO t (v) VALUES (1)');
  out.ddl = await db.run('CREATE TABLE t2 (x)');
  out.commit = await attempt(() => db.run('COMMIT'));
  out.begin = await attempt(() => db.run('BEGIN'));
  out.big = await attempt(async () => { await db.run('INSERT INTO t (v) VALUES (?)', [2 ** 64]); return db.get('SELECT v, typeof(v) AS ty FROM t ORDER BY id DESC LIMIT 1'); });
  out.big2 = await attempt(async () => db.get('SELECT ? AS a, ? AS b, ? AS c', [1e300, 2 ** 60, -(2**63)]));
  out.nul = await attempt(async () => db.get('SELECT ? AS s, length(?) AS n', ['a\u0000b', 'a\u0000b']));
  out.multi = await attempt(async () => { await db.run('INSERT INTO t (v) VALUES (10); INSERT INTO t (v) VALUES (11)'); return db.all('SELECT v FROM t WHERE v >= 10'); });
  out.empty = await attempt(() => db.run('-- nothing'));
  out.sel = await db.all('SELECT * FROM t2');
  await db.run('INSERT INTO t2 VALUES (1)');
  out.sel1 = await db.all('SELECT * FROM t2');
  await db.exec('ALTER TABLE t2 ADD COLUMN y DEFAULT 7');
  out.sel2 = await attempt(() => db.all('SELECT * FROM t2'));
  try { db.run('SELECT ?', [undefined as any]).catch(() => {}); out.sync = 'rejects'; } catch { out.sync = 'throws sync'; }
  out.emptyblob = await attempt(() => db.get('SELECT ? AS b, typeof(?) AS t', [new Uint8Array(0), new Uint8Array(0)]));
  out.sub = await attempt(() => db.get('SELECT ? AS b', [new Uint8Array([1,2,3,4]).subarray(1, 3)]));
  out.attach = await attempt(() => db.exec("ATTACH 'x' AS x"));
  out.jm = await attempt(() => db.get('PRAGMA journal_mode'));
  out.status = await db.status();
  out.coi = crossOriginIsolated;
  await db.close();
  console.log(JSON.stringify(out, (_k, v) => typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `u8[${v}]` : v, 1));
  expect(1).toBe(1);
});
