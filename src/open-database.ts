import { Database } from './database.ts';
import { randomId } from './ids.ts';
import { resolveOptions, type DatabaseOptions } from './options.ts';
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
  let db: Database | undefined;
  const { link, info } = await WorkerLink.start(
    { name, storage: resolved.storage, tabId: randomId(8), durability: resolved.durability },
    (event) => {
      if (event.type === 'leaderchange') db?.emitEvent('leaderchange', { leaderId: event.leaderId, epoch: event.epoch, role: event.role });
    },
  );
  db = new Database(name, info.storage, link, resolved);
  if (info.fallbackReason !== undefined) {
    const reason = info.fallbackReason;
    const target = db;
    // Dispatched after openDatabase has resolved, so a listener added right after `await` hears it.
    setTimeout(() => target.emitEvent('fallback', { reason }), 0);
  }
  return db;
}
