/**
 * `openDatabase(name, { migrations })` in one tab, over OPFS and memory: applied in order, once,
 * recorded (name, checksum, time) with `PRAGMA user_version` in step; a failing migration applies
 * nothing and names itself; an edited or reordered list is refused; a database newer than the
 * list is refused unless allowed; drizzle-kit's output runs as it stands.
 */
import { describe, expect, it } from 'vitest';
import { Kysely } from 'kysely';
import { migrationsFromDrizzleKit, openDatabase, SqliteError, type Database, type Migration } from 'sqlite-baton';
import { BatonDialect } from 'sqlite-baton/kysely';
import journal from './fixtures/drizzle/migrations/meta/_journal.json';
import { failure, open, STORAGES } from './support/open.ts';
import { uniqueName } from './support/unique-name.ts';

const PERSON: Migration = { name: '0001_person', sql: 'CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT NOT NULL)' };
const PET: Migration = {
  name: '0002_pet',
  sql: `CREATE TABLE pet (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL REFERENCES person (id), name TEXT NOT NULL);
        CREATE INDEX pet_owner ON pet (owner);`,
};
/** A data migration in code, after the schema ones. */
const SEED: Migration = {
  name: '0003_seed',
  checksum: 'seed-v1',
  async up(tx) {
    const { lastInsertRowid } = await tx.run("INSERT INTO person (name) VALUES ('Ada')");
    await tx.run("INSERT INTO pet (owner, name) VALUES (?, 'Rex')", [lastInsertRowid]);
  },
};

interface Recorded {
  seq: number;
  name: string;
  checksum: string | null;
  applied_at: number;
}

async function recorded(db: Database): Promise<Recorded[]> {
  return db.all<Recorded>('SELECT seq, name, checksum, applied_at FROM _baton_migrations ORDER BY seq');
}

async function userVersion(db: Database): Promise<number> {
  return (await db.get<{ v: number }>('SELECT user_version AS v FROM pragma_user_version'))!.v;
}

/** The tables of `db` besides the library's request record (`_baton_migrations` included). */
async function tables(db: Database): Promise<string[]> {
  const rows = await db.all<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('_baton_requests', '_baton_meta') ORDER BY name",
  );
  return rows.map((r) => r.name);
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Opens `name` with `options`, closes it; for a second open of the same OPFS file. */
async function openAndClose(name: string, migrations: Migration[]): Promise<void> {
  const db = await openDatabase(name, { storage: 'opfs', migrations });
  await db.close();
}

