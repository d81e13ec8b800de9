/**
 * Test-only storage layer that can lose power. It sits in the sqlite3_io_methods of an
 * opfs-sahpool pool, under write combining (worker/engine/write-combining.ts), where OPFS itself
 * is: it keeps, per file, the bytes as of that file's last sync, and the writes and truncations
 * made since. At a power cut, chosen as the storage call before which the power goes out, each
 * file is put back to what survived, and every later call fails with an I/O error. What survives
 * of the unsynced writes depends on the model:
 *  - `drop`: nothing;
 *  - `tear`: the last write only partly: its first sectors (512 bytes, counted from the start of
 *    the file), any number of them;
 *  - `reorder`: any subset of them, each whole or torn, as a disk that reorders its writes.
 * All three keep every byte a write did not touch (a power-safe overwrite, which is what the
 * library declares of OPFS: worker/engine/powersafe-overwrite.ts). A fourth, `garble`, does not:
 * the torn write's sectors end up holding neither their old nor their new bytes, as on a disk
 * without that property; it shows what the declaration rests on.
 *
 * After the cut the file is closed and `revive()` lets a fresh connection open what is left, as
 * a reboot would.
 */
import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { ioMethodsOf } from '../../worker/engine/io-methods.ts';

export type CutModel = 'drop' | 'tear' | 'reorder' | 'garble';

const SECTOR = 512;
const SQLITE_IOERR_READ = 266;
const SQLITE_IOERR_WRITE = 778;
const SQLITE_IOERR_FSYNC = 1034;
const SQLITE_IOERR_TRUNCATE = 1546;
const SQLITE_IOERR_FSTAT = 1802;

type Op = { kind: 'write'; order: number; offset: number; bytes: Uint8Array } | { kind: 'truncate'; order: number; size: number };

interface FileState {
  /** The file as of its last sync. */
  synced: Uint8Array;
  /** Writes and truncations since. */
  pending: Op[];
}

type Call = (...args: unknown[]) => number;

const installed = new Map<number, PowerCutStorage>();

export class PowerCutStorage {
  private readonly files = new Map<number, FileState>();
  private tracking = false;
  private dead = false;
  private calls = 0;
  private cutBefore = Number.POSITIVE_INFINITY;
  private order = 0;
  private model: CutModel = 'drop';
  private random: () => number = Math.random;
  /** Syncs completed since `arm`. */
  syncs = 0;
  /** What the last cut did: unsynced writes dropped, kept whole, torn. */
  lastCut = { dropped: 0, kept: 0, torn: 0 };

  private constructor(
    private readonly sqlite3: Sqlite3Static,
    private readonly raw: Record<'xWrite' | 'xRead' | 'xSync' | 'xTruncate' | 'xFileSize' | 'xClose', Call>,
  ) {}

  /**
   * Wraps the I/O methods of `db`'s pool, once per worker; must run before write combining is
   * installed on the same methods, so that combined writes reach this layer as OPFS would see them.
   */
  static install(sqlite3: Sqlite3Static, db: Database): PowerCutStorage {
    const pointer = ioMethodsOf(sqlite3, db);
    if (!pointer) throw new Error('no I/O methods for this database');
    const existing = installed.get(pointer);
    if (existing) return existing;
    const methods = new sqlite3.capi.sqlite3_io_methods(pointer);
    const original = (name: keyof PowerCutStorage['raw']): Call => {
      const fn = sqlite3.wasm.functionEntry((methods as unknown as Record<string, number>)[`$${name}`]!);
      if (!fn) throw new Error(`the pool has no ${name}`);
      return fn as Call;
    };
    const layer = new PowerCutStorage(sqlite3, {
      xWrite: original('xWrite'),
      xRead: original('xRead'),
      xSync: original('xSync'),
      xTruncate: original('xTruncate'),
      xFileSize: original('xFileSize'),
      xClose: original('xClose'),
    });
    methods.installMethod(layer.methods());
    installed.set(pointer, layer);
    return layer;
  }

