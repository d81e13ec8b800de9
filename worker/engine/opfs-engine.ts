import { SqliteError } from '../../src/errors.ts';
import type { Durability } from '../../src/types.ts';
import { connect, loadSqlite, type Engine } from './engine.ts';
import { declarePowersafeOverwrite } from './powersafe-overwrite.ts';
import { sharedHandlesSupported, takeFence, withSharedHandles } from './shared-handles.ts';
import { combineWrites } from './write-combining.ts';

/**
 * The OPFS engine: sqlite-wasm's `opfs-sahpool` VFS. It needs no SharedArrayBuffer (so no
 * COOP/COEP headers) and is the fastest OPFS VFS, but it takes every access handle of its pool,
 * so only one worker in the origin may have a database's pool open: the leader.
 *
 * Each database name gets its own pool (VFS name and directory), so two databases of one app
 * can have different leaders.
 */

/** Each database has a pool of its own, so its main file can have a fixed name. */
export const DB_FILE = '/database.sqlite3';

/** How long to keep retrying while a previous owner (a reloaded or dying tab) still holds handles. */
const OPEN_RETRY_MS = 10_000;

/** A short, stable, URI-safe name for a database name (exported for the bench's raw contender). */
export function poolKey(name: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const readable = name.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 24);
  return `${readable}-${hash.toString(16).padStart(8, '0')}`;
}

/** Why this worker cannot use OPFS sync access handles at all, or undefined when it can. */
export async function opfsProblem(): Promise<string | undefined> {
  if (!globalThis.isSecureContext) return 'the page is not a secure context (https or localhost)';
  if (typeof navigator.storage?.getDirectory !== 'function') return 'navigator.storage.getDirectory is missing';
  if (typeof FileSystemFileHandle === 'undefined' || !('createSyncAccessHandle' in FileSystemFileHandle.prototype)) {
    return 'OPFS sync access handles are missing in this worker';
  }
  // Every API can be there and OPFS still be blocked: Firefox's private windows reject here with
  // a SecurityError (checked with 153 ESR), where Chromium's incognito keeps OPFS in memory.
  try {
    await navigator.storage.getDirectory();
  } catch (e) {
    return `OPFS is blocked here (${(e as { name?: string })?.name ?? String(e)}; a private window, or storage disabled for this site)`;
  }
  return undefined;
}

/**
 * Another worker holds the pool's handles. Matched by the DOMException's standard name, which
 * every engine sets (NoModificationAllowedError: checked in Chromium and in Firefox 153, whose
 * text is only "No modification allowed"); the texts are a fallback for wrapped errors.
 */
function isHandleBusy(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  const text = String((error as { message?: unknown } | null)?.message ?? error);
  return name === 'NoModificationAllowedError' || /NoModificationAllowed|InvalidStateError|Access Handles cannot be created/i.test(text);
}

/** `Name: message`: the DOMException's name is the same in every engine, its message is not. */
function describeFailure(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  if (typeof message !== 'string') return String(error);
  return typeof name === 'string' && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message;
}

type Pool = Awaited<ReturnType<Awaited<ReturnType<typeof loadSqlite>>['installOpfsSAHPoolVfs']>>;

/** A pool held by this worker, and how to let it go. */
export interface HeldPool {
  readonly pool: Pool;
  /** Where the pool keeps its files, when its handles are shared with a reader worker (shared-handles.ts). */
  readonly sharedDirectory?: string;
  release(): void;
}

/**
 * Takes the pool of database `name`: all its access handles (shared ones, and the pool's fence,
 * where the browser has handle modes). A tab that was just closed or reloaded may still hold
 * them for a moment (NoModificationAllowedError), so this retries with backoff for a bounded
 * while, then fails with OPEN_FAILED.
 */
export async function takePool(name: string): Promise<HeldPool> {
  const sqlite3 = await loadSqlite();
  const key = poolKey(name);
  const directory = `.sqlite-baton/${key}`;
  const shared = sharedHandlesSupported();
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    let fence: FileSystemSyncAccessHandle | undefined;
    try {
      if (shared) fence = await takeFence(directory);
      const open = async () => {
        const pool = await sqlite3.installOpfsSAHPoolVfs({
          name: `baton-${key}`,
          directory,
          preserveOnInitFailure: true,
          // A failed install is cached; retrying after the previous owner let go needs this.
          forceReinitIfPreviouslyFailed: true,
        } as Parameters<typeof sqlite3.installOpfsSAHPoolVfs>[0]);
        if (pool.isPaused()) await pool.unpauseVfs();
        return pool;
      };
      const pool = shared ? await withSharedHandles(open) : await open();
      const held = fence;
      return {
        pool,
        ...(shared ? { sharedDirectory: directory } : {}),
        release: () => {
          pool.pauseVfs();
          held?.close();
        },
      };
    } catch (e) {
      fence?.close();
      if (!isHandleBusy(e) || Date.now() - started > OPEN_RETRY_MS) {
        throw new SqliteError('OPEN_FAILED', `could not open "${name}" in OPFS: ${describeFailure(e)}`);
      }
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)));
    }
  }
}

export async function openOpfsEngine(name: string, durability: Durability): Promise<Engine> {
  const sqlite3 = await loadSqlite();
  const held = await takePool(name);
  const { pool } = held;
  let opened: ReturnType<typeof connect>;
  const db = new pool.OpfsSAHPoolDb(DB_FILE);
  try {
    declarePowersafeOverwrite(sqlite3, db);
    combineWrites(sqlite3, db, durability === 'full');
    opened = connect(sqlite3, db, durability, true);
  } catch (e) {
    // A file SQLite cannot read (SQLITE_NOTADB, SQLITE_CORRUPT): let go of it, say why.
    db.close();
    held.release();
    throw e;
  }
  return {
    storage: 'opfs',
    ...opened,
    ...(held.sharedDirectory ? { readerFile: { directory: held.sharedDirectory, path: DB_FILE } } : {}),
    rawBytes: () => pool.exportFile(DB_FILE),
    close: () => {
      opened.connection.close();
      held.release();
    },
  };
}

/** What maintenance can do to a database that no tab has open: read its file as stored, or delete it. */
export async function maintainOpfsFile(name: string, action: 'read' | 'delete'): Promise<Uint8Array | undefined> {
  const held = await takePool(name);
  const { pool } = held;
  try {
    if (action === 'read') return pool.getFileNames().includes(DB_FILE) ? pool.exportFile(DB_FILE) : new Uint8Array();
    for (const file of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-journal`]) pool.unlink(file);
    return undefined;
  } finally {
    held.release();
  }
}