describe.each(STORAGES)('migrations on %s', (storage) => {
  it('applies the list in order, records each (name, checksum, time) and keeps user_version at their count', async () => {
    const before = Date.now();
    const db = await open({ storage, migrations: [PERSON, PET, SEED] });
    const rows = await recorded(db);
    expect(rows.map((r) => [r.seq, r.name])).toEqual([
      [1, '0001_person'],
      [2, '0002_pet'],
      [3, '0003_seed'],
    ]);
    expect(rows[0]!.checksum).toBe(await sha256((PERSON as { sql: string }).sql));
    expect(rows[2]!.checksum).toBe('seed-v1');
    for (const row of rows) expect(row.applied_at).toBeGreaterThanOrEqual(before);
    expect(await userVersion(db)).toBe(3);
    expect(await db.all('SELECT person.name AS person, pet.name AS pet FROM pet JOIN person ON person.id = pet.owner')).toEqual([
      { person: 'Ada', pet: 'Rex' },
    ]);
  });

  it('a function migration without a checksum is recorded with none', async () => {
    const db = await open({ storage, migrations: [{ name: 'by-code', up: (tx) => tx.exec('CREATE TABLE t (x)') }] });
    expect(await recorded(db)).toMatchObject([{ name: 'by-code', checksum: null }]);
  });

  it('an empty list is version 0 and creates nothing but the record', async () => {
    const db = await open({ storage, migrations: [] });
    expect(await userVersion(db)).toBe(0);
    expect(await tables(db)).not.toContain('person');
  });

  it('a failing migration applies nothing of the run and names itself, with SQLite code and result code', async () => {
    const broken: Migration = { name: '0002_broken', sql: 'CREATE TABLE ok (x); CREATE TABLE oops (' };
    const name = uniqueName('failing');
    const error = await failure(() => openDatabase(name, { storage, migrations: [PERSON, broken] }));
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.message).toContain('"0002_broken"');
    expect(error.message).toContain('SQLITE_ERROR');
    expect(error.resultCode).toBe(1);
    expect(error.cause).toBeInstanceOf(SqliteError);
    expect((error.cause as SqliteError).code).toBe('SQLITE_ERROR');
    if (storage === 'memory') return;
    const db = await open({ storage }, name);
    expect(await tables(db)).toEqual([]);
    expect(await userVersion(db)).toBe(0);
  });

  it('an up() that throws fails the run with its error as the cause', async () => {
    const thrown = new TypeError('not today');
    const failing: Migration = {
      name: 'throws',
      async up(tx) {
        await tx.exec('CREATE TABLE made_first (x)');
        throw thrown;
      },
    };
    const error = await failure(() => openDatabase(uniqueName('throws'), { storage, migrations: [PERSON, failing] }));
    expect(error).toMatchObject({ code: 'MIGRATION_FAILED', cause: thrown });
    expect(error.message).toContain('"throws"');
    expect(error.resultCode).toBeUndefined();
  });

  it('the library refuses transaction control in a migration, as a failed migration', async () => {
    const error = await failure(() =>
      openDatabase(uniqueName('begin'), { storage, migrations: [{ name: 'own-tx', sql: 'BEGIN; CREATE TABLE t (x); COMMIT;' }] }),
    );
    expect(error.code).toBe('MIGRATION_FAILED');
    expect((error.cause as SqliteError).code).toBe('INVALID_ARGUMENT');
  });

  it('drizzle-kit output runs as it stands: journal order, tags as names, modules or texts as files', async () => {
    const modules = import.meta.glob<{ default: string }>('./fixtures/drizzle/migrations/*.sql', { query: '?raw', eager: true });
    const texts = import.meta.glob<string>('./fixtures/drizzle/migrations/*.sql', { query: '?raw', import: 'default', eager: true });
    const fromModules = migrationsFromDrizzleKit(journal, modules);
    expect(fromModules).toEqual(migrationsFromDrizzleKit(journal, texts));
    expect(fromModules.map((m) => m.name)).toEqual(['0000_init', '0001_born_and_owner_index']);
    const db = await open({ storage, migrations: fromModules });
    expect(await tables(db)).toEqual(expect.arrayContaining(['person', 'pet']));
    expect(await db.all("SELECT name FROM pragma_table_info('person') WHERE name = 'born'")).toEqual([{ name: 'born' }]);
    expect(await db.all("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'pet_owner'")).toEqual([{ name: 'pet_owner' }]);
    expect(await userVersion(db)).toBe(2);
  });

  it("drizzle-kit output with a missing file is refused up front, naming the file's tag", async () => {
    const error = await failure(() => migrationsFromDrizzleKit(journal, {}));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('0000_init');
  });

  it("Kysely's introspection does not list the migration record", async () => {
    const db = await open({ storage, migrations: [PERSON] });
    const kysely = new Kysely<Record<string, never>>({ dialect: new BatonDialect({ database: db }) });
    expect((await kysely.introspection.getTables()).map((t) => t.name)).toEqual(['person']);
  });
});