  /** Storage calls counted since `arm`. */
  get callCount(): number {
    return this.calls;
  }

  get isCut(): boolean {
    return this.dead;
  }

  /**
   * From now on the bytes of every file are as good as synced, writes are unsynced until their
   * file is synced, and the power goes out before storage call number `cutBefore` (from 1).
   */
  arm(cutBefore: number, model: CutModel, random: () => number): void {
    this.files.clear();
    this.tracking = true;
    this.dead = false;
    this.calls = 0;
    this.syncs = 0;
    this.cutBefore = cutBefore;
    this.model = model;
    this.random = random;
    this.lastCut = { dropped: 0, kept: 0, torn: 0 };
  }

  /** The power goes out now (if it has not already). */
  cut(): void {
    if (this.dead) return;
    this.dead = true;
    const lastWrite = Math.max(
      -1,
      ...[...this.files.values()].flatMap((f) => f.pending.filter((op) => op.kind === 'write').map((op) => op.order)),
    );
    for (const [file, state] of this.files) {
      if (state.pending.length === 0) continue;
      this.putBack(file, this.survivor(state, lastWrite));
    }
  }

  /** A reboot: calls pass through again, untracked. */
  revive(): void {
    this.files.clear();
    this.tracking = false;
    this.dead = false;
    this.cutBefore = Number.POSITIVE_INFINITY;
  }

  /** What `state`'s file holds after the cut, under the model. */
  private survivor(state: FileState, lastWrite: number): Uint8Array {
    let image = state.synced;
    for (const op of state.pending) {
      if (op.kind === 'truncate') {
        if (this.model === 'reorder' && this.random() < 0.5) image = resized(image, op.size);
        else this.lastCut.dropped++;
        continue;
      }
      const last = op.order === lastWrite;
      let keep = 0;
      if (this.model === 'reorder') keep = this.random() < 0.5 ? (this.random() < 0.5 ? op.bytes.length : this.tornLength(op)) : 0;
      else if ((this.model === 'tear' || this.model === 'garble') && last) keep = this.tornLength(op);
      if (keep === 0) this.lastCut.dropped++;
      else if (keep === op.bytes.length) this.lastCut.kept++;
      else this.lastCut.torn++;
      if (keep > 0) image = written(image, op.offset, op.bytes.subarray(0, keep));
      if (this.model === 'garble' && last) image = this.garbled(image, op, keep);
    }
    return image;
  }

  /** How much of a write lands when the power goes out in its middle: whole sectors, from its start. */
  private tornLength(op: Extract<Op, { kind: 'write' }>): number {
    const boundaries: number[] = [];
    for (let at = Math.floor(op.offset / SECTOR + 1) * SECTOR; at < op.offset + op.bytes.length; at += SECTOR)
      boundaries.push(at - op.offset);
    boundaries.push(op.bytes.length);
    return [0, ...boundaries][Math.floor(this.random() * (boundaries.length + 1))]!;
  }

  /** The sector the torn write stopped in holds noise, outside the write as well as in it. */
  private garbled(image: Uint8Array, op: Extract<Op, { kind: 'write' }>, kept: number): Uint8Array {
    if (kept === op.bytes.length) return image;
    const sector = Math.floor((op.offset + kept) / SECTOR) * SECTOR;
    const out = resized(image, Math.max(image.length, Math.min(sector + SECTOR, op.offset + op.bytes.length)));
    for (let i = sector; i < Math.min(sector + SECTOR, out.length); i++) out[i] = Math.floor(this.random() * 256);
    return out;
  }

  private putBack(file: number, image: Uint8Array): void {
    const { wasm } = this.sqlite3;
    this.raw.xTruncate(file, BigInt(image.length));
    if (image.length > 0) {
      const at = Number(wasm.alloc(image.length));
      try {
        wasm.heap8u().set(image, at);
        this.raw.xWrite(file, at, image.length, 0n);
      } finally {
        wasm.dealloc(at);
      }
    }
    this.raw.xSync(file, 0);
  }

