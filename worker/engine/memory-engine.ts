import type { Durability } from '../../src/types.ts';
import { connect, loadSqlite, type Engine } from './engine.ts';

/** A private in-memory database: same code path as OPFS, nothing persisted, nothing shared. */
export async function openMemoryEngine(durability: Durability): Promise<Engine> {
  const sqlite3 = await loadSqlite();
  const db = new sqlite3.oo1.DB(':memory:', 'c');
  const opened = connect(sqlite3, db, durability, false);
  return { storage: 'memory', ...opened, close: () => opened.connection.close() };
}