describe('migrations across opens of one file', () => {
  it('a second open with the same list applies nothing; a longer list applies only the new ones', async () => {
    const name = uniqueName('grow');
    await openAndClose(name, [PERSON]);
    await openAndClose(name, [PERSON]);
    const db = await open({ storage: 'opfs', migrations: [PERSON, PET] }, name);
    expect((await recorded(db)).map((r) => r.name)).toEqual(['0001_person', '0002_pet']);
    expect(await userVersion(db)).toBe(2);
  });

  it('the next open after a failed one retries and applies the whole list', async () => {
    const name = uniqueName('retry');
    const broken: Migration = { name: '0002_pet', sql: 'CREATE TABLE pet (' };
    expect((await failure(() => openDatabase(name, { storage: 'opfs', migrations: [PERSON, broken] }))).code).toBe('MIGRATION_FAILED');
    const db = await open({ storage: 'opfs', migrations: [PERSON, PET] }, name);
    expect((await recorded(db)).map((r) => r.name)).toEqual(['0001_person', '0002_pet']);
  });

  it('an applied migration whose text changed is refused by name, and nothing pending is applied', async () => {
    const name = uniqueName('edited');
    await openAndClose(name, [PERSON]);
    const edited: Migration = { name: '0001_person', sql: 'CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT)' };
    const error = await failure(() => openDatabase(name, { storage: 'opfs', migrations: [edited, PET] }));
    expect(error.code).toBe('MIGRATION_CHANGED');
    expect(error.message).toContain('"0001_person"');
    const db = await open({ storage: 'opfs' }, name);
    expect(await tables(db)).not.toContain('pet');
  });

  it('line endings turned into CRLF are not a change', async () => {
    const name = uniqueName('crlf');
    await openAndClose(name, [PERSON, PET]);
    const crlf: Migration = { name: PET.name, sql: (PET as { sql: string }).sql.replaceAll('\n', '\r\n') };
    await openAndClose(name, [PERSON, crlf]);
  });

  it("a function migration's changed checksum is refused; one given no checksum is not checked", async () => {
    const name = uniqueName('fn-checksum');
    const v1: Migration = { name: 'fn', checksum: 'v1', up: (tx) => tx.exec('CREATE TABLE fn (x)') };
    await openAndClose(name, [v1]);
    const error = await failure(() => openDatabase(name, { storage: 'opfs', migrations: [{ ...v1, checksum: 'v2' }] }));
    expect(error.code).toBe('MIGRATION_CHANGED');
    expect(error.message).toContain('"fn"');
    await openAndClose(name, [{ name: 'fn', up: () => undefined }]);
  });

  it('a new migration inserted before applied ones is refused', async () => {
    const name = uniqueName('inserted');
    await openAndClose(name, [PERSON, PET]);
    const early: Migration = { name: '0001b_early', sql: 'CREATE TABLE early (x)' };
    const error = await failure(() => openDatabase(name, { storage: 'opfs', migrations: [PERSON, early, PET] }));
    expect(error.code).toBe('MIGRATION_CHANGED');
    expect(error.message).toContain('"0001b_early"');
  });

  it('a list behind the database rejects SCHEMA_NEWER; allowNewerSchema opens at the database version', async () => {
    const name = uniqueName('newer');
    await openAndClose(name, [PERSON, PET]);
    const error = await failure(() => openDatabase(name, { storage: 'opfs', migrations: [PERSON] }));
    expect(error.code).toBe('SCHEMA_NEWER');
    expect(error.message).toContain('"0002_pet"');
    expect(error.message).toMatch(/reload/);
    const db = await open({ storage: 'opfs', migrations: [PERSON], allowNewerSchema: true }, name);
    await db.run("INSERT INTO person (name) VALUES ('Ada')");
    expect(await userVersion(db)).toBe(2);
  });

  it('allowNewerSchema still refuses a database whose history differs from the list', async () => {
    const name = uniqueName('diverged');
    await openAndClose(name, [PERSON, PET]);
    const other: Migration = { name: '0002_other', sql: 'CREATE TABLE other (x)' };
    const error = await failure(() => openDatabase(name, { storage: 'opfs', migrations: [PERSON, other], allowNewerSchema: true }));
    expect(error.code).toBe('SCHEMA_NEWER');
  });

  it('a user_version out of step is put back to the count', async () => {
    const name = uniqueName('user-version');
    await openAndClose(name, [PERSON]);
    const plain = await openDatabase(name, { storage: 'opfs' });
    await plain.exec('PRAGMA user_version = 41');
    await plain.close();
    const db = await open({ storage: 'opfs', migrations: [PERSON] }, name);
    expect(await userVersion(db)).toBe(1);
  });
});

