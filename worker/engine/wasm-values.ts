import type { Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { SqliteError, invalidArgument } from '../../src/errors.ts';
import { checkValue } from '../../src/params.ts';
import type { SqlValue } from '../../src/types.ts';

/**
 * SQL values into a statement's parameters and out of its columns, through sqlite-wasm's raw
 * exports. The oo1 and capi wrappers convert every argument on every call and give each string
 * its own allocation: binding two values and stepping an INSERT cost about 3 µs through them and
 * 0.5 µs here, while SQLite's own work was 0.25 µs (Node, in-memory database, 100,000 rows). Strings and blobs are written into one scratch
 * buffer and bound as SQLITE_TRANSIENT, so SQLite copies them before the buffer is reused.
 */

const SQLITE_TRANSIENT = -1;
const INTEGER = 1;
const FLOAT = 2;
const TEXT = 3;
const BLOB = 4;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
/** The scratch buffer kept between calls; a bigger value gets a buffer of its own, freed at once. */
const SCRATCH_KEPT = 64 * 1024;

/** An int64 as a number when that is exact, else as a bigint. */
export function safeInteger(value: bigint): number | bigint {
  return value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : value;
}

/** The raw C functions this file calls; `sqlite3.wasm.exports` holds them untyped. */
interface Exports {
  sqlite3_bind_null(stmt: number, index: number): number;
  sqlite3_bind_int(stmt: number, index: number, value: number): number;
  sqlite3_bind_int64(stmt: number, index: number, value: bigint): number;
  sqlite3_bind_double(stmt: number, index: number, value: number): number;
  sqlite3_bind_text(stmt: number, index: number, text: number, bytes: number, destructor: number): number;
  sqlite3_bind_blob(stmt: number, index: number, blob: number, bytes: number, destructor: number): number;
  sqlite3_bind_zeroblob(stmt: number, index: number, bytes: number): number;
  sqlite3_column_type(stmt: number, index: number): number;
  sqlite3_column_double(stmt: number, index: number): number;
  sqlite3_column_int64(stmt: number, index: number): bigint;
  sqlite3_column_text(stmt: number, index: number): number;
  sqlite3_column_blob(stmt: number, index: number): number;
  sqlite3_column_bytes(stmt: number, index: number): number;
  sqlite3_column_name(stmt: number, index: number): number;
}

export class WasmValues {
  private readonly x: Exports;
  // ignoreBOM: a U+FEFF at the start of a value or a column name is part of it; the default
  // decoder (and sqlite-wasm's own string helpers) would drop it as a byte order mark.
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly encoder = new TextEncoder();
  private scratch = 0;
  private scratchSize = 0;

  constructor(private readonly sqlite3: Sqlite3Static) {
    this.x = sqlite3.wasm.exports as Exports;
    // Without BigInt support an int64 cannot cross into the wasm exports at all.
    if (!sqlite3.config.bigIntEnabled) throw new SqliteError('OPEN_FAILED', 'sqlite-baton needs a sqlite-wasm build with BigInt support');
  }

  /** Binds `value` to parameter `index` (from 1); returns SQLite's result code. */
  bind(stmt: number, index: number, value: SqlValue | undefined): number {
    switch (typeof value) {
      case 'number':
        // Integers bind as integers, as oo1 does; a whole number past 2^53 is a double that has
        // lost its low bits, and binds as the double it is (2 ** 64 as int64 would wrap to 0).
        if ((value | 0) === value) return this.x.sqlite3_bind_int(stmt, index, value);
        if (Number.isSafeInteger(value)) return this.x.sqlite3_bind_int64(stmt, index, BigInt(value));
        return this.x.sqlite3_bind_double(stmt, index, value);
      case 'string':
        return this.bindText(stmt, index, value);
      case 'boolean':
        return this.x.sqlite3_bind_int(stmt, index, value ? 1 : 0);
      case 'bigint':
        // The wasm boundary would wrap an out-of-range bigint silently.
        checkValue(value, `parameter ${index}`);
        return this.x.sqlite3_bind_int64(stmt, index, value);
      case 'undefined':
        return this.x.sqlite3_bind_null(stmt, index);
      default:
        if (value === null) return this.x.sqlite3_bind_null(stmt, index);
        if (value instanceof Uint8Array) return this.bindBlob(stmt, index, value);
        throw invalidArgument(`${Object.prototype.toString.call(value)} is not a SQL value`);
    }
  }

  /** Column `index` (from 0) of the current row. */
  column(stmt: number, index: number): SqlValue {
    switch (this.x.sqlite3_column_type(stmt, index)) {
      case INTEGER: {
        // A double holds every integer up to 2^53 exactly: only larger ones need the int64 read.
        const asDouble = this.x.sqlite3_column_double(stmt, index);
        return Number.isSafeInteger(asDouble) ? asDouble : safeInteger(this.x.sqlite3_column_int64(stmt, index));
      }
      case FLOAT:
        return this.x.sqlite3_column_double(stmt, index);
      case TEXT: {
        // sqlite3_column_bytes after sqlite3_column_text: the length of the UTF-8 form.
        const at = Number(this.x.sqlite3_column_text(stmt, index));
        const length = this.x.sqlite3_column_bytes(stmt, index);
        return length === 0 ? '' : this.decoder.decode(this.sqlite3.wasm.heap8u().subarray(at, at + length));
      }
      case BLOB: {
        const at = Number(this.x.sqlite3_column_blob(stmt, index));
        const length = this.x.sqlite3_column_bytes(stmt, index);
        return length === 0 ? new Uint8Array(0) : this.sqlite3.wasm.heap8u().slice(at, at + length);
      }
      default:
        return null;
    }
  }

  /** The name of column `index` (from 0), as SQLite holds it. */
  columnName(stmt: number, index: number): string {
    const at = Number(this.x.sqlite3_column_name(stmt, index));
    if (at === 0) return '';
    const heap = this.sqlite3.wasm.heap8u();
    let end = at;
    while (heap[end] !== 0) end++;
    return this.decoder.decode(heap.subarray(at, end));
  }

  private bindText(stmt: number, index: number, text: string): number {
    // UTF-16 to UTF-8 takes at most 3 bytes per code unit; an empty string still needs a
    // pointer, since a null one would bind NULL.
    const room = text.length * 3;
    const at = this.buffer(Math.max(room, 1));
    try {
      const { written } = this.encoder.encodeInto(text, this.sqlite3.wasm.heap8u().subarray(at, at + room));
      return this.x.sqlite3_bind_text(stmt, index, at, written, SQLITE_TRANSIENT);
    } finally {
      this.release(at);
    }
  }

  private bindBlob(stmt: number, index: number, bytes: Uint8Array): number {
    // A null pointer would bind NULL: an empty blob is a zero-length zeroblob.
    if (bytes.byteLength === 0) return this.x.sqlite3_bind_zeroblob(stmt, index, 0);
    const at = this.buffer(bytes.byteLength);
    try {
      this.sqlite3.wasm.heap8u().set(bytes, at);
      return this.x.sqlite3_bind_blob(stmt, index, at, bytes.byteLength, SQLITE_TRANSIENT);
    } finally {
      this.release(at);
    }
  }

  /** Wasm memory for `size` bytes: the kept scratch buffer when it is big enough. */
  private buffer(size: number): number {
    if (size <= this.scratchSize) return this.scratch;
    if (size > SCRATCH_KEPT) return Number(this.sqlite3.wasm.alloc(size));
    if (this.scratch !== 0) this.sqlite3.wasm.dealloc(this.scratch);
    this.scratch = Number(this.sqlite3.wasm.alloc(SCRATCH_KEPT));
    this.scratchSize = SCRATCH_KEPT;
    return this.scratch;
  }

  private release(at: number): void {
    if (at !== this.scratch) this.sqlite3.wasm.dealloc(at);
  }

  /** Frees the scratch buffer. */
  dispose(): void {
    if (this.scratch !== 0) this.sqlite3.wasm.dealloc(this.scratch);
    this.scratch = 0;
    this.scratchSize = 0;
  }
}
