/**
 * Where a tab's worker comes from (`openDatabase(name, { worker })`): a URL or a function, for
 * setups that cannot bundle the worker; and a worker that cannot start rejects OPEN_FAILED naming
 * the script it tried, for openDatabase and for readDatabaseFile/deleteDatabase alike.
 */
import { describe, expect, it } from 'vitest';
import { deleteDatabase, openDatabase, readDatabaseFile, type DatabaseOptions, type MaintenanceOptions } from 'sqlite-baton';
import { failure, open } from './support/open.ts';
import { uniqueName } from './support/unique-name.ts';

/** The library's own worker as the app would start it, counting the starts. */
function countingWorker(): { make: () => Worker; starts: () => number } {
  let starts = 0;
  return {
    make: () => {
      starts++;
      return new Worker(new URL('../worker/entry.ts', import.meta.url), { type: 'module' });
    },
    starts: () => starts,
  };
}

describe('the worker option', () => {
  it('a function: the database opens in the Worker it returns, and works', async () => {
    const worker = countingWorker();
    const db = await open({ worker: worker.make });
    await db.exec('CREATE TABLE t (x)');
    await db.run('INSERT INTO t VALUES (?)', [1]);
    expect(await db.all('SELECT x FROM t')).toEqual([{ x: 1 }]);
    expect(worker.starts()).toBe(1);
    expect(await db.status()).toMatchObject({ role: 'leader', storage: 'opfs' });
  });

  it('a function: readDatabaseFile and deleteDatabase start their worker with it', async () => {
    const name = uniqueName('fn-maintenance');
    const db = await openDatabase(name);
    await db.exec('CREATE TABLE t (x)');
    await db.close();
    const worker = countingWorker();
    const bytes = await readDatabaseFile(name, { worker: worker.make });
    expect(new TextDecoder().decode(bytes.subarray(0, 15))).toBe('SQLite format 3');
    await deleteDatabase(name, { worker: worker.make });
    expect(worker.starts()).toBe(2);
    expect(await readDatabaseFile(name)).toHaveLength(0);
  });

  it('a URL object and a string URL both work', async () => {
    const url = new URL('../worker/entry.ts', import.meta.url);
    const fromUrl = await open({ worker: url });
    await fromUrl.exec('CREATE TABLE t (x)');
    const fromString = await open({ worker: url.pathname });
    expect(await fromString.get('SELECT 1 AS one')).toEqual({ one: 1 });
  });

  it.each([
    ['a number', 42],
    ['an empty string', ''],
    ['an object', {}],
    ['null', null],
  ])('%s is INVALID_ARGUMENT naming the option and what it takes', async (_label, worker) => {
    const error = await failure(() => openDatabase(uniqueName('bad-worker'), { worker } as unknown as DatabaseOptions));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('options.worker');
    expect(error.message).toContain('function returning a new Worker');
    const maintenance = await failure(() => readDatabaseFile(uniqueName('bad-worker'), { worker } as unknown as MaintenanceOptions));
    expect(maintenance.code).toBe('INVALID_ARGUMENT');
  });

  it('a function that returns no Worker is INVALID_ARGUMENT', async () => {
    const error = await failure(() => openDatabase(uniqueName('not-a-worker'), { worker: () => ({}) as Worker }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('must return a new Worker');
  });
});

describe('a worker that cannot start', () => {
  const missing = '/no-such-dir/worker.js';

  it('openDatabase rejects OPEN_FAILED naming the URL it tried', async () => {
    const error = await failure(() => openDatabase(uniqueName('missing-worker'), { worker: missing }));
    expect(error.code).toBe('OPEN_FAILED');
    expect(error.message).toContain(new URL(missing, location.href).href);
  });

  it('readDatabaseFile and deleteDatabase reject the same way instead of waiting forever', async () => {
    for (const call of [readDatabaseFile, deleteDatabase]) {
      const error = await failure(() => call(uniqueName('missing-worker'), { worker: missing }));
      expect(error.code).toBe('OPEN_FAILED');
      expect(error.message).toContain(new URL(missing, location.href).href);
    }
  });

  it('a script that throws at its top level: OPEN_FAILED with its URL and its error', async () => {
    const url = new URL('./support/throws-at-start.worker.ts', import.meta.url);
    const error = await failure(() => openDatabase(uniqueName('throwing-worker'), { worker: url }));
    expect(error.code).toBe('OPEN_FAILED');
    expect(error.message).toContain(url.href);
    expect(error.message).toContain('failed on purpose');
  });

  it('a script of another origin: OPEN_FAILED saying it must come from this origin', async () => {
    const url = 'https://cdn.example.invalid/sqlite-baton/dist/worker.js';
    const error = await failure(() => openDatabase(uniqueName('cross-origin-worker'), { worker: url }));
    expect(error.code).toBe('OPEN_FAILED');
    expect(error.message).toContain(url);
    expect(error.message).toContain("page's own origin");
  });

  it('a function that throws: OPEN_FAILED with its error', async () => {
    const error = await failure(() =>
      openDatabase(uniqueName('throwing-function'), {
        worker: () => {
          throw new Error('no worker today');
        },
      }),
    );
    expect(error.code).toBe('OPEN_FAILED');
    expect(error.message).toContain('no worker today');
  });

  it('after a failed start the same name opens with the default worker', async () => {
    const name = uniqueName('after-missing-worker');
    await failure(() => openDatabase(name, { worker: missing }));
    const db = await open(undefined, name);
    expect(await db.status()).toMatchObject({ role: 'leader' });
  });
});