describe('two handles of one file in this page (each its own worker, as two tabs)', () => {
  it('a newer handle migrates: the older one gets versionchange and its calls reject SCHEMA_CHANGED, unapplied', async () => {
    const name = uniqueName('versionchange');
    const old = await open({ storage: 'opfs', migrations: [PERSON] }, name);
    const changes: Array<{ oldVersion: number; newVersion: number }> = [];
    const heard = new Promise<void>((resolve) =>
      old.addEventListener('versionchange', (event) => {
        changes.push(event.detail);
        resolve();
      }),
    );
    await old.run("INSERT INTO person (name) VALUES ('before')");
    const newer = await open({ storage: 'opfs', migrations: [PERSON, PET] }, name);
    await heard;
    expect(changes).toEqual([{ oldVersion: 1, newVersion: 2 }]);
    const refused = await failure(() => old.run("INSERT INTO person (name) VALUES ('after')"));
    expect(refused.code).toBe('SCHEMA_CHANGED');
    expect((await failure(() => old.all('SELECT * FROM person'))).code).toBe('SCHEMA_CHANGED');
    expect((await failure(() => old.begin())).code).toBe('SCHEMA_CHANGED');
    expect(await newer.all('SELECT name FROM person')).toEqual([{ name: 'before' }]);
  });

  it("onVersionChange: 'continue' keeps the older handle working, and the event still comes", async () => {
    const name = uniqueName('continue');
    const old = await open({ storage: 'opfs', migrations: [PERSON], onVersionChange: 'continue' }, name);
    const heard = new Promise<unknown>((resolve) => old.addEventListener('versionchange', (event) => resolve(event.detail)));
    await open({ storage: 'opfs', migrations: [PERSON, PET] }, name);
    expect(await heard).toEqual({ oldVersion: 1, newVersion: 2 });
    await old.run("INSERT INTO person (name) VALUES ('still here')");
    expect(await old.all('SELECT name FROM person')).toEqual([{ name: 'still here' }]);
  });

  it('a version change no notice announced is told to the app at the first refused call', async () => {
    const name = uniqueName('unannounced');
    const old = await open({ storage: 'opfs', migrations: [PERSON] }, name);
    const heard = new Promise<unknown>((resolve) => old.addEventListener('versionchange', (event) => resolve(event.detail)));
    // The schema version moves without a migrating tab to post a notice.
    const plain = await open({ storage: 'opfs' }, name);
    await plain.exec('PRAGMA user_version = 2');
    expect((await failure(() => old.get('SELECT 1'))).code).toBe('SCHEMA_CHANGED');
    expect(await heard).toEqual({ oldVersion: 1, newVersion: 2 });
  });

  it('a handle without migrations is never refused', async () => {
    const name = uniqueName('no-migrations');
    const plain = await open({ storage: 'opfs' }, name);
    await open({ storage: 'opfs', migrations: [PERSON, PET] }, name);
    await plain.run("INSERT INTO person (name) VALUES ('plain')");
  });
});

describe('migration option checks', () => {
  it.each([
    ['not an array', { migrations: 'x' }, 'migrations'],
    ['an entry without a name', { migrations: [{ sql: 'SELECT 1' }] }, 'name'],
    ['a name used twice', { migrations: [PERSON, PERSON] }, 'twice'],
    ['neither sql nor up', { migrations: [{ name: 'x' }] }, 'either sql'],
    ['both sql and up', { migrations: [{ name: 'x', sql: 'SELECT 1', up: () => undefined }] }, 'either sql'],
    ['a checksum on a SQL migration', { migrations: [{ name: 'x', sql: 'SELECT 1', checksum: 'c' }] }, 'checksum'],
    ['allowNewerSchema without migrations', { allowNewerSchema: true }, 'allowNewerSchema'],
    ['onVersionChange "ignore"', { migrations: [], onVersionChange: 'ignore' }, 'onVersionChange'],
  ])('%s rejects INVALID_ARGUMENT naming it', async (_label, options, word) => {
    const error = await failure(() => openDatabase(uniqueName('bad-migrations'), options as never));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(word);
  });
});
