import { protocolMismatch, protocolVersion } from './channels.ts';
import { Database } from './database.ts';
import { DirectRoute } from './direct-route.ts';
import { randomId } from './ids.ts';
import { prepareMigrations } from './migrations/list.ts';
import { runMigrations } from './migrations/run.ts';
import { SchemaVersion } from './migrations/schema-version.ts';
import { resolveOptions, type DatabaseOptions } from './options.ts';
import type { WorkerEvent } from './protocol.ts';
import { TabRouter } from './tab-router.ts';
import { WorkerLink } from './worker-link.ts';

/**
 * Opens (creating if needed) the database `name`, shared by every tab of this origin. With
 * `migrations`, it resolves once the database is at the latest version (docs/migrations.md).
 *
 * @example
 * const db = await openDatabase('app.db');
 * await db.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)');
 * await db.run('INSERT INTO notes (body) VALUES (?)', ['hello']);
 * const notes = await db.all<{ id: number; body: string }>('SELECT * FROM notes');
 */
export async function openDatabase(name: string, options?: DatabaseOptions): Promise<Database> {
  const resolved = resolveOptions(name, options);
  const started = Date.now();
  // Checksums are computed before anything starts, so a bad list costs no worker.
  const migrations = resolved.migrations && (await prepareMigrations(resolved.migrations));
  const tabId = randomId(8);
  // A private in-memory database has no leader to reach; nor has a context without Web Locks.
  let direct = resolved.storage !== 'memory' && typeof navigator.locks === 'object' ? await DirectRoute.start(name, tabId) : undefined;
  let db: Database | undefined;
  /** The worker's view of the leader as it opened, before the Database exists to hear of it. */
  let first: WorkerEvent | undefined;
  const onEvent = (event: WorkerEvent) => {
    if (event.type === 'leaderchange') direct?.follow(event.leaderPeerId, event.epoch, event.role);
    if (db) db.fromWorker(event);
    else if (event.type === 'leaderchange') first = event;
  };
  let link: WorkerLink;
  let info: Awaited<ReturnType<typeof WorkerLink.start>>['info'];
  try {
    ({ link, info } = await WorkerLink.start(
      { name, storage: resolved.storage, tabId, durability: resolved.durability, protocolVersion: protocolVersion() },
      resolved.worker,
      onEvent,
    ));
  } catch (e) {
    await direct?.close();
    throw e;
  }
  if (info.leaderProtocol !== undefined) {
    await link.close();
    await direct?.close();
    throw protocolMismatch(info.leaderProtocol);
  }
  if (info.storage === 'memory' && direct) {
    await direct.close();
    direct = undefined;
  }
  const schema =
    migrations &&
    new SchemaVersion(name, info.storage === 'opfs', resolved.onVersionChange, {
      read: () => db!.readSchemaVersion(),
      emit: (detail) => db?.emitEvent('versionchange', detail),
    });
  db = new Database(name, info.storage, new TabRouter(link, direct), resolved, schema);
  // Nobody listens yet; the live queries learn the epoch they start under.
  if (first) db.fromWorker(first);
  if (migrations && schema) {
    try {
      const outcome = await runMigrations(db, migrations, {
        allowNewerSchema: resolved.allowNewerSchema,
        deadline: started + resolved.lockTimeout,
      });
      schema.opened(outcome.version, outcome.applied.length > 0);
    } catch (e) {
      await db.close();
      throw e;
    }
  }
  if (info.fallbackReason !== undefined) {
    const reason = info.fallbackReason;
    const target = db;
    // Dispatched after openDatabase has resolved, so a listener added right after `await` hears it.
    setTimeout(() => target.emitEvent('fallback', { reason }), 0);
  }
  return db;
}
