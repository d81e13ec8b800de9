import { SqliteError } from '../src/errors.ts';
import type { Durability } from '../src/protocol.ts';
import { connect, loadSqlite, type Engine } from './engine.ts';

/**
 * The OPFS engine: sqlite-wasm's `opfs-sahpool` VFS. It needs no SharedArrayBuffer (so no
 * COOP/COEP headers) and is the fastest OPFS VFS, but it takes every access handle of its pool,
 * so only one worker in the origin may have a database's pool open: the leader.
 *
 * Each database name gets its own pool (VFS name and directory), so two databases of one app
 * can have different leaders.
 */

/** How long to keep retrying while a previous owner (a reloaded or dying tab) still holds handles. */
const OPEN_RETRY_MS = 10_000;

/** A short, stable, URI-safe name for a database name. */
function poolKey(name: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const readable = name.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 24);
  return `${readable}-${hash.toString(16).padStart(8, '0')}`;
}

/** True when this worker can use OPFS sync access handles at all. */
export function opfsProblem(): string | undefined {
  if (!globalThis.isSecureContext) return 'the page is not a secure context (https or localhost)';
  if (typeof navigator.storage?.getDirectory !== 'function') return 'navigator.storage.getDirectory is missing';
  if (typeof FileSystemFileHandle === 'undefined' || !('createSyncAccessHandle' in FileSystemFileHandle.prototype)) {
    return 'OPFS sync access handles are missing in this worker';
  }
  return undefined;
}

function isHandleBusy(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  const text = String((error as { message?: unknown } | null)?.message ?? error);
  return name === 'NoModificationAllowedError' || /NoModificationAllowed|InvalidStateError|Access Handles cannot be created/i.test(text);
}

export async function openOpfsEngine(name: string, durability: Durability): Promise<Engine> {
  const sqlite3 = await loadSqlite();
  const key = poolKey(name);
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const pool = await sqlite3.installOpfsSAHPoolVfs({
        name: `baton-${key}`,
        directory: `.sqlite-baton/${key}`,
        preserveOnInitFailure: true,
        // A failed install is cached; retrying after the previous owner let go needs this.
        forceReinitIfPreviouslyFailed: true,
      } as Parameters<typeof sqlite3.installOpfsSAHPoolVfs>[0]);
      if (pool.isPaused()) await pool.unpauseVfs();
      const db = new pool.OpfsSAHPoolDb('/database.sqlite3');
      const opened = connect(sqlite3, db, durability, true);
      return {
        storage: 'opfs',
        ...opened,
        close: () => {
          opened.connection.close();
          pool.pauseVfs();
        },
      };
    } catch (e) {
      if (!isHandleBusy(e) || Date.now() - started > OPEN_RETRY_MS) {
        if (e instanceof SqliteError) throw e;
        throw new SqliteError('OPEN_FAILED', `could not open "${name}" in OPFS: ${String((e as Error)?.message ?? e)}`);
      }
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)));
    }
  }
}
