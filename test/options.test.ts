/**
 * The options of openDatabase: checked up front (INVALID_ARGUMENT naming the field), and each
 * one doing what it promises: storage, durability, lockTimeout.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseOptions } from 'sqlite-baton';
import { failure, open, STORAGES } from './support/open.ts';
import { uniqueName } from './support/unique-name.ts';

describe('option checks', () => {
  it.each([
    ['an unknown option', { storages: 'opfs' }, 'storages'],
    ['storage "foo"', { storage: 'foo' }, 'storage'],
    ['storage "OPFS" (wrong case)', { storage: 'OPFS' }, 'storage'],
    ['storage "idb"', { storage: 'idb' }, 'storage'],
    ['lockTimeout -1', { lockTimeout: -1 }, 'lockTimeout'],
    ['lockTimeout 0', { lockTimeout: 0 }, 'lockTimeout'],
    ['lockTimeout NaN', { lockTimeout: NaN }, 'lockTimeout'],
    ['lockTimeout Infinity', { lockTimeout: Infinity }, 'lockTimeout'],
    ['lockTimeout "100" (a string)', { lockTimeout: '100' }, 'lockTimeout'],
    ['lockTimeout beyond what a timer can wait (2^31 ms)', { lockTimeout: 2 ** 31 }, 'lockTimeout'],
    ['queryTimeout -1', { queryTimeout: -1 }, 'queryTimeout'],
    ['queryTimeout NaN', { queryTimeout: NaN }, 'queryTimeout'],
    ['durability "x"', { durability: 'x' }, 'durability'],
    ['durability "normal"', { durability: 'normal' }, 'durability'],
  ])('%s rejects with INVALID_ARGUMENT naming the field', async (_label, options, field) => {
    const error = await failure(() => openDatabase(uniqueName('bad-option'), options as DatabaseOptions));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(field);
  });

  it.each([
    ['null', null],
    ['a string', 'opfs'],
    ['a number', 1],
  ])('options that are %s reject with INVALID_ARGUMENT', async (_label, options) => {
    const error = await failure(() => openDatabase(uniqueName('bad-options'), options as DatabaseOptions));
    expect(error.code).toBe('INVALID_ARGUMENT');
  });

  it('a rejected option leaves nothing open: the same name opens fine right after', async () => {
    const name = uniqueName('after-bad-option');
    await failure(() => openDatabase(name, { storage: 'foo' } as never));
    const db = await open({ storage: 'opfs' }, name);
    expect((await db.status()).role).toBe('leader');
  });

  it('the longest lockTimeout a timer can wait (2^31 - 1 ms) is accepted', async () => {
    const db = await open({ storage: 'memory', lockTimeout: 2 ** 31 - 1 });
    expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
  });

  it('options set to undefined take their defaults', async () => {
    const db = await open({ storage: undefined, lockTimeout: undefined, durability: undefined });
    expect(db.storage).toBe('opfs');
    expect(await db.get('PRAGMA synchronous')).toEqual({ synchronous: 2 });
  });
});

describe('storage', () => {
  it('defaults to opfs where OPFS is available, with no fallback event', async () => {
    const db = await open();
    let fallback: unknown;
    db.addEventListener('fallback', (event) => (fallback = (event as CustomEvent).detail));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(db.storage).toBe('opfs');
    expect((await db.status()).storage).toBe('opfs');
    expect(fallback).toBeUndefined();
  });

  it("'auto' is the default, spelled out", async () => {
    const db = await open({ storage: 'auto' });
    expect(db.storage).toBe('opfs');
  });

  it("'indexeddb' gives IndexedDB even where OPFS exists, with no fallback event (it was asked for)", async () => {
    const db = await open({ storage: 'indexeddb' });
    let fallback: unknown;
    db.addEventListener('fallback', (event) => (fallback = (event as CustomEvent).detail));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(db.storage).toBe('indexeddb');
    expect((await db.status()).storage).toBe('indexeddb');
    expect(fallback).toBeUndefined();
  });

  it("'memory' gives an in-memory database", async () => {
    const db = await open({ storage: 'memory' });
    expect(db.storage).toBe('memory');
    expect(await db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'memory' });
  });
});

describe('durability on opfs', () => {
  it("'full' (the default) runs WAL with synchronous=FULL and exclusive locking", async () => {
    const db = await open({ storage: 'opfs' });
    expect(await db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
    expect(await db.get('PRAGMA synchronous')).toEqual({ synchronous: 2 });
    expect(await db.get('PRAGMA locking_mode')).toEqual({ locking_mode: 'exclusive' });
  });

  it("'relaxed' runs WAL with synchronous=NORMAL", async () => {
    const db = await open({ storage: 'opfs', durability: 'relaxed' });
    expect(await db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
    expect(await db.get('PRAGMA synchronous')).toEqual({ synchronous: 1 });
  });

  it("'relaxed' still keeps every write across close and reopen", async () => {
    const name = uniqueName('relaxed');
    const first = await open({ storage: 'opfs', durability: 'relaxed' }, name);
    await first.exec('CREATE TABLE t (x)');
    await Promise.all([1, 2, 3].map((x) => first.run('INSERT INTO t VALUES (?)', [x])));
    await first.close();
    const second = await open({ storage: 'opfs', durability: 'relaxed' }, name);
    expect(await second.all('SELECT x FROM t ORDER BY x')).toEqual([{ x: 1 }, { x: 2 }, { x: 3 }]);
  });
});

describe.each(STORAGES)('lockTimeout on %s', (storage) => {
  it('a call waiting for the writer past lockTimeout rejects LOCK_TIMEOUT, is never applied, and the transaction commits', async () => {
    const db = await open({ storage, lockTimeout: 250 });
    await db.exec('CREATE TABLE t (v TEXT)');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const transaction = db.transaction(async (tx) => {
      await tx.run("INSERT INTO t VALUES ('tx')");
      entered();
      await held;
    });
    await inside;
    const error = await failure(() => db.run("INSERT INTO t VALUES ('timed out')"));
    expect(error.code).toBe('LOCK_TIMEOUT');
    release();
    await transaction;
    expect(await db.all('SELECT v FROM t')).toEqual([{ v: 'tx' }]);
    expect((await db.status()).queueDepth).toBe(0);
  });
});
