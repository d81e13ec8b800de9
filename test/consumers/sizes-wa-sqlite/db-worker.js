// No top-level await: Vite builds workers as IIFE unless told otherwise.
import SQLiteESMFactory from '@journeyapps/wa-sqlite/dist/wa-sqlite.mjs';
import * as SQLite from '@journeyapps/wa-sqlite';
import { OPFSCoopSyncVFS } from '@journeyapps/wa-sqlite/src/examples/OPFSCoopSyncVFS.js';

async function main() {
  const module = await SQLiteESMFactory();
  const sqlite3 = SQLite.Factory(module);
  sqlite3.vfs_register(await OPFSCoopSyncVFS.create('opfs', module), true);
  const db = await sqlite3.open_v2('consumer.sqlite3');
  await sqlite3.exec(db, 'CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  await sqlite3.exec(db, "INSERT INTO notes (body) VALUES ('hello')");
  const rows = [];
  await sqlite3.exec(db, 'SELECT body FROM notes', (row) => rows.push(row[0]));
  postMessage(rows);
}

main().catch((error) => postMessage({ error: String(error) }));