  /** The file's bytes now, read through the pool. */
  private readAll(file: number): Uint8Array {
    const { wasm } = this.sqlite3;
    const stack = wasm.pstack.pointer;
    let size: number;
    try {
      const out = wasm.pstack.alloc(8);
      if (this.raw.xFileSize(file, out) !== 0) throw new Error('xFileSize failed');
      size = Number(wasm.peek64(out));
    } finally {
      wasm.pstack.restore(stack);
    }
    if (size === 0) return new Uint8Array(0);
    const at = Number(wasm.alloc(size));
    try {
      if (this.raw.xRead(file, at, size, 0n) !== 0) throw new Error('xRead failed');
      return wasm.heap8u().slice(at, at + size);
    } finally {
      wasm.dealloc(at);
    }
  }

  /** Counts a call while armed; true when the power went out before it. */
  private outBefore(file: number): FileState | undefined {
    if (!this.tracking) return undefined;
    if (++this.calls >= this.cutBefore) {
      this.cut();
      return undefined;
    }
    let state = this.files.get(file);
    if (!state) {
      state = { synced: this.readAll(file), pending: [] };
      this.files.set(file, state);
    }
    return state;
  }

  private methods() {
    const raw = this.raw;
    const heap = () => this.sqlite3.wasm.heap8u();
    return {
      xWrite: (file: number, src: number, n: number, offset: bigint | number): number => {
        if (this.dead) return SQLITE_IOERR_WRITE;
        const state = this.outBefore(file);
        if (this.dead) return SQLITE_IOERR_WRITE;
        const rc = raw.xWrite(file, src, n, offset);
        if (rc === 0 && state)
          state.pending.push({ kind: 'write', order: this.order++, offset: Number(offset), bytes: heap().slice(src, src + n) });
        return rc;
      },
      xTruncate: (file: number, size: bigint | number): number => {
        if (this.dead) return SQLITE_IOERR_TRUNCATE;
        const state = this.outBefore(file);
        if (this.dead) return SQLITE_IOERR_TRUNCATE;
        const rc = raw.xTruncate(file, size);
        if (rc === 0 && state) state.pending.push({ kind: 'truncate', order: this.order++, size: Number(size) });
        return rc;
      },
      xSync: (file: number, flags: number): number => {
        if (this.dead) return SQLITE_IOERR_FSYNC;
        const state = this.outBefore(file);
        if (this.dead) return SQLITE_IOERR_FSYNC;
        const rc = raw.xSync(file, flags);
        if (rc === 0 && state) {
          for (const op of state.pending)
            state.synced = op.kind === 'write' ? written(state.synced, op.offset, op.bytes) : resized(state.synced, op.size);
          state.pending = [];
          this.syncs++;
        }
        return rc;
      },
      xRead: (file: number, dest: number, n: number, offset: bigint | number): number => {
        if (this.dead) return SQLITE_IOERR_READ;
        this.outBefore(file);
        if (this.dead) return SQLITE_IOERR_READ;
        return raw.xRead(file, dest, n, offset);
      },
      xFileSize: (file: number, out: number): number => {
        if (this.dead) return SQLITE_IOERR_FSTAT;
        this.outBefore(file);
        if (this.dead) return SQLITE_IOERR_FSTAT;
        return raw.xFileSize(file, out);
      },
      xClose: (file: number): number => {
        // A file closed before the cut keeps what it holds (only temporary files close mid-run).
        this.files.delete(file);
        return raw.xClose(file);
      },
    };
  }
}

function resized(image: Uint8Array, size: number): Uint8Array {
  if (size <= image.length) return image.slice(0, size);
  const out = new Uint8Array(size);
  out.set(image);
  return out;
}

function written(image: Uint8Array, offset: number, bytes: Uint8Array): Uint8Array {
  const out = resized(image, Math.max(image.length, offset + bytes.length));
  out.set(bytes, offset);
  return out;
}
