import { Database } from './database.ts';
import { DirectRoute } from './direct-route.ts';
import { randomId } from './ids.ts';
import { resolveOptions, type DatabaseOptions } from './options.ts';
import type { WorkerEvent } from './protocol.ts';
import { TabRouter } from './tab-router.ts';
import { WorkerLink } from './worker-link.ts';

/**
 * Opens (creating if needed) the database `name`, shared by every tab of this origin.
 *
 * @example
 * const db = await openDatabase('app.db');
 * await db.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)');
 * await db.run('INSERT INTO notes (body) VALUES (?)', ['hello']);
 * const notes = await db.all<{ id: number; body: string }>('SELECT * FROM notes');
 */
export async function openDatabase(name: string, options?: DatabaseOptions): Promise<Database> {
  const resolved = resolveOptions(name, options);
  const tabId = randomId(8);
  // A private in-memory database has no leader to reach; nor has a context without Web Locks.
  let direct = resolved.storage !== 'memory' && typeof navigator.locks === 'object' ? await DirectRoute.start(name, tabId) : undefined;
  let db: Database | undefined;
  const onEvent = (event: WorkerEvent) => {
    direct?.follow(event.leaderPeerId, event.epoch, event.role);
    db?.emitEvent('leaderchange', { leaderId: event.leaderId, epoch: event.epoch, role: event.role });
  };
  let started: Awaited<ReturnType<typeof WorkerLink.start>>;
  try {
    started = await WorkerLink.start({ name, storage: resolved.storage, tabId, durability: resolved.durability }, onEvent);
  } catch (e) {
    await direct?.close();
    throw e;
  }
  const { link, info } = started;
  if (info.storage === 'memory' && direct) {
    await direct.close();
    direct = undefined;
  }
  db = new Database(name, info.storage, new TabRouter(link, direct), resolved);
  if (info.fallbackReason !== undefined) {
    const reason = info.fallbackReason;
    const target = db;
    // Dispatched after openDatabase has resolved, so a listener added right after `await` hears it.
    setTimeout(() => target.emitEvent('fallback', { reason }), 0);
  }
  return db;
}
