import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { faultHook } from '../fault-hook.ts';
import { ioMethodsOf } from './io-methods.ts';

/**
 * Write combining for one opfs-sahpool pool. SQLite writes a WAL commit as two calls per page
 * (the frame header, then the page), each one call on an OPFS sync access handle; in a private
 * window, where OPFS lives in the browser process's memory, each call costs about 0.6 ms whatever
 * its size (bench: "storage calls per write"). Here consecutive writes to one file are gathered
 * in a buffer and reach OPFS as one call, before anything else touches that file: a sync, a read,
 * a size query, a truncate or a close. So a group commit of eight rows is one write call and
 * one flush instead of a dozen calls.
 *
 * Nothing becomes durable later than it would have: SQLite counts only on what it has synced, and
 * every sync first writes the buffer. Only for `durability: 'full'`, where every commit syncs the
 * WAL: with 'relaxed' a commit is not synced, and a buffered commit would not survive the tab.
 */

/** A buffer larger than this is written out at once (a big transaction, a checkpoint). */
const MAX_BUFFER = 4 * 1024 * 1024;

type Call = (...args: unknown[]) => number;

interface Pending {
  ptr: number;
  capacity: number;
  /** File offset of the buffer's first byte. */
  start: number;
  length: number;
}

interface Combiner {
  enabled: boolean;
}

const combiners = new Map<number, Combiner>();

/** Turns write combining on (durability 'full') or off for the pool of `db`. */
export function combineWrites(sqlite3: Sqlite3Static, db: Database, enabled: boolean): void {
  const methods = ioMethodsOf(sqlite3, db);
  if (!methods) return;
  const existing = combiners.get(methods);
  if (existing) {
    existing.enabled = enabled;
    return;
  }
  if (!enabled) return;
  const combiner: Combiner = { enabled };
  combiners.set(methods, combiner);
  install(sqlite3, methods, combiner);
}

function install(sqlite3: Sqlite3Static, methodsPtr: number, combiner: Combiner): void {
  const { capi, wasm } = sqlite3;
  const methods = new capi.sqlite3_io_methods(methodsPtr);
  const original = (name: 'xWrite' | 'xRead' | 'xSync' | 'xTruncate' | 'xFileSize' | 'xClose'): Call => {
    // Struct members read as function pointers under their "$"-prefixed key.
    const pointer = (methods as unknown as Record<string, number>)[`$${name}`];
    const fn = pointer ? wasm.functionEntry(pointer) : undefined;
    if (!fn) throw new Error(`opfs-sahpool has no ${name}`);
    return fn as Call;
  };
  const write = original('xWrite');
  const read = original('xRead');
  const sync = original('xSync');
  const truncate = original('xTruncate');
  const fileSize = original('xFileSize');
  const close = original('xClose');
  const pending = new Map<number, Pending>();

  const flush = (file: number): number => {
    const p = pending.get(file);
    if (!p || p.length === 0) return 0;
    const length = p.length;
    p.length = 0;
    // An i64 argument crosses as a BigInt (the Connection refuses builds without BigInt support).
    return write(file, p.ptr, length, BigInt(p.start));
  };

  const buffer = (file: number, src: number, n: number, offset: number): boolean => {
    let p = pending.get(file);
    if (p && p.length > 0 && (offset < p.start || offset > p.start + p.length)) return false;
    if (!p) {
      p = { ptr: 0, capacity: 0, start: offset, length: 0 };
      pending.set(file, p);
    }
    if (p.length === 0) p.start = offset;
    const end = offset - p.start + n;
    if (end > MAX_BUFFER) return false;
    if (end > p.capacity) {
      const capacity = Math.max(end, p.capacity * 2, 64 * 1024);
      const ptr = Number(wasm.realloc(p.ptr, capacity));
      if (!ptr) return false;
      p.ptr = ptr;
      p.capacity = capacity;
    }
    const heap = wasm.heap8u();
    heap.copyWithin(p.ptr + offset - p.start, src, src + n);
    p.length = Math.max(p.length, end);
    return true;
  };

  methods.installMethod({
    xWrite(file: number, src: number, n: number, offset: bigint | number): number {
      if (!combiner.enabled) return flush(file) || write(file, src, n, offset);
      const at = Number(offset);
      if (buffer(file, src, n, at)) return 0;
      const rc = flush(file);
      if (rc !== 0) return rc;
      return buffer(file, src, n, at) ? 0 : write(file, src, n, offset);
    },
    xRead(file: number, dest: number, n: number, offset: bigint | number): number {
      return flush(file) || read(file, dest, n, offset);
    },
    xSync(file: number, flags: number): number {
      const rc = flush(file);
      if (rc !== 0) return rc;
      faultHook?.('in-flush', 'storage');
      return sync(file, flags);
    },
    xTruncate(file: number, size: bigint | number): number {
      return flush(file) || truncate(file, size);
    },
    xFileSize(file: number, out: number): number {
      return flush(file) || fileSize(file, out);
    },
    xClose(file: number): number {
      const rc = flush(file);
      const p = pending.get(file);
      if (p?.ptr) wasm.dealloc(p.ptr);
      pending.delete(file);
      const closed = close(file);
      return rc || closed;
    },
  });
}
